"""CompanySettings: the company-wide settings items (pk=CONFIG) with their defaults."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from shared.models.company import CandidateView, Retention
from shared.storage import keys

M = TypeVar("M", bound=BaseModel)

CANDIDATE_VIEW = "candidate-view"
RETENTION = "retention"


class CompanySettings:
    def __init__(self, table: Any) -> None:
        self._table = table

    def _get(self, name: str, model: type[M]) -> M:
        item = self._table.get_item(Key=keys.company_setting(name), ConsistentRead=True).get("Item")
        # stored as JSON: a null ("keep forever") must survive, and DynamoDB maps drop None
        return model.model_validate_json(item["value"]) if item else model()

    def _put(self, name: str, value: BaseModel, *, by: str, at: str) -> None:
        self._table.put_item(
            Item={**keys.company_setting(name), "value": value.model_dump_json(), "updated_by": by, "updated_at": at}
        )

    def candidate_view(self) -> CandidateView:
        return self._get(CANDIDATE_VIEW, CandidateView)

    def set_candidate_view(self, view: CandidateView, *, by: str, at: str) -> None:
        self._put(CANDIDATE_VIEW, view, by=by, at=at)

    def retention(self) -> Retention:
        return self._get(RETENTION, Retention)

    def set_retention(self, retention: Retention, *, by: str, at: str) -> None:
        self._put(RETENTION, retention, by=by, at=at)
