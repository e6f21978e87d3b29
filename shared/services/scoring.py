"""Re-scoring one application: combine its results, match the job, keep the histogram current."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.crypto.encryptor import Encryptor
from shared.observability import logger
from shared.scoring.aggregate import aggregate
from shared.scoring.match import compute_match
from shared.scoring.percentile import bucket
from shared.storage import keys
from shared.storage.candidates import CandidateRepository
from shared.storage.ddb import is_conditional_failure, to_ddb
from shared.storage.jobs import JobRepository


class ApplicationScorer:
    def __init__(
        self,
        candidates: CandidateRepository,
        jobs: JobRepository,
        table: Any,
        encryptor: Encryptor | None = None,
    ) -> None:
        self.candidates, self.jobs, self._table = candidates, jobs, table

    def rescore(self, cid: str, job_id: str, attempts: int = 5) -> dict[str, Any] | None:
        for _ in range(attempts):
            app = self.candidates.get_application(cid, job_id)
            if app is None:
                return None
            results = [r for r in self.candidates.partition(cid, "RES#") if r.get("job_id") == job_id]
            agg = aggregate(results)
            report = compute_match(self.jobs.find(job_id), agg)
            try:
                self._write(cid, job_id, app, agg.plain(), report.to_dict())
                logger.info(
                    "application scored",
                    extra={"candidate_id": cid, "job_id": job_id, "match_score": report.match_score},
                )
                return report.to_dict()
            except ClientError as exc:
                if not is_conditional_failure(exc):
                    raise
        raise RuntimeError("application kept changing while being scored")

    def _write(
        self, cid: str, job_id: str, app: dict[str, Any], scores: dict[str, float], report: dict[str, Any]
    ) -> None:
        old = app.get("match_score")
        new = report["match_score"]
        values: dict[str, Any] = {
            ":scores": scores,
            ":match": report,
            ":ms": new,
            ":rec": report["recommendation"],
            ":g1s": keys.match_sort_key(new, cid),
            ":v": int(app.get("score_version", 0)) + 1,
        }
        cond = "attribute_exists(pk) AND "
        if "score_version" in app:
            cond += "score_version = :old"
            values[":old"] = int(app["score_version"])
        else:
            cond += "attribute_not_exists(score_version)"
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": keys.application(cid, job_id),
                    "UpdateExpression": "SET scores = :scores, #m = :match, match_score = :ms, recommendation = :rec, "
                    "gsi1sk = :g1s, score_version = :v",
                    "ConditionExpression": cond,
                    "ExpressionAttributeNames": {"#m": "match"},
                    "ExpressionAttributeValues": to_ddb(values),
                }
            }
        ]
        moves: dict[str, int] = {}
        if old is not None:
            moves[bucket(old)] = moves.get(bucket(old), 0) - 1
        if new is not None:
            moves[bucket(new)] = moves.get(bucket(new), 0) + 1
        moves = {k: v for k, v in moves.items() if v}
        if moves:
            items.append(
                {
                    "Update": {
                        "TableName": self._table.name,
                        "Key": keys.job(job_id),
                        "UpdateExpression": "ADD " + ", ".join(f"{b} :{b}" for b in moves),
                        "ExpressionAttributeValues": {f":{b}": n for b, n in moves.items()},
                    }
                }
            )
        self._table.meta.client.transact_write_items(TransactItems=items)
