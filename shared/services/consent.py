"""Per-candidate consent: flags that arrive with results, and the ones HR records.

`biometric_analysis` (PIPL Art. 28-29): a vendor's voice/face analyses are stored only with
consent. What HR records wins over what a vendor sends: a withdrawal recorded by HR drops the
analyses of every later result, and deletes (shreds by removing the ciphertext) those stored.
`talent_pool`: the candidate agreed to be kept for future openings; retention keeps them longer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from shared.audit.trail import AuditTrail
from shared.authz.policy import Action, Principal
from shared.errors import Conflict
from shared.models.company import Consent
from shared.models.results import CanonicalResult
from shared.observability import logger
from shared.services.intake import iso
from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb


def recorded(profile: dict[str, Any]) -> dict[str, Any]:
    """The consent HR recorded, flag → {"value", "at", "by"}."""
    return dict(profile.get("consent") or {})


def effective_biometric(vendor_flag: bool | None, profile: dict[str, Any] | None) -> bool | None:
    hr = (recorded(profile or {}).get("biometric_analysis") or {}).get("value")
    if hr is False:
        return False
    if vendor_flag is None and hr is True:
        return True
    return vendor_flag


class ConsentService:
    def __init__(self, *, table: Any, views: Any, audit: AuditTrail, clock: Callable[[], float] = time.time) -> None:
        self._table, self.views, self.audit, self.clock = table, views, audit, clock

    def apply_to(self, cid: str, r: CanonicalResult) -> CanonicalResult:
        """The result as it may be stored, given what HR recorded for this candidate."""
        item = self._table.get_item(Key=keys.profile(cid), ConsistentRead=True).get("Item")
        flag = effective_biometric(r.biometric_consent, from_ddb(item) if item else None)
        return r if flag == r.biometric_consent else r.model_copy(update={"biometric_consent": flag})

    def set(self, principal: Principal, cid: str, change: Consent) -> dict[str, Any]:
        items = self.views.load_candidate(cid, principal, Action.CONSENT)
        profile = next(i for i in items if i["sk"] == keys.PROFILE)
        before = recorded(profile)
        now = iso(self.clock())
        after = dict(before)
        for flag, value in change.model_dump(exclude_none=True).items():
            after[flag] = {"value": value, "at": now, "by": principal.sub}
        cond = "attribute_exists(pk) AND " + (
            "consent = :old" if "consent" in profile else "attribute_not_exists(consent)"
        )
        values: dict[str, Any] = {":new": after}
        if "consent" in profile:
            values[":old"] = profile["consent"]
        try:
            self._table.update_item(
                Key=keys.profile(cid),
                UpdateExpression="SET consent = :new",
                ConditionExpression=cond,
                ExpressionAttributeValues=to_ddb(values),
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise
            raise Conflict("the consent was changed at the same time; read it again") from None
        removed = 0
        if change.biometric_analysis is False:
            removed = self._drop_analyses(cid, [i for i in items if i["sk"].startswith("RES#")])
        self.audit.append(
            cid,
            "consent.changed",
            actor=(principal.sub, principal.role.value),
            target=cid,
            before={k: v["value"] for k, v in before.items()},
            after={**{k: v["value"] for k, v in after.items()}, "analyses_deleted": removed},
        )
        logger.info(
            "consent recorded", extra={"candidate_id": cid, "flags": sorted(change.model_dump(exclude_none=True))}
        )
        return {"candidate_id": cid, "consent": after, "analyses_deleted": removed}

    def _drop_analyses(self, cid: str, results: list[dict[str, Any]]) -> int:
        """Consent withdrawn: the stored biometric analyses go (their ciphertext is removed)."""
        removed = 0
        for r in results:
            if not r.get("analyses_enc"):
                continue
            try:
                self._table.update_item(
                    Key=keys.result(cid, r["result_id"]),
                    UpdateExpression="REMOVE analyses_enc SET biometric_consent = :f, analyses_withdrawn = :t",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":f": False, ":t": True},
                )
                removed += 1
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
        return removed
