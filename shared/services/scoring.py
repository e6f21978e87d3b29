"""Re-scoring: one application (combine results, match the job, keep the job's histogram and
counters current), and a whole job fanned out through the score queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from shared.crypto.encryptor import Encryptor
from shared.observability import logger
from shared.scoring.aggregate import aggregate
from shared.scoring.match import compute_match
from shared.scoring.percentile import bucket
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb
from shared.storage.jobs import JobRepository


def _same(a: Any, b: Any) -> bool:
    """Equal as DynamoDB stores them (None map values dropped, numbers as Decimal)."""
    return bool(from_ddb(to_ddb(a)) == from_ddb(to_ddb(b)))


class ApplicationScorer:
    def __init__(
        self,
        candidates: CandidateRepository,
        jobs: JobRepository,
        table: Any,
        encryptor: Encryptor | None = None,
    ) -> None:
        self.candidates, self.jobs, self._table = candidates, jobs, table

    def rescore(self, cid: str, job_id: str, attempts: int = 8) -> dict[str, Any] | None:
        """Score one application and store it; retried when a concurrent write got there first."""
        for _ in range(attempts):
            app = self.candidates.get_application(cid, job_id)
            if app is None:
                return None
            results = [r for r in self.candidates.partition(cid, "RES#") if r.get("job_id") == job_id]
            agg = aggregate(results)
            report = compute_match(self.jobs.find(job_id), agg).to_dict()
            try:
                wrote = self._write(cid, job_id, app, agg.plain(), report)
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
                continue
            logger.info(
                "application scored",
                extra={"candidate_id": cid, "job_id": job_id, "match_score": report["match_score"], "wrote": wrote},
            )
            return report
        raise RuntimeError("application kept changing while being scored")

    def _write(
        self, cid: str, job_id: str, app: dict[str, Any], scores: dict[str, float], report: dict[str, Any]
    ) -> bool:
        """One transaction: the application's scores and match, the job's histogram and counters."""
        t = self.jobs.transition(app, recommendation=report["recommendation"])
        old, new = app.get("match_score"), report["match_score"]
        if (
            app.get("counted") == t.values[":cnt_new"]
            and old == new
            and _same(app.get("scores"), scores)
            and _same(app.get("match"), report)
        ):
            return False  # nothing changed (a re-score of the whole job mostly ends here)
        values: dict[str, Any] = {
            ":scores": scores,
            ":match": report,
            ":ms": new,
            ":rec": report["recommendation"],
            ":g1s": keys.match_sort_key(new, cid),
            ":v": int(app.get("score_version", 0)) + 1,
            **t.values,
        }
        cond = "attribute_exists(pk) AND " + t.condition + " AND "
        if "score_version" in app:
            cond += "score_version = :old"
            values[":old"] = int(app["score_version"])
        else:
            cond += "attribute_not_exists(score_version)"
        sets = "SET scores = :scores, #m = :match, gsi1sk = :g1s, score_version = :v, " + t.set_clause
        sets += ", match_score = :ms" if new is not None else ""
        sets += ", recommendation = :rec" if report["recommendation"] is not None else ""
        removes = [n for n, v in (("match_score", new), ("recommendation", report["recommendation"])) if v is None]
        update = sets + (" REMOVE " + ", ".join(removes) if removes else "")
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": keys.application(cid, job_id),
                    "UpdateExpression": update,
                    "ConditionExpression": cond,
                    "ExpressionAttributeNames": {"#m": "match"},
                    # only the placeholders the expressions use (None values are dropped by to_ddb)
                    "ExpressionAttributeValues": {k: v for k, v in to_ddb(values).items() if k in update or k in cond},
                }
            }
        ]
        deltas = dict(t.deltas)
        if old is not None:
            deltas[bucket(old)] = deltas.get(bucket(old), 0) - 1
        if new is not None:
            deltas[bucket(new)] = deltas.get(bucket(new), 0) + 1
        job = self.jobs.job_update(job_id, deltas)
        if job:
            items.append(job)
        self._table.meta.client.transact_write_items(TransactItems=items)
        return True


def send_batch(sqs: Any, queue_url: str, messages: list[dict[str, Any]]) -> None:
    """Send in batches of ten (the SQS maximum); entries SQS refuses are retried once, then raise."""
    for i in range(0, len(messages), 10):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps(m, separators=(",", ":"))}
            for n, m in enumerate(messages[i : i + 10])
        ]
        for _ in range(2):
            out = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            failed = {f["Id"] for f in out.get("Failed", [])}
            entries = [e for e in entries if e["Id"] in failed]
            if not entries:
                break
        if entries:
            raise RuntimeError(f"{len(entries)} score messages could not be queued")


class JobRescoreFanout:
    """Re-scores every application of a job without one long loop.

    A {"kind": "job", "job_id", "cursor"?} message reads the job's applications from gsi1 a
    page at a time and sends one {"kind": "application"} message each, ten to a batch. After
    `max_pages` pages, or when the function is close to its time limit, it sends itself a
    continuation message carrying the index cursor and stops: each invocation does a bounded
    amount of work, and the per-application scoring is spread over many invocations.
    """

    def __init__(
        self, table: Any, sqs: Any, queue_url: str, *, page_size: int = 100, max_pages: int = 10, reserve_ms: int = 5000
    ) -> None:
        self._table, self._sqs, self._url = table, sqs, queue_url
        self.page_size, self.max_pages, self.reserve_ms = page_size, max_pages, reserve_ms

    def run(self, job_id: str, cursor: dict[str, Any] | None, remaining_ms: Callable[[], int]) -> int:
        start = cursor
        sent = 0
        for _ in range(self.max_pages):
            kwargs: dict[str, Any] = {
                "IndexName": "gsi1",
                "KeyConditionExpression": Key("gsi1pk").eq(keys.job_candidates_pk(job_id)),
                "ProjectionExpression": "candidate_id",
                "Limit": self.page_size,
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            out = self._table.query(**kwargs)
            send_batch(
                self._sqs,
                self._url,
                [{"kind": "application", "candidate_id": i["candidate_id"], "job_id": job_id} for i in out["Items"]],
            )
            sent += len(out["Items"])
            start = out.get("LastEvaluatedKey")
            if not start:
                logger.info("job re-score fanned out", extra={"job_id": job_id, "sent": sent, "done": True})
                return sent
            if remaining_ms() < self.reserve_ms:
                break
        send_batch(self._sqs, self._url, [{"kind": "job", "job_id": job_id, "cursor": from_ddb(start)}])
        logger.info("job re-score continues", extra={"job_id": job_id, "sent": sent, "done": False})
        return sent
