"""The caller from JWT claims: local tokens carry `role`, Cognito ID tokens a group and custom attributes."""

from __future__ import annotations

import pytest

from shared.authz.claims import principal_from_claims
from shared.authz.policy import Role
from shared.errors import Forbidden, Unauthorized


def test_local_token_claims() -> None:
    p = principal_from_claims({"sub": "u1", "role": "interviewer", "department": "risk"})
    assert (p.sub, p.role, p.department, p.candidate_id) == ("u1", Role.INTERVIEWER, "risk", None)


@pytest.mark.parametrize("groups", [["interviewer"], "[interviewer]", "[interviewer other-app-group]"])
def test_cognito_id_token_claims(groups) -> None:
    # Given an ID token as the HTTP API JWT authorizer passes it (arrays may arrive as "[a b]")
    p = principal_from_claims({"sub": "u2", "cognito:groups": groups, "custom:department": "sales"})
    assert (p.role, p.department) == (Role.INTERVIEWER, "sales")


def test_a_candidate_is_bound_to_their_record() -> None:
    p = principal_from_claims({"sub": "u3", "cognito:groups": ["candidate"], "custom:candidate_id": "c_1"})
    assert (p.role, p.candidate_id) == (Role.CANDIDATE, "c_1")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u4"},  # no role at all
        {"sub": "u4", "role": "superuser"},  # not a hirelens role
        {"sub": "u4", "cognito:groups": ["hr", "candidate"]},  # two roles: neither is taken
        {"sub": "u4", "cognito:groups": "[hr_admin auditor]"},
    ],
)
def test_no_single_role_is_forbidden(claims) -> None:
    with pytest.raises(Forbidden):
        principal_from_claims(claims)


@pytest.mark.parametrize("claims", [None, {}, {"role": "hr"}])
def test_no_subject_is_unauthorized(claims) -> None:
    with pytest.raises(Unauthorized):
        principal_from_claims(claims)
