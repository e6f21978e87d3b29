"""Highlights from answers: the transcript sentences that speak to each competency.

Pure logic: decrypted answers and a lexicon (shared/data/highlight_lexicon.json) in, per
competency the few sentences a reviewer should read before the second interview out. A
sentence's rank is the number of distinct lexicon phrases it contains; earlier sentences win
ties. No model, no network: the lexicon is data a deployment extends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

MAX_PER_COMPETENCY = 3
MAX_SENTENCE_CHARS = 240
MIN_SENTENCE_CHARS = 4

# Chinese sentence ends, English sentence ends followed by space, line breaks.
_SPLIT = re.compile(r"(?<=[。！？!?；;])\s*|\n+|(?<=[.])\s+")


@dataclass(frozen=True)
class Lexicon:
    patterns: dict[str, tuple[re.Pattern[str], ...]]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Lexicon:
        patterns: dict[str, tuple[re.Pattern[str], ...]] = {}
        for code, langs in data["competencies"].items():
            pats = [re.compile(re.escape(t)) for t in langs.get("zh", [])]
            pats += [re.compile(r"\b" + re.escape(t), re.IGNORECASE) for t in langs.get("en", [])]
            patterns[code] = tuple(pats)
        return cls(patterns)

    def codes(self) -> list[str]:
        return sorted(self.patterns)


@cache
def default_lexicon() -> Lexicon:
    text = resources.files("shared.data").joinpath("highlight_lexicon.json").read_text(encoding="utf-8")
    return Lexicon.from_data(json.loads(text))


def sentences(text: str) -> list[str]:
    out = []
    for raw in _SPLIT.split(text or ""):
        s = raw.strip()
        if len(s) < MIN_SENTENCE_CHARS:
            continue
        out.append(s if len(s) <= MAX_SENTENCE_CHARS else s[: MAX_SENTENCE_CHARS - 1] + "…")
    return out


def highlights(
    answers: Iterable[Mapping[str, Any]],
    lexicon: Lexicon | None = None,
    *,
    codes: Iterable[str] | None = None,
    per_competency: int = MAX_PER_COMPETENCY,
) -> dict[str, list[dict[str, Any]]]:
    """{code: [{"question_id", "sentence", "terms", "result_id"?}]} for the competencies with evidence.

    `answers` carry `question_id` and a decrypted `transcript` (None when erased or absent);
    `codes` limits the competencies looked at (default: all in the lexicon).
    """
    lex = lexicon or default_lexicon()
    wanted = [c for c in (codes if codes is not None else lex.codes()) if c in lex.patterns]
    found: dict[str, list[tuple[int, int, dict[str, Any]]]] = {}
    order = 0
    for a in answers:
        for sentence in sentences(a.get("transcript") or ""):
            order += 1
            for code in wanted:
                terms = sorted({m.group(0).lower() for p in lex.patterns[code] for m in [p.search(sentence)] if m})
                if terms:
                    item = {"question_id": a.get("question_id"), "sentence": sentence, "terms": terms}
                    if a.get("result_id"):
                        item["result_id"] = a["result_id"]
                    found.setdefault(code, []).append((-len(terms), order, item))
    return {
        code: [item for *_, item in sorted(hits, key=lambda h: h[:2])[:per_competency]] for code, hits in found.items()
    }
