"""The review process as a pure table (CONTRACT §5.1): which decision leads where.

The DynamoDB status of an application is the truth; the Step Functions definition is built
from these same names (infra/constructs/workflow.py), so the two cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum

from shared.models.domain import ApplicationStatus as S


class Decision(StrEnum):
    SECOND_INTERVIEW = "second_interview"
    OFFER = "offer"
    HIRE = "hire"
    REJECT = "reject"
    WITHDRAW = "withdraw"


# What each decision leads to.
LEADS_TO: dict[Decision, S] = {
    Decision.SECOND_INTERVIEW: S.SECOND_INTERVIEW,
    Decision.OFFER: S.OFFER,
    Decision.HIRE: S.HIRED,
    Decision.REJECT: S.REJECTED,
    Decision.WITHDRAW: S.WITHDRAWN,
}

# Which decisions each open status allows; final statuses allow none.
ALLOWED: dict[S, frozenset[Decision]] = {
    S.AWAITING_REVIEW: frozenset({Decision.SECOND_INTERVIEW, Decision.OFFER, Decision.REJECT, Decision.WITHDRAW}),
    S.SECOND_INTERVIEW: frozenset({Decision.OFFER, Decision.REJECT, Decision.WITHDRAW}),
    S.OFFER: frozenset({Decision.HIRE, Decision.REJECT, Decision.WITHDRAW}),
    S.HIRED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

OPEN: tuple[S, ...] = tuple(s for s, allowed in ALLOWED.items() if allowed)
FINAL: tuple[S, ...] = tuple(s for s, allowed in ALLOWED.items() if not allowed)

# The state machine's state names: one waiting (human) step per open status, one end per final one.
STEP_OF: dict[S, str] = {
    S.AWAITING_REVIEW: "AwaitingReview",
    S.SECOND_INTERVIEW: "SecondInterview",
    S.OFFER: "Offer",
    S.HIRED: "Hired",
    S.REJECTED: "Rejected",
    S.WITHDRAWN: "Withdrawn",
}
STATUS_OF_STEP: dict[str, S] = {step: status for status, step in STEP_OF.items()}
ROUTE_STATE = "Route"
CLOSED_STATE = "Closed"
# The error a worker reports when the application no longer exists (erased): the execution ends.
APPLICATION_GONE = "hirelens.ApplicationGone"


class TransitionRefused(Exception):
    def __init__(self, current: str, action: str) -> None:
        super().__init__(f"{action!r} is not allowed while the application is {current!r}")
        self.current, self.action = current, action


def next_status(current: str, action: str) -> S:
    """The status `action` leads to from `current`, or TransitionRefused."""
    try:
        status, decision = S(current), Decision(action)
    except ValueError:
        raise TransitionRefused(current, action) from None
    if decision not in ALLOWED[status]:
        raise TransitionRefused(current, action)
    return LEADS_TO[decision]


def is_final(status: str) -> bool:
    return status in {s.value for s in FINAL}
