"""Who may do what: one pure decision function, called by every route (CONTRACT §2).

An action the role never has → 403. A resource outside the caller's scope → 404, so its
existence is not disclosed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Forbidden, NotFound


class Role(StrEnum):
    HR_ADMIN = "hr_admin"
    HR = "hr"
    INTERVIEWER = "interviewer"
    CANDIDATE = "candidate"
    FINANCE = "finance"
    AUDITOR = "auditor"


class Action(StrEnum):
    VENDOR_MANAGE = "vendor.manage"
    QUARANTINE_MANAGE = "quarantine.manage"
    IMPORT = "import"
    JOB_READ = "job.read"
    JOB_WRITE = "job.write"
    CANDIDATE_READ = "candidate.read"
    RESULT_READ = "result.read"
    RESULT_EDIT = "result.edit"
    ANNOTATE = "annotate"
    DECIDE = "decide"
    FEEDBACK = "feedback"
    INBOX = "inbox"
    ANALYTICS = "analytics"
    EXPORT = "export"
    AUDIT_READ = "audit.read"
    ERASE = "erase"
    SELF_VIEW = "self.view"
    USAGE = "usage"
    CONSENT = "consent.manage"
    SETTINGS = "settings.manage"  # company-wide settings: what candidates see, retention
    CHANNEL_MANAGE = "channel.manage"  # departments' notification channels (hr_admin)


_HR = {
    Action.IMPORT,
    Action.JOB_READ,
    Action.JOB_WRITE,
    Action.CANDIDATE_READ,
    Action.RESULT_READ,
    Action.RESULT_EDIT,
    Action.ANNOTATE,
    Action.DECIDE,
    Action.FEEDBACK,
    Action.INBOX,
    Action.ANALYTICS,
    Action.EXPORT,
    Action.AUDIT_READ,
    Action.CONSENT,
}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.HR_ADMIN: frozenset(Action) - {Action.SELF_VIEW},
    Role.HR: frozenset(_HR),
    Role.INTERVIEWER: frozenset(
        {
            Action.JOB_READ,
            Action.CANDIDATE_READ,
            Action.RESULT_READ,
            Action.ANNOTATE,
            Action.FEEDBACK,
            Action.INBOX,
        }
    ),
    Role.CANDIDATE: frozenset({Action.SELF_VIEW}),
    Role.FINANCE: frozenset({Action.USAGE}),
    Role.AUDITOR: frozenset({Action.JOB_READ, Action.CANDIDATE_READ, Action.RESULT_READ, Action.AUDIT_READ}),
}

# roles whose reach is limited to part of the data
SCOPED_ROLES = {Role.INTERVIEWER, Role.CANDIDATE}


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    department: str | None = None
    candidate_id: str | None = None

    @property
    def scoped(self) -> bool:
        return self.role in SCOPED_ROLES


@dataclass(frozen=True)
class Resource:
    """What a request touches: the departments of the candidate's jobs and the candidate."""

    departments: frozenset[str] = frozenset()
    candidate_id: str | None = None


def can(principal: Principal, action: Action) -> bool:
    return action in ROLE_ACTIONS.get(principal.role, frozenset())


def in_scope(principal: Principal, resource: Resource) -> bool:
    if principal.role is Role.INTERVIEWER:
        return principal.department is not None and principal.department in resource.departments
    if principal.role is Role.CANDIDATE:
        return principal.candidate_id is not None and principal.candidate_id == resource.candidate_id
    return True


def authorize(principal: Principal, action: Action, resource: Resource | None = None) -> None:
    """Raise Forbidden for an action the role never has, NotFound for an out-of-scope resource."""
    if not can(principal, action):
        raise Forbidden(f"the role {principal.role.value!r} may not do this")
    if resource is not None and not in_scope(principal, resource):
        raise NotFound("not found")
