"""`.hirelens/stack.json`: where a running `hirelens serve` is, for commands such as `hirelens redrive`.

It holds the moto endpoint and the settings (resource names); no secret: moto's credentials
are the fixed `testing` ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from embedded.tokens import state_dir

FILE = "stack.json"


def path() -> Path:
    return state_dir() / FILE


def write(endpoint: str, moto_port: int, api_url: str, settings_env: dict[str, str]) -> Path:
    target = path()
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    data = {"endpoint": endpoint, "moto_port": moto_port, "api_url": api_url, "pid": os.getpid(), "env": settings_env}
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    tmp.replace(target)
    return target


def read() -> dict[str, Any]:
    try:
        return dict(json.loads(path().read_text()))
    except FileNotFoundError:
        raise SystemExit("no running local stack found: start one with `hirelens serve`") from None


def remove() -> None:
    target = path()
    try:
        if json.loads(target.read_text()).get("pid") == os.getpid():
            target.unlink()
    except (FileNotFoundError, ValueError):
        pass
