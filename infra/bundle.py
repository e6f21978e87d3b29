"""Prepares the folders that become the Lambda code asset and the dependency layer.

Docker bundling cannot run here, so the asset is a plain folder: a copy of the runtime
packages only. The dependency layer is built with pip for the Lambda platform only when asked
(`HIRELENS_BUILD_LAYER=1`, before `cdk deploy`); tests and offline synths get a placeholder, so
a synth never reaches a package registry.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

# The packages a function may import; everything else (tests, infra, embedded) stays out.
RUNTIME_PACKAGES = ("shared", "functions")
# Must name the same Python as the functions' runtime (infra/constructs/functions.py).
LAMBDA_PYTHON_VERSION = "3.12"
# Lambda's Python 3.12 runs on Amazon Linux 2023 (glibc 2.34): both wheel tags load there.
LAMBDA_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")

_IGNORE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.pyo", "tests", "conftest.py", ".pytest_cache", ".mypy_cache", "*.egg-info"
)
PLACEHOLDER = "PLACEHOLDER.txt"


@dataclass(frozen=True)
class Bundle:
    code: Path
    layer: Path
    layer_built: bool


def prepare(root: Path, dest: Path, *, build_layer: bool) -> Bundle:
    """Lay out `dest/code` (runtime packages) and `dest/layer` (dependencies), replacing both."""
    code = _fresh(dest / "code")
    for package in RUNTIME_PACKAGES:
        shutil.copytree(root / package, code / package, ignore=_IGNORE)
    layer = _fresh(dest / "layer")
    site = layer / "python"  # the folder Lambda adds to sys.path for a layer
    site.mkdir()
    if build_layer:
        _pip_install(runtime_dependencies(root), site)
    else:
        (site / PLACEHOLDER).write_text(
            "No dependencies: built without HIRELENS_BUILD_LAYER=1, fit for synth and tests only.\n"
        )
    return Bundle(code=code, layer=layer, layer_built=build_layer)


def runtime_dependencies(root: Path) -> list[str]:
    """The `[project].dependencies` of pyproject.toml: the one list of what the functions import."""
    with (root / "pyproject.toml").open("rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])


def _pip_install(requirements: list[str], target: Path) -> None:
    platforms = [arg for platform in LAMBDA_PLATFORMS for arg in ("--platform", platform)]
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--target", str(target), *platforms, "--implementation", "cp",
            "--python-version", LAMBDA_PYTHON_VERSION, "--only-binary=:all:", *requirements,
        ],
        check=True,
    )  # fmt: skip


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
