"""An acknowledged write survives kill -9: a burst of writes, a SIGKILL mid-burst, a restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tests.support.server import ServerProcess, boto_config

ACCOUNT = "410987654321"


def _iam(proc: ServerProcess) -> Any:
    return boto3.client(
        "iam",
        endpoint_url=proc.endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
        config=boto_config(connect_timeout=2, read_timeout=5),
    )


def test_every_acknowledged_write_survives_kill_9(tmp_path: Path, database_url_factory: Any) -> None:
    proc = ServerProcess(tmp_path / "data", database_url=database_url_factory(), workers=2).start()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        iam = _iam(proc)
        i = 0
        while not stop.is_set():
            name = f"w{n}-{i}"
            i += 1
            try:
                iam.create_user(UserName=name)
            except (ClientError, BotoCoreError, OSError):
                continue
            with lock:
                acknowledged.append(name)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    with lock:
        survivors = list(acknowledged)
    assert len(survivors) >= 50, "the burst did not get going"

    proc.start()
    try:
        stored: set[str] = set()
        for page in _iam(proc).get_paginator("list_users").paginate():
            stored |= {u["UserName"] for u in page["Users"]}
        missing = [name for name in survivors if name not in stored]
        assert missing == [], f"{len(missing)} acknowledged writes lost: {missing[:5]}"
    finally:
        proc.stop()
