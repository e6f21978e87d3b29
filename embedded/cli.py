"""`hirelens` — the embedded stack's command line (CONTRACT §1)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def _serve(args: argparse.Namespace) -> int:
    import warnings

    from embedded import state

    # Powertools warns on every invocation that published no metric; metrics are off locally
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from embedded.stack import EmbeddedStack

    stack = EmbeddedStack(host=args.host, port=args.port).start()
    assert stack.settings is not None
    state.write(f"http://{stack.moto.host}:{stack.moto.port}", stack.moto.port, stack.url, stack.settings.to_env())
    stopping = threading.Event()

    def _stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        if args.demo:
            from embedded.demo import seed
            from embedded.tokens import mint

            summary = seed(stack.url)
            print(f"demo company seeded: {summary}", flush=True)
            print(f"API        {stack.url}/v1", flush=True)
            print(f"OpenAPI    {stack.url}/v1/openapi.json", flush=True)
            print(f"HR token   {mint('hr', sub='demo-hr', ttl=12 * 3600)}", flush=True)
        print(f"ready {stack.url}", flush=True)
        stopping.wait()
    finally:
        state.remove()
        stack.stop()
    return 0


def _redrive(args: argparse.Namespace) -> int:
    """Move dead-lettered messages back to their queue on the running local stack."""
    import json
    import os

    from embedded import state
    from embedded.aws import aws_env

    found = state.read()
    os.environ.update({**aws_env(found["endpoint"], int(found["moto_port"])), **found["env"]})
    from shared.errors import NotFound
    from shared.wiring import reset, services

    reset()
    redriver = services().redriver
    try:
        moved = redriver.redrive(args.queue, args.max)
    except NotFound as exc:
        print(exc, file=sys.stderr)
        return 2
    print(json.dumps({"moved": moved, "dlq": redriver.counts()}))
    return 0


def _token(args: argparse.Namespace) -> int:
    from embedded.tokens import mint

    print(mint(args.role, sub=args.sub, department=args.department, candidate_id=args.candidate, ttl=args.ttl))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hirelens", description="hirelens embedded stack")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the whole stack on this machine (moto stands in for AWS)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="seed a demo company through the webhook path")
    serve.set_defaults(fn=_serve)
    token = sub.add_parser("token", help="print a bearer token the local stack accepts")
    token.add_argument(
        "--role", required=True, choices=["hr_admin", "hr", "interviewer", "candidate", "finance", "auditor"]
    )
    token.add_argument("--sub")
    token.add_argument("--department")
    token.add_argument("--candidate")
    token.add_argument("--ttl", type=int, default=3600)
    token.set_defaults(fn=_token)
    redrive = sub.add_parser("redrive", help="move dead-lettered messages back to their queue (running local stack)")
    redrive.add_argument("--queue", help="ingest, score, media, ...; every queue when left out")
    redrive.add_argument("--max", type=int, help="at most this many messages per queue")
    redrive.set_defaults(fn=_redrive)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
