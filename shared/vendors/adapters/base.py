"""The port every vendor format plugs into: raw bytes in, a CanonicalResult out.

Adding a format is one module with a subclass of `VendorAdapter` and an entry in
`shared/vendors/registry.py` (see docs/vendor-formats.md).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ValidationError

from shared.models.results import CanonicalResult, Dimension, ScaledScore
from shared.taxonomy import Taxonomy, default_taxonomy

M = TypeVar("M", bound=BaseModel)


class PayloadInvalid(Exception):
    """Signed but not valid JSON or not the vendor's format: the body goes to quarantine."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = errors


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors(include_url=False)]


class VendorAdapter(ABC):
    format_name: ClassVar[str]

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy or default_taxonomy()

    def parse(self, vendor: str, raw: bytes) -> CanonicalResult:
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PayloadInvalid([{"loc": ["body"], "msg": f"not valid JSON: {exc}"}]) from exc
        if not isinstance(doc, dict):
            raise PayloadInvalid([{"loc": ["body"], "msg": "a JSON object is required"}])
        try:
            return self.to_canonical(vendor, doc)
        except ValidationError as exc:
            raise PayloadInvalid(validation_errors(exc)) from exc
        except ValueError as exc:
            raise PayloadInvalid([{"loc": ["body"], "msg": str(exc)}]) from exc

    @abstractmethod
    def to_canonical(self, vendor: str, doc: dict[str, Any]) -> CanonicalResult:
        """Validate the vendor's document and map it; raise ValidationError/ValueError if it is not."""

    def labelled(self, label: str, score: float, scale: tuple[float, float], comment: str | None = None) -> Dimension:
        """A dimension a vendor names only by label, on the vendor's fixed scale, mapped to the taxonomy."""
        return Dimension(
            code=self.taxonomy.resolve(None, label),
            label=label,
            score=score,
            scale_min=scale[0],
            scale_max=scale[1],
            comment=comment,
        )


def on_scale(score: float | None, scale: tuple[float, float]) -> ScaledScore | None:
    """An overall score on a vendor's fixed scale, when the vendor sent one."""
    return None if score is None else ScaledScore(score=score, scale_min=scale[0], scale_max=scale[1])
