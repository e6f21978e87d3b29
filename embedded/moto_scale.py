"""moto in a child process, with DynamoDB costing what DynamoDB costs (for benchmarks).

The embedded stack normally runs moto in its own process; benchmarks run it in a child so
that timings, tracemalloc and the interpreter lock see only hirelens' side, and patch two
costs of the emulator that grow with the whole table (see `dynamodb_costs_like_dynamodb`).

    python -m embedded.moto_scale PORT [--stock]   # prints "ready", serves until stdin closes
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from embedded.aws import MotoServer, free_port


def dynamodb_costs_like_dynamodb() -> None:
    """Make moto's DynamoDB cost what DynamoDB's does, so the figures measure hirelens.

    Two costs of the emulator grow with the whole table, so a run of N results would grow
    quadratically (N = 1,000 did not finish in 13 minutes on two cores):

    - `TransactWriteItems` snapshots every table it touches with `copy.deepcopy` (once per
      item) for its rollback; here only the touched items are snapshotted and restored.
    - a `Query` on the table's own key lists and sorts *all* items to pick one partition;
      here it reads that partition only (index queries are left as they are).

    Both also race concurrent writers (500s from "dictionary changed size during
    iteration"); the copies below are taken under retries.
    """
    import copy
    import inspect

    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class _NoTableCopy:
        @staticmethod
        def deepcopy(x: Any, memo: Any = None) -> Any:
            return x if isinstance(x, Table) else copy.deepcopy(x, memo)

    models.copy = _NoTableCopy  # type: ignore[assignment]
    original_transact = DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            attrs = op["Item"] if op_type == "Put" else op["Key"]
            hk = DynamoType(attrs[table.hash_key_attr])
            rk = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
            snapshots.append((table, hk, rk, copy.deepcopy(table.get_item(hk, rk))))
        with lock:
            try:
                original_transact(self, transact_items)
            except Exception:
                for table, hk, rk, item in reversed(snapshots):
                    if item is None:
                        table.delete_item(hk, rk)
                    elif rk is not None:
                        table.items[hk][rk] = item
                    else:
                        table.items[hk] = item
                raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

    one_partition = threading.local()
    original_all_items = Table.all_items

    def all_items(self: Any) -> list[Any]:
        hk = getattr(one_partition, "hash_key", None)
        if hk is not None and id(getattr(one_partition, "table", None)) == id(self):
            bucket = self.items.get(hk)
            if bucket is None:
                return []
            return sorted(bucket.values(), key=lambda x: x.range_key) if self.range_key_attr else [bucket]
        for _ in range(10):
            try:
                return original_all_items(self)
            except RuntimeError:  # a writer changed the table while it was being listed
                continue
        return original_all_items(self)

    Table.all_items = all_items  # type: ignore[method-assign]
    original_query = Table.query
    query_signature = inspect.signature(original_query)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = query_signature.bind(self, *args, **kwargs)
        if bound.arguments.get("index_name"):
            return original_query(self, *args, **kwargs)
        one_partition.hash_key, one_partition.table = bound.arguments["hash_key"], self
        try:
            return original_query(self, *args, **kwargs)
        finally:
            one_partition.hash_key = one_partition.table = None

    Table.query = query  # type: ignore[method-assign]


@dataclass
class ChildMoto(MotoServer):
    """The embedded stack's moto server, started in a child process."""

    stock: bool = False

    def start(self) -> str:
        self.port = self.port or free_port(self.host)
        args = [sys.executable, "-m", "embedded.moto_scale", str(self.port), *(["--stock"] if self.stock else [])]
        env = {**os.environ, "MOTO_PORT": str(self.port)}  # moto's Step Functions runner calls back on it
        self._child = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        assert self._child.stdout is not None
        if self._child.stdout.readline().strip() != "ready":
            raise SystemExit("moto did not start")
        endpoint = f"http://{self.host}:{self.port}"
        config = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
        httpx.post(f"{endpoint}/moto-api/config", json=config, timeout=10).raise_for_status()
        return endpoint

    def stop(self) -> None:
        assert self._child.stdin is not None
        self._child.stdin.close()
        self._child.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    import logging

    from embedded.moto_atomic import AtomicMotoServer

    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--stock", action="store_true", help="leave moto's DynamoDB costs as they are")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if not args.stock:
        dynamodb_costs_like_dynamodb()
    server = AtomicMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


if __name__ == "__main__":
    main()
