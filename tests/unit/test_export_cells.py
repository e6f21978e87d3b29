"""CWE-1236: text cells a spreadsheet could run are neutralised; numbers and plain text pass."""

from __future__ import annotations

import pytest

from shared.services.exports import neutralise

PAYLOADS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=cmd",
    "\r=cmd",
    '=HYPERLINK("http://x","y")',
    "＝1+1",
    "=cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_starts_are_prefixed(payload):
    out = neutralise(payload)
    assert out.startswith("'") and out[1:] == payload


@pytest.mark.parametrize("value", ["张三", "Zhang San", "a=b", "", 85.5, -3, None, True])
def test_others_pass_unchanged(value):
    assert neutralise(value) == value


def test_control_characters_xlsx_cannot_hold_are_dropped():
    assert neutralise("a\x00b\x07c") == "abc"
