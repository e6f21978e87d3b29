"""Every DynamoDB key hirelens writes, built in one place (docs/storage.md explains the design)."""

from __future__ import annotations

PROFILE = "PROFILE"


def vendor(name: str) -> dict[str, str]:
    return {"pk": f"VENDOR#{name}", "sk": "VENDOR"}


def event(vendor_name: str, event_hash: str) -> dict[str, str]:
    return {"pk": f"EVENT#{vendor_name}#{event_hash}", "sk": "EVENT"}


def quarantine(item_id: str) -> dict[str, str]:
    return {"pk": f"QUAR#{item_id}", "sk": "QUAR"}


def identity(kind: str, blind: str) -> dict[str, str]:
    return {"pk": f"IDENT#{kind}#{blind}", "sk": "IDENT"}


def candidate_pk(candidate_id: str) -> str:
    return f"CAND#{candidate_id}"


def profile(candidate_id: str) -> dict[str, str]:
    return {"pk": candidate_pk(candidate_id), "sk": PROFILE}


def application(candidate_id: str, job_id: str) -> dict[str, str]:
    return {"pk": candidate_pk(candidate_id), "sk": f"APP#{job_id}"}


def result(candidate_id: str, result_id: str) -> dict[str, str]:
    return {"pk": candidate_pk(candidate_id), "sk": f"RES#{result_id}"}


def candidate_event(candidate_id: str, event_ref: str) -> dict[str, str]:
    return {"pk": candidate_pk(candidate_id), "sk": f"EVT#{event_ref}"}


def annotation(candidate_id: str, created_at: str, annotation_id: str) -> dict[str, str]:
    """A reviewer's note on a candidate, in the candidate's partition (erased with it), oldest first."""
    return {"pk": candidate_pk(candidate_id), "sk": f"ANN#{created_at}#{annotation_id}"}


def candidate_export(candidate_id: str, export_id: str) -> dict[str, str]:
    """Links an export file (its `s3_key`) to each candidate in it, so erasure deletes the file."""
    return {"pk": candidate_pk(candidate_id), "sk": f"EXP#{export_id}"}


def erased_identity(kind: str, blind: str) -> dict[str, str]:
    """Tombstone of an erased identity: events received before `erased_at` are dropped."""
    return {"pk": f"ERASED#{kind}#{blind}", "sk": "ERASED"}


def company_setting(name: str) -> dict[str, str]:
    """A company-wide setting changed through the API (candidate view, retention)."""
    return {"pk": "CONFIG", "sk": name}


def import_job(import_id: str) -> dict[str, str]:
    """A batch import's status, counters, row errors and resume cursor (docs/imports.md)."""
    return {"pk": f"IMPORT#{import_id}", "sk": "IMPORT"}


def result_pointer(result_id: str) -> dict[str, str]:
    return {"pk": f"RID#{result_id}", "sk": "RID"}


def job(job_id: str) -> dict[str, str]:
    return {"pk": f"JOB#{job_id}", "sk": "JOB"}


def pull(vendor_name: str) -> dict[str, str]:
    """A vendor's API-pull configuration and saved cursor (docs/api-pull.md)."""
    return {"pk": f"VENDOR#{vendor_name}", "sk": "PULL"}


# collections on gsi2
VENDORS = "VENDORS"
JOBS = "JOBS"
QUARANTINE = "QUARANTINE"
PULLS = "PULLS"  # vendors configured for API pull, listed by the scheduled puller


def job_candidates_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def match_sort_key(match_score: float | None, candidate_id: str) -> str:
    """gsi1sk: descending on the index gives best match first; unscored sort last."""
    if match_score is None:
        return f"!#{candidate_id}"
    return f"{match_score:07.3f}#{candidate_id}"


def inbox_pk(department: str) -> str:
    return f"INBOX#{department}"


# review workflow (docs/workflow.md)
DEPARTMENTS = "DEPTS"  # gsi2 collection: every department that has applications or channels
OUTCOMES = "OUTCOMES"  # gsi2 collection: applications with a known outcome, by job (calibration)


def department(name: str) -> dict[str, str]:
    return {"pk": f"DEPT#{name}", "sk": "DEPT"}


def department_channels(name: str) -> dict[str, str]:
    """A department's notification channels (secrets KMS-sealed) and their delivery status."""
    return {"pk": f"DEPT#{name}", "sk": "CHANNELS"}


def interview_inbox_pk(department_name: str) -> str:
    """gsi3 partition of applications in second interview: the department's interviewers' inbox."""
    return f"INTERVIEW#{department_name}"


def feedback(candidate_id: str, job_id: str, created_at: str, feedback_id: str) -> dict[str, str]:
    return {"pk": candidate_pk(candidate_id), "sk": f"FB#{job_id}#{created_at}#{feedback_id}"}


def outcome(candidate_id: str, job_id: str) -> dict[str, str]:
    """What became of one application, beside what the AI recommended (calibration input)."""
    return {"pk": candidate_pk(candidate_id), "sk": f"OUT#{job_id}"}


# keys table
def data_key(subject: str) -> dict[str, str]:
    return {"pk": f"DEK#{subject}"}


def branch_key(version: int) -> dict[str, str]:
    return {"pk": f"BRANCH#{version:06d}"}


BRANCH_ACTIVE = {"pk": "BRANCH#ACTIVE"}
BLIND_INDEX_KEY = {"pk": "BLIND#v1"}


def audit_pk(candidate_id: str) -> str:
    return f"AUDIT#{candidate_id}"


def audit(candidate_id: str, seq: int) -> dict[str, str]:
    return {"pk": audit_pk(candidate_id), "sk": f"{seq:010d}"}
