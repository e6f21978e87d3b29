"""The caller, read from the JWT claims the authorizer put into the request context.

Locally the front door verifies the token; in AWS the HTTP API JWT authorizer does. Cognito
carries the role as a group and the department as `custom:department`.
"""

from __future__ import annotations

from typing import Any

from shared.authz.policy import Principal, Role
from shared.errors import Forbidden, Unauthorized


def _groups(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):  # the HTTP API passes arrays as "[a b]"
        return [v for v in value.strip("[]").replace(",", " ").split() if v]
    return []


def principal_from_claims(claims: dict[str, Any] | None) -> Principal:
    if not claims or not claims.get("sub"):
        raise Unauthorized("a bearer token is required")
    # exactly one hirelens group: a user in two would get whichever came first, so neither counts
    groups = [g for g in _groups(claims.get("cognito:groups")) if g in {r.value for r in Role}]
    role_name = claims.get("role") or (groups[0] if len(set(groups)) == 1 else None)
    try:
        role = Role(str(role_name))
    except ValueError:
        raise Forbidden("the token carries no hirelens role") from None
    return Principal(
        sub=str(claims["sub"]),
        role=role,
        department=claims.get("department") or claims.get("custom:department"),
        candidate_id=claims.get("candidate_id") or claims.get("custom:candidate_id"),
    )
