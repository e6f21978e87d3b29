"""CDK app: `cdk synth` (cdk.json runs `python infra/app.py`), or `cd infra && python app.py`.

Set HIRELENS_BUILD_LAYER=1 before `cdk deploy` so the dependency layer is really built.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Run as a script, this folder is on sys.path, and its `constructs` package would shadow the
# `constructs` library; the repository root must be there instead, for `infra` and `shared`.
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aws_cdk import App, Environment  # noqa: E402

from infra import bundle  # noqa: E402
from infra.stack import HirelensStack  # noqa: E402

STACK_NAME = "Hirelens"


def build_app(outdir: Path | None = None, *, build_layer: bool = False) -> App:
    """The app with its stack; the asset folders are laid out under `<outdir>/.bundle`."""
    # The CDK CLI names the output folder in CDK_OUTDIR; App refuses any other.
    cli_outdir = os.environ.get("CDK_OUTDIR")
    out = Path(outdir or cli_outdir or ROOT / "cdk.out").resolve()
    prepared = bundle.prepare(ROOT, out / ".bundle", build_layer=build_layer)
    app = App(outdir=cli_outdir if cli_outdir and outdir is None else str(out))
    HirelensStack(
        app,
        STACK_NAME,
        bundle=prepared,
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    return app


def main() -> None:
    build_app(build_layer=os.environ.get("HIRELENS_BUILD_LAYER") == "1").synth()


if __name__ == "__main__":
    main()
