"""The competency taxonomy (CONTRACT §4.4) and the mapping of vendors' labels onto it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

UNMAPPED_PREFIX = "unmapped:"
_FOLD = re.compile(r"[\s\-_&·/]+")


@dataclass(frozen=True)
class Competency:
    code: str
    zh: str
    en: str


def _fold(label: str) -> str:
    return _FOLD.sub("", label).casefold()


@dataclass(frozen=True)
class Taxonomy:
    competencies: dict[str, Competency]
    _lookup: dict[str, str]

    @classmethod
    def from_data(cls, data: dict) -> Taxonomy:
        comps: dict[str, Competency] = {}
        lookup: dict[str, str] = {}
        for c in data["competencies"]:
            comp = Competency(c["code"], c["zh"], c["en"])
            comps[comp.code] = comp
            for label in (c["code"], c["zh"], c["en"], *c.get("synonyms", [])):
                lookup[_fold(label)] = comp.code
        return cls(comps, lookup)

    def code_for(self, label: str | None) -> str | None:
        """The taxonomy code a vendor label maps to, or None."""
        if not label:
            return None
        return self._lookup.get(_fold(label))

    def resolve(self, code: str | None, label: str | None) -> str:
        """A dimension's code: a known code as given, else the label mapped, else `unmapped:<label>`."""
        if code and code in self.competencies:
            return code
        mapped = self.code_for(label) or self.code_for(code)
        if mapped:
            return mapped
        return f"{UNMAPPED_PREFIX}{label or code}"

    def label(self, code: str, lang: str = "zh") -> str:
        comp = self.competencies.get(code)
        if comp is None:
            return code.removeprefix(UNMAPPED_PREFIX)
        return comp.zh if lang == "zh" else comp.en

    def is_known(self, code: str) -> bool:
        return code in self.competencies


@cache
def default_taxonomy() -> Taxonomy:
    text = resources.files("shared.data").joinpath("taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy.from_data(json.loads(text))
