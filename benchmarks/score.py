"""Match-scoring throughput on one core, beside pydantic validation of the same results alone.

For each application: combine its vendors' results (shared/scoring/aggregate.py) and match
them against a 6-competency talent profile (shared/scoring/match.py), reasons included.
Baseline: validating the same results as CanonicalResult models (what every result costs on
arrival anyway). The ratio says how many validations one scoring costs.

    .venv/bin/python benchmarks/score.py [--apps 2000] [--seconds 3]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from shared.models.domain import Job, Requirement, Thresholds
from shared.models.results import CanonicalResult
from shared.scoring.aggregate import aggregate
from shared.scoring.match import compute_match

CODES = ["logical_thinking", "stress_tolerance", "communication", "teamwork", "problem_solving", "learning_agility"]
VENDORS = ["acme", "zhiping"]


def job() -> Job:
    reqs = [
        Requirement(code="logical_thinking", weight=0.3, min=80, must_have=True),
        Requirement(code="stress_tolerance", weight=0.2, min=70),
        Requirement(code="communication", weight=0.2),
        Requirement(code="teamwork", weight=0.1),
        Requirement(code="problem_solving", weight=0.1, min=60),
        Requirement(code="learning_agility", weight=0.1),
    ]
    return Job(
        job_id="JOB-7", competencies=reqs, thresholds=Thresholds(hire=80, second_interview=65), profile_defined=True
    )


def applications(n: int, rng: random.Random) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Per application: (stored results as the scorer reads them, raw results as pydantic validates them)."""
    out = []
    for a in range(n):
        stored, raw = [], []
        for v in VENDORS:
            dims = {c: round(rng.uniform(40, 100), 1) for c in CODES}
            stored.append(
                {
                    "vendor": v,
                    "result_id": f"r{a}{v}",
                    "revision": 1,
                    "completed_at": "2026-11-20",
                    "dimensions": [{"code": c, "normalized": s} for c, s in dims.items()],
                }
            )
            raw.append(
                {
                    "kind": "completed",
                    "vendor": v,
                    "vendor_result_id": f"R{a}",
                    "revision": 1,
                    "candidate": {"external_id": f"C{a}"},
                    "job": {"external_id": "JOB-7"},
                    "dimensions": [
                        {"code": c, "label": c, "score": s, "scale_min": 0, "scale_max": 100} for c, s in dims.items()
                    ],
                }
            )
        out.append((stored, raw))
    return out


def rate(fn: Callable[[int], None], n: int, seconds: float) -> float:
    """Items per second, running fn over the n items repeatedly for about `seconds`."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(n)
        done += n
    return done / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apps", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    rng = random.Random(1)
    apps = applications(args.apps, rng)
    profile = job()

    def score(n: int) -> None:
        for stored, _ in apps[:n]:
            compute_match(profile, aggregate(stored))

    def validate(n: int) -> None:
        for _, raw in apps[:n]:
            for r in raw:
                CanonicalResult.model_validate(r)

    score(50), validate(50)  # warm up
    results_per_app = len(VENDORS)
    s_apps = rate(score, args.apps, args.seconds)
    v_results = rate(validate, args.apps, args.seconds) * results_per_app
    s_results = s_apps * results_per_app
    print(
        f"match scoring: {s_apps:,.0f} applications/s = {s_results:,.0f} results/s "
        f"({results_per_app} vendors × {len(CODES)} competencies each, reasons in zh and en)"
    )
    print(f"baseline, pydantic validation of the same results alone: {v_results:,.0f} results/s")
    print(f"ratio scoring / validation: {s_results / v_results:.2f} (one core, {args.apps} applications)")


if __name__ == "__main__":
    main()
