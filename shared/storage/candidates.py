"""CandidateRepository: one DynamoDB partition per candidate (profile, applications,
results, event links), identities as blind-index items, result pointers by result id."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from shared.crypto.blind import BlindIndex
from shared.crypto.encryptor import Encryptor, candidate_subject
from shared.errors import NotFound, StaleRevision
from shared.models.results import CandidateIdentity
from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb

AWAITING_REVIEW = "awaiting_review"


def result_id_for(vendor: str, vendor_result_id: str) -> str:
    return "r_" + hashlib.sha256(f"{vendor}\0{vendor_result_id}".encode()).hexdigest()[:24]


def new_candidate_id() -> str:
    return "c_" + uuid.uuid4().hex[:24]


class CandidateRepository:
    def __init__(self, table: Any, encryptor: Encryptor, blind: BlindIndex) -> None:
        self._table = table
        self._client = table.meta.client
        self._enc = encryptor
        self._blind = blind

    # -- identity -----------------------------------------------------------------
    def resolve(self, ident: CandidateIdentity, now: str) -> str:
        """The candidate these identifiers belong to, created on first sight."""
        pairs = self._blind.identities(ident.external_id, ident.email, ident.phone)
        if not pairs:
            raise ValueError("candidate has no identifier")
        ext = next((f"ext#{b}" for k, b in pairs if k == "ext"), None)
        cid = None
        # who each identifier read so far leads to (None: nobody yet): those need no write below
        seen: dict[tuple[str, str], str | None] = {}
        for kind, blind in pairs:
            item = self._table.get_item(Key=keys.identity(kind, blind), ConsistentRead=True).get("Item")
            seen[(kind, blind)] = item["candidate_id"] if item else None
            if item and not (kind != "ext" and ext and self._other_ats_id(item["candidate_id"], ext)):
                cid = item["candidate_id"]
                break
        if cid is None:
            cid = new_candidate_id()
            kind, blind = pairs[0]
            try:
                self._table.put_item(
                    Item={**keys.identity(kind, blind), "candidate_id": cid},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:  # a concurrent event created the same person first
                if not is_conditional_failure(exc):
                    raise
                cid = self._table.get_item(Key=keys.identity(kind, blind), ConsistentRead=True)["Item"]["candidate_id"]
            seen[(kind, blind)] = cid
        owned = set()  # identifiers that lead to this candidate (a shared phone may lead to another)
        for kind, blind in pairs:
            if seen.get((kind, blind)) is not None:  # already known: ours, or another person's
                if seen[(kind, blind)] == cid:
                    owned.add(f"{kind}#{blind}")
                continue
            try:
                self._table.put_item(
                    Item={**keys.identity(kind, blind), "candidate_id": cid},
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                owned.add(f"{kind}#{blind}")
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
                if (exc.response.get("Item") or {}).get("candidate_id", {}).get("S") == cid:
                    owned.add(f"{kind}#{blind}")
        self._table.update_item(
            Key=keys.profile(cid),
            UpdateExpression="SET candidate_id = :c, created_at = if_not_exists(created_at, :t) ADD idents :i",
            ExpressionAttributeValues={":c": cid, ":t": now, ":i": owned},
        )
        return cid

    def _other_ats_id(self, cid: str, ext: str) -> bool:
        """The candidate an email or phone leads to has a different ATS id: another person."""
        prof = self._table.get_item(Key=keys.profile(cid), ConsistentRead=True).get("Item") or {}
        return any(i.startswith("ext#") and i != ext for i in prof.get("idents") or ())

    def set_personal(self, cid: str, ident: CandidateIdentity) -> str | None:
        """Encrypt whatever personal fields arrived; returns the encrypted name for list items."""
        subject = candidate_subject(cid)
        fields = {f: getattr(ident, f) for f in ("name", "email", "phone") if getattr(ident, f)}
        if not fields:
            return None
        enc = {f"{f}_enc": self._enc.encrypt_field(subject, f, v) for f, v in fields.items()}
        self._table.update_item(
            Key=keys.profile(cid),
            UpdateExpression="SET " + ", ".join(f"{k} = :{k}" for k in enc),
            ExpressionAttributeValues={f":{k}": v for k, v in enc.items()},
        )
        return enc.get("name_enc")

    # -- reads ----------------------------------------------------------------------
    def partition(self, cid: str, prefix: str | None = None) -> list[dict[str, Any]]:
        cond = Key("pk").eq(keys.candidate_pk(cid))
        if prefix:
            cond = cond & Key("sk").begins_with(prefix)
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": cond, "ConsistentRead": True}
        while True:
            out = self._table.query(**kwargs)
            items.extend(from_ddb(i) for i in out["Items"])
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def pointer(self, result_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key=keys.result_pointer(result_id), ConsistentRead=True).get("Item")
        return from_ddb(item) if item else None

    def get_result(self, result_id: str) -> dict[str, Any]:
        ptr = self.pointer(result_id)
        if not ptr or not ptr.get("candidate_id"):
            raise NotFound("result not found")
        item = self._table.get_item(Key=keys.result(ptr["candidate_id"], result_id), ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound("result not found")
        return from_ddb(item)

    def get_application(self, cid: str, job_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key=keys.application(cid, job_id), ConsistentRead=True).get("Item")
        return from_ddb(item) if item else None

    # -- writes ---------------------------------------------------------------------
    def apply_result(
        self,
        *,
        cid: str,
        rid: str,
        revision: int,
        job_id: str,
        department: str | None,
        result_item: dict[str, Any],
        name_enc: str | None,
        event_ref: str,
        now: str,
        previous: dict[str, Any] | None,
    ) -> None:
        """Store one revision atomically; an older or equal revision raises StaleRevision."""
        app_sets = [
            "job_id = :j",
            "candidate_id = :c",
            "gsi1pk = :g1",
            "gsi1sk = if_not_exists(gsi1sk, :g1s)",
            "#st = if_not_exists(#st, :aw)",
            "created_at = if_not_exists(created_at, :now)",
            "updated_at = :now",
            "gsi2pk = :apps",
            "gsi2sk = :g2s",
        ]
        values: dict[str, Any] = {
            ":j": job_id,
            ":c": cid,
            ":g1": keys.job_candidates_pk(job_id),
            ":g1s": keys.match_sort_key(None, cid),
            ":aw": AWAITING_REVIEW,
            ":now": now,
            ":apps": "APPS",
            ":g2s": f"{now}#{cid}#{job_id}",
        }
        if department:
            app_sets.append("department = :d")
            values[":d"] = department
        if name_enc:
            app_sets.append("name_enc = :n")
            values[":n"] = name_enc
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": to_ddb(
                        {
                            **keys.result_pointer(rid),
                            "candidate_id": cid,
                            "job_id": job_id,
                            "revision": revision,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR revision < :r",
                    "ExpressionAttributeValues": {":r": revision},
                }
            },
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": to_ddb({**keys.result(cid, rid), **result_item}),
                }
            },
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": keys.application(cid, job_id),
                    "UpdateExpression": "SET " + ", ".join(app_sets),
                    "ExpressionAttributeNames": {"#st": "status"},
                    "ExpressionAttributeValues": to_ddb(values),
                }
            },
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": {
                        **keys.candidate_event(cid, event_ref),
                        "event_ref": event_ref,
                        "result_id": rid,
                        "at": now,
                        "revision": revision,
                        "kind": "result",
                    },
                }
            },
        ]
        if previous and previous.get("candidate_id") and previous["candidate_id"] != cid:
            items.append({"Delete": {"TableName": self._table.name, "Key": keys.result(previous["candidate_id"], rid)}})
        self._transact(items)

    def withdraw(
        self, *, rid: str, revision: int, previous: dict[str, Any] | None, event_ref: str, now: str
    ) -> dict[str, Any] | None:
        """Mark a result withdrawn (or leave a tombstone when it has not arrived yet)."""
        pointer = {**keys.result_pointer(rid), "revision": revision, "withdrawn": True}
        cid = previous.get("candidate_id") if previous else None
        if cid:
            pointer.update(candidate_id=cid, job_id=previous["job_id"])  # type: ignore[index]
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": to_ddb(pointer),
                    "ConditionExpression": "attribute_not_exists(pk) OR revision < :r",
                    "ExpressionAttributeValues": {":r": revision},
                }
            }
        ]
        if cid:
            items.append(
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": keys.result(cid, rid),
                        "UpdateExpression": "SET #st = :w, revision = :r, withdrawn_at = :now REMOVE gsi3pk, gsi3sk",
                        "ExpressionAttributeNames": {"#st": "status"},
                        "ExpressionAttributeValues": {":w": "withdrawn", ":r": revision, ":now": now},
                    }
                }
            )
            items.append(
                {
                    "Put": {
                        "TableName": self._table.name,
                        "Item": {
                            **keys.candidate_event(cid, event_ref),
                            "event_ref": event_ref,
                            "result_id": rid,
                            "at": now,
                            "revision": revision,
                            "kind": "withdrawn",
                        },
                    }
                }
            )
        self._transact(items)
        return pointer if cid else None

    def _transact(self, items: list[dict[str, Any]]) -> None:
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise StaleRevision() from None
            raise
