"""JobRepository: jobs and their talent profiles."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.errors import NotFound
from shared.models.domain import Job
from shared.storage import keys
from shared.storage.ddb import from_ddb, is_conditional_failure, to_ddb


class JobRepository:
    def __init__(self, table: Any) -> None:
        self._table = table

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

    def put(self, job: Job, now: str) -> bool:
        """Create or replace; True when the job was new."""
        item = to_ddb(
            {
                **keys.job(job.job_id),
                "gsi2pk": keys.JOBS,
                "gsi2sk": job.job_id,
                **job.model_dump(mode="json"),
                "updated_at": now,
            }
        )
        old = self._table.put_item(Item=item, ReturnValues="ALL_OLD").get("Attributes")
        return old is None

    def get(self, job_id: str) -> Job:
        item = self._table.get_item(Key=keys.job(job_id)).get("Item")
        if item is None:
            raise NotFound("job not found")
        return Job.model_validate(from_ddb(item))

    def find(self, job_id: str) -> Job | None:
        try:
            return self.get(job_id)
        except NotFound:
            return None

    def list(self, limit: int, start: dict[str, Any] | None) -> tuple[list[Job], dict | None]:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": {":p": keys.JOBS},
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        out = self._table.query(**kwargs)
        return [Job.model_validate(from_ddb(i)) for i in out["Items"]], out.get("LastEvaluatedKey")
