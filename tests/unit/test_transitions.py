"""The transition table against CONTRACT §5.1, written out by hand: every move and every refusal."""

from __future__ import annotations

import itertools

import pytest

from shared.workflow.transitions import FINAL, OPEN, TransitionRefused, is_final, next_status

STATUSES = ("awaiting_review", "second_interview", "offer", "hired", "rejected", "withdrawn")
ACTIONS = ("second_interview", "offer", "hire", "reject", "withdraw")
# (from, action) → to, exactly as the contract lists them; everything else is refused
ALLOWED = {
    ("awaiting_review", "second_interview"): "second_interview",
    ("awaiting_review", "offer"): "offer",
    ("awaiting_review", "reject"): "rejected",
    ("awaiting_review", "withdraw"): "withdrawn",
    ("second_interview", "offer"): "offer",
    ("second_interview", "reject"): "rejected",
    ("second_interview", "withdraw"): "withdrawn",
    ("offer", "hire"): "hired",
    ("offer", "reject"): "rejected",
    ("offer", "withdraw"): "withdrawn",
}


@pytest.mark.parametrize(("current", "action"), sorted(ALLOWED))
def test_allowed_move(current: str, action: str) -> None:
    assert next_status(current, action).value == ALLOWED[(current, action)]


REFUSED = [p for p in itertools.product(STATUSES, ACTIONS) if p not in ALLOWED]


@pytest.mark.parametrize(("current", "action"), REFUSED)
def test_refused_move(current: str, action: str) -> None:
    with pytest.raises(TransitionRefused):
        next_status(current, action)


@pytest.mark.parametrize(("current", "action"), [("awaiting_review", "approve"), ("lost", "reject"), ("", "offer")])
def test_unknown_status_or_action_is_refused(current: str, action: str) -> None:
    with pytest.raises(TransitionRefused):
        next_status(current, action)


def test_open_and_final_statuses() -> None:
    assert {s.value for s in OPEN} == {"awaiting_review", "second_interview", "offer"}
    assert {s.value for s in FINAL} == {"hired", "rejected", "withdrawn"}
    assert all(is_final(s) for s in ("hired", "rejected", "withdrawn")) and not is_final("offer")
