"""Cold-start benchmark: import time of each Lambda handler module, against `import boto3` alone.

Each import runs in a fresh interpreter (as a new Lambda container would), after one warm-up
run so byte-code compilation is not counted; the median of `--runs` is reported.

    .venv/bin/python benchmarks/coldstart.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embedded.runtime import FUNCTIONS  # noqa: E402

PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_time(module: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def median_of(module: str, runs: int) -> float:
    import_time(module)  # warm-up: compiles .pyc files once
    return statistics.median(import_time(module) for _ in range(runs))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh interpreters per module (median)")
    args = parser.parse_args(argv)
    base = median_of("boto3", args.runs)
    modules = sorted({handler.rpartition(".")[0]: name for name, handler in FUNCTIONS.items()}.items())
    print(f"cold-start imports, median of {args.runs} fresh interpreters (baseline: import boto3)")
    print(f"{'function':12} {'module':34} {'ms':>8} {'ratio':>8}")
    print(f"{'(baseline)':12} {'boto3':34} {base * 1000:8.1f} {1.0:7.2f}x")
    for module, name in modules:
        try:
            t = median_of(module, args.runs)
        except subprocess.CalledProcessError as exc:
            print(f"{name:12} {module:34} {'failed':>8}  {exc.stderr.strip().splitlines()[-1][:60]}")
            continue
        print(f"{name:12} {module:34} {t * 1000:8.1f} {t / base:7.2f}x")


if __name__ == "__main__":
    sys.exit(main())
