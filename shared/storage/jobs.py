"""JobRepository: jobs, their talent profiles, and the per-job counters kept on the job item.

The job item (pk=JOB#<job>, sk=JOB) carries, besides the profile:
- the match-score histogram `h000`…`h100` (shared/scoring/percentile.py);
- counters `n_status_<status>` and `n_rec_<recommendation|unscored>`: how many of the job's
  applications are in each status and carry each recommendation.

Counters are kept exact by one rule: an application item remembers in `counted`
("<status>|<recommendation>") what the counters currently include for it, and every write that
changes an application's status or recommendation goes through `transition()` — the same
transaction moves the application's `counted` (conditionally on its old value) and ADDs the
deltas to the job item. A concurrent writer loses the condition and retries; nobody counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import Conflict, NotFound
from shared.models.domain import ApplicationStatus, Job, Recommendation, TalentProfile
from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb

UNSCORED = "unscored"
STATUS_PREFIX = "n_status_"
REC_PREFIX = "n_rec_"
RECOMMENDATION_KEYS = (*(r.value for r in Recommendation), UNSCORED)
_KEEP: Any = object()


def counted_marker(status: str | None, recommendation: str | None) -> str:
    return f"{status or ApplicationStatus.AWAITING_REVIEW.value}|{recommendation or UNSCORED}"


def count_deltas(old_marker: str | None, new_marker: str | None) -> dict[str, int]:
    """Counter moves (attribute → ±n) taking an application from one marker to another."""
    deltas: dict[str, int] = {}
    for marker, sign in ((old_marker, -1), (new_marker, +1)):
        if not marker:
            continue
        status, _, rec = marker.partition("|")
        for name in (STATUS_PREFIX + status, REC_PREFIX + rec):
            deltas[name] = deltas.get(name, 0) + sign
    return {k: v for k, v in deltas.items() if v}


@dataclass
class Transition:
    """What an application write adds to stay counted (see the module docstring).

    Merge `set_clause` into the application's SET, `condition` into its ConditionExpression
    (AND), `values` into its ExpressionAttributeValues, and append `job_update(...)` (if not
    None) to the same TransactItems.
    """

    set_clause: str
    condition: str
    values: dict[str, Any]
    deltas: dict[str, int] = field(default_factory=dict)


class JobRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

    # -- profile ----------------------------------------------------------------------------
    def ensure(self, job_id: str, title: str | None, department: str | None, now: str) -> None:
        """A job first seen in a result exists with an empty talent profile."""
        try:
            self._table.put_item(
                Item=to_ddb(
                    {
                        **keys.job(job_id),
                        "gsi2pk": keys.JOBS,
                        "gsi2sk": job_id,
                        "job_id": job_id,
                        "title": title,
                        "department": department,
                        "competencies": [],
                        "thresholds": {"hire": 80, "second_interview": 65},
                        "profile_defined": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def put_profile(self, job_id: str, profile: TalentProfile, now: str) -> tuple[bool, bool]:
        """Create or replace the talent profile, keeping the job's histogram and counters.

        Returns (created, scoring_changed): `created` when the job had no profile before;
        `scoring_changed` when competencies or thresholds differ from what was stored.
        """
        body = profile.model_dump(mode="json")
        values = to_ddb(
            {
                ":jobs": keys.JOBS,
                ":id": job_id,
                ":title": body["title"],
                ":dept": body["department"],
                ":comps": body["competencies"],
                ":thr": body["thresholds"],
                ":t": True,
                ":now": now,
            }
        )
        out = self._table.update_item(
            Key=keys.job(job_id),
            UpdateExpression="SET gsi2pk = :jobs, gsi2sk = :id, job_id = :id, title = :title, department = :dept, "
            "competencies = :comps, thresholds = :thr, profile_defined = :t, updated_at = :now, "
            "created_at = if_not_exists(created_at, :now)",
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
        )
        old = from_ddb(out.get("Attributes") or {})
        created = not old.get("profile_defined", False)
        stored = from_ddb(to_ddb({"c": body["competencies"], "t": body["thresholds"]}))  # as DynamoDB keeps it
        changed = created or old.get("competencies") != stored["c"] or old.get("thresholds") != stored["t"]
        return created, changed

    def get_item(self, job_id: str) -> dict[str, Any]:
        item = self._table.get_item(Key=keys.job(job_id)).get("Item")
        if item is None:
            raise NotFound("job not found")
        return dict(from_ddb(item))

    def get(self, job_id: str) -> Job:
        return Job.model_validate(self.get_item(job_id))

    def find(self, job_id: str) -> Job | None:
        try:
            return self.get(job_id)
        except NotFound:
            return None

    def list_items(self, limit: int, start: dict[str, Any] | None) -> tuple[list[dict[str, Any]], dict | None]:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": {":p": keys.JOBS},
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        out = self._table.query(**kwargs)
        return [dict(from_ddb(i)) for i in out["Items"]], out.get("LastEvaluatedKey")

    # -- counters -----------------------------------------------------------------------------
    @staticmethod
    def counts(job_item: dict[str, Any]) -> dict[str, Any]:
        """The job's applications by status and by recommendation, read off the job item."""
        by_status = {s.value: max(0, int(job_item.get(STATUS_PREFIX + s.value, 0))) for s in ApplicationStatus}
        by_rec = {r: max(0, int(job_item.get(REC_PREFIX + r, 0))) for r in RECOMMENDATION_KEYS}
        return {"total": sum(by_status.values()), "by_status": by_status, "by_recommendation": by_rec}

    @staticmethod
    def transition(app: dict[str, Any], *, status: str | None = None, recommendation: str | None = _KEEP) -> Transition:
        """The counter bookkeeping for writing `status` and/or `recommendation` on `app` (as read).

        `status=None` keeps the application's status; leave `recommendation` out to keep it
        (pass None to mean "unscored").
        """
        new_status = status or app.get("status")
        new_rec = app.get("recommendation") if recommendation is _KEEP else recommendation
        old_marker = app.get("counted")
        new_marker = counted_marker(new_status, new_rec)
        if old_marker:
            condition, values = "counted = :cnt_old", {":cnt_old": old_marker, ":cnt_new": new_marker}
        else:
            condition, values = "attribute_not_exists(counted)", {":cnt_new": new_marker}
        return Transition("counted = :cnt_new", condition, values, count_deltas(old_marker, new_marker))

    def job_update(self, job_id: str, deltas: dict[str, int]) -> dict[str, Any] | None:
        """One TransactItems entry ADDing `deltas` (counters, histogram buckets) to the job item."""
        deltas = {k: v for k, v in deltas.items() if v}
        if not deltas:
            return None
        names = {f"#a{i}": k for i, k in enumerate(sorted(deltas))}
        return {
            "Update": {
                "TableName": self._table.name,
                "Key": keys.job(job_id),
                "UpdateExpression": "ADD " + ", ".join(f"{n} :{n[1:]}" for n in names),
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {f":{n[1:]}": deltas[k] for n, k in names.items()},
            }
        }

    def change_status(
        self,
        cid: str,
        job_id: str,
        *,
        expected: str | set[str],
        new: str,
        extra_set: dict[str, Any] | None = None,
        extra_items: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Move an application's status and the job's counters in one transaction.

        For the review workflow: raises Conflict when the application is not in (one of)
        `expected`, NotFound when it does not exist. `extra_set` adds attributes to the same
        application update; `extra_items` adds TransactItems (e.g. an audit entry) that
        must commit together. Returns the application as it was before.
        """
        allowed = {expected} if isinstance(expected, str) else set(expected)
        for _ in range(5):
            item = self._table.get_item(Key=keys.application(cid, job_id), ConsistentRead=True).get("Item")
            if item is None:
                raise NotFound("application not found")
            app = dict(from_ddb(item))
            if app.get("status") not in allowed:
                raise Conflict(f"the application is {app.get('status')!r}; this move is not allowed from there")
            t = self.transition(app, status=new)
            sets = ["#st = :st_new", t.set_clause]
            values: dict[str, Any] = {**t.values, ":st_new": new, ":st_old": app["status"]}
            for i, v in enumerate((extra_set or {}).values()):
                sets.append(f"#x{i} = :x{i}")
                values[f":x{i}"] = v
            names = {"#st": "status", **{f"#x{i}": k for i, k in enumerate(extra_set or {})}}
            items: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": keys.application(cid, job_id),
                        "UpdateExpression": "SET " + ", ".join(sets),
                        "ConditionExpression": f"#st = :st_old AND {t.condition}",
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": to_ddb(values),
                    }
                }
            ]
            job = self.job_update(job_id, t.deltas)
            if job:
                items.append(job)
            items.extend(extra_items or [])
            try:
                self._table.meta.client.transact_write_items(TransactItems=items)
                return app
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
        raise Conflict("the application kept changing; try again")
