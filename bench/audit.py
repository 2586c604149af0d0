"""The audit trail's cost per recorded event.

    python bench/audit.py [--mode ids] [--events 40000] [--batch 200] [--database-url URL]
    python bench/audit.py --mode writer [--rate 4400] [--seconds 4] [--rounds 3]
                          [--baseline-src DIR] [--batch N] [--database-url URL]
    python bench/audit.py --mode records [--events 40000] [--batch N] [--callgrind]

`--mode ids` (the default) records the same CloudTrail-shaped entries through `AuditTrail` (group
commits of `--batch` records, drained in this thread so that every commit holds exactly one batch;
SQLite in WAL mode with synchronous=FULL unless a database URL is given) twice, into fresh
databases: once with random version-4 UUIDs as event ids (the baseline: what ids were before) and
once with `ids.event_id()` (time-ordered version-7 UUIDs). Prints the process CPU (user and
system) and wall time per event for each, and the ratios.

`--mode writer` measures what the server's audit thread spends per request. A started
`AuditTrail` with its default settings (or `--batch`) receives, at `--rate` records a second for
`--seconds`, what `Gateway._record` queues for a KMS Encrypt of 64 bytes by the dev root
principal: `build_entry` bound to the call's keyword arguments by `functools.partial`. The writer
thread builds, serializes and commits them. Prints that thread's CPU time per record (its own CPU
clock: the producer in the main thread is left out), the commits it made and the wall time to the
last commit. Each round runs in a fresh child process; with `--baseline-src DIR` (another
checkout's `src`, e.g. `git archive HEAD src | tar -x -C /tmp/base`) the rounds alternate between
that code and this tree's, so both see the same neighbours, and the ratio of the medians is
printed.

`--mode records` builds and commits the same queued Encrypt calls in this thread, `--batch` (500)
per commit, and prints CPU and wall time per record: deterministic enough to count instructions,

    PYTHONPATH=src valgrind --tool=callgrind --instr-atstart=no \
        .venv/bin/python bench/audit.py --mode records --events 3000 --callgrind

(the "Collected" line; `--callgrind` switches collection on for the measured part only).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

# This directory holds bench/secrets.py, which would shadow the standard library's `secrets`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from sqlalchemy import event  # noqa: E402

from strongroom.core.audit import AuditEntry, AuditTrail, audit_event_resources, audit_events  # noqa: E402
from strongroom.core.iam.ids import event_id, request_id  # noqa: E402
from strongroom.core.store import Database  # noqa: E402
from strongroom.core.store.schema import metadata  # noqa: E402

ACCOUNT = "000000000000"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SRC = Path(__file__).resolve().parent.parent / "src"


def record(event: str, request: str, when: datetime) -> dict[str, object]:
    """An Encrypt record as the gateway builds one (the size and shape matter, not the values)."""
    return {
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "Root",
            "principalId": ACCOUNT,
            "arn": f"arn:aws:iam::{ACCOUNT}:root",
            "accountId": ACCOUNT,
            "accessKeyId": "test",
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "kms.amazonaws.com",
        "eventName": "Encrypt",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "127.0.0.1",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1.0 lang/python#3.11.7",
        "requestParameters": {"keyId": KEY_ARN, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
        "responseElements": None,
        "requestID": request,
        "eventID": event,
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY_ARN}],
    }


def fresh_database(url: str) -> Database:
    db = Database(url)
    metadata.drop_all(db.engine, tables=[audit_event_resources, audit_events])
    metadata.create_all(db.engine, tables=[audit_events, audit_event_resources])
    return db


# -- mode "ids" -------------------------------------------------------------------------------------


def measure(new_id: Callable[[], str], events: int, batch: int, url: str) -> tuple[float, float, float]:
    """(user, system, wall) microseconds per event recorded and committed."""
    db = fresh_database(url)
    trail = AuditTrail(db, batch_size=batch)  # not started: flush() drains in this thread
    start = datetime.now(UTC)
    entries = []
    for i in range(events):
        ident = new_id()
        when = start + timedelta(microseconds=i)
        entries.append(
            AuditEntry(
                event_id=ident,
                account_id=ACCOUNT,
                region="us-east-1",
                event_time=when,
                event_source="kms.amazonaws.com",
                event_name="Encrypt",
                read_only=False,
                username="root",
                access_key_id="test",
                resources=(("AWS::KMS::Key", KEY_ARN),),
                record=record(ident, request_id(), when),
            )
        )
    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    for offset in range(0, events, batch):
        for entry in entries[offset : offset + batch]:
            trail.record(entry)
        trail.flush()  # one group commit per batch, as the writer thread makes under load
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    trail.stop()
    db.engine.dispose()
    scale = 1e6 / events
    return (
        (after.ru_utime - before.ru_utime) * scale,
        (after.ru_stime - before.ru_stime) * scale,
        wall * scale,
    )


def compare_ids(args: argparse.Namespace) -> int:
    def random_v4() -> str:
        return request_id()

    results = {}
    for label, new_id in (("random v4 ids (baseline)", random_v4), ("time-ordered v7 ids", event_id)):
        with tempfile.TemporaryDirectory() as work:
            url = args.database_url or f"sqlite:///{work}/audit.db"
            results[label] = measure(new_id, args.events, args.batch or 200, url)
    where = args.database_url or "SQLite (WAL, synchronous=FULL)"
    print(f"{args.events:,} events, {args.batch or 200} per commit, {where}")
    print(f"{'event ids':<26} {'user us':>8} {'sys us':>8} {'wall us':>8}")
    for label, (user, system, wall) in results.items():
        print(f"{label:<26} {user:>8.1f} {system:>8.1f} {wall:>8.1f}")
    (bu, bs, bw), (nu, ns, nw) = results.values()
    print(f"time-ordered / random: CPU {(nu + ns) / (bu + bs):.2f}x, wall {nw / bw:.2f}x")
    return 0


# -- mode "writer" ----------------------------------------------------------------------------------


def encrypt_call() -> Callable[[], Callable[[], AuditEntry]]:
    """What `Gateway._record` queues for a KMS Encrypt of 64 bytes by the dev root principal."""
    from strongroom.aws.models import load_service_model
    from strongroom.aws.trail import build_entry
    from strongroom.core.iam.principals import root_principal

    operation = load_service_model("kms").operation_model("Encrypt")
    principal = root_principal(ACCOUNT, "test")
    blob = os.urandom(186)  # the size of an Encrypt ciphertext of 64 bytes

    def queued() -> Callable[[], AuditEntry]:
        return partial(
            build_entry,
            event_id=event_id(),
            request_id=request_id(),
            event_time=datetime.now(UTC),
            service_host="kms.amazonaws.com",
            operation=operation,
            region="us-east-1",
            principal=principal,
            source_ip="127.0.0.1",
            user_agent="",
            request={"KeyId": KEY_ARN, "Plaintext": b"p" * 64},
            response={"CiphertextBlob": blob, "KeyId": KEY_ARN, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
            error=None,
            resources=[("AWS::KMS::Key", KEY_ARN)],
            invoked_by=None,
            host_header="127.0.0.1:8000",
            tls=False,
            additional_event_data={},
        )

    return queued


def records_run(events: int, batch: int | None, url: str, callgrind: bool) -> dict[str, float]:
    """Gateway-shaped Encrypt records built and committed in this thread, `batch` per commit.

    Deterministic enough for `valgrind --tool=callgrind --instr-atstart=no`: with `callgrind`
    set, instrumentation is switched on (`callgrind_control -i on`) for the measured part only.
    """
    db = fresh_database(url)
    trail = AuditTrail(db) if batch is None else AuditTrail(db, batch_size=batch)
    per_commit = batch or 500
    queued = encrypt_call()
    for _ in range(per_commit):
        trail.record(queued())
    trail.flush()  # load the model shapes and plans, prepare the statements: before the clock starts
    calls = [queued() for _ in range(events)]
    gc.collect()
    gc.freeze()
    if callgrind:
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    cpu_before = time.thread_time()
    began = time.perf_counter()
    for offset in range(0, events, per_commit):
        for call in calls[offset : offset + per_commit]:
            trail.record(call)
        trail.flush()
    wall = time.perf_counter() - began
    cpu = time.thread_time() - cpu_before
    if callgrind:
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
    trail.stop()
    db.engine.dispose()
    return {"records": events, "cpu_us": cpu * 1e6 / events, "wall_us": wall * 1e6 / events}


def writer_round(rate: int, seconds: float, batch: int | None, url: str) -> dict[str, Any]:
    """One round in this process: the writer thread's CPU per record, its commits, the wall time."""
    db = fresh_database(url)
    commits = 0

    def count(_conn: Any) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine, "commit", count)
    trail = AuditTrail(db) if batch is None else AuditTrail(db, batch_size=batch)
    queued = encrypt_call()
    queued()()  # load the model shapes and plans before the clock starts
    gc.collect()
    gc.freeze()  # as `strongroom serve` does after start-up
    trail.start()
    writer = next(t for t in threading.enumerate() if t.name == "strongroom-audit")
    assert writer.ident is not None
    clock = time.pthread_getcpuclockid(writer.ident)
    total = int(rate * seconds)
    tick = 0.002
    per_tick = max(1, round(rate * tick))
    cpu_before = time.clock_gettime(clock)
    began = time.perf_counter()
    sent = 0
    while sent < total:
        for _ in range(min(per_tick, total - sent)):
            trail.record(queued())
        sent += per_tick
        delay = began + sent / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    produced = time.perf_counter() - began
    trail.flush(timeout=60)
    wall = time.perf_counter() - began
    cpu = time.clock_gettime(clock) - cpu_before
    trail.stop()
    db.engine.dispose()
    import strongroom

    return {
        "source": str(Path(strongroom.__file__).resolve().parent.parent),
        "records": total,
        "cpu_us": cpu * 1e6 / total,
        "commits": commits,
        "produce_s": produced,
        "wall_s": wall,
    }


def compare_writers(args: argparse.Namespace) -> int:
    trees = [("this tree", SRC)]
    if args.baseline_src:
        trees.insert(0, ("baseline", Path(args.baseline_src).resolve()))
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in trees}
    for round_ in range(args.rounds):
        # Alternate which tree goes first: a round's second run meets a warmer page cache.
        for label, src in trees if round_ % 2 == 0 else trees[::-1]:
            with tempfile.TemporaryDirectory() as work:
                command = [sys.executable, __file__, "--mode", "writer-round", "--rate", str(args.rate)]
                command += ["--seconds", str(args.seconds), "--events", "0"]
                command += ["--database-url", args.database_url or f"sqlite:///{work}/audit.db"]
                if args.batch:
                    command += ["--batch", str(args.batch)]
                env = {**os.environ, "PYTHONPATH": str(src)}
                out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
            result = json.loads(out)
            if Path(result["source"]) != src:
                raise SystemExit(f"{label}: imported strongroom from {result['source']}, not {src}")
            results[label].append(result)
            print(
                f"round {round_ + 1} {label:<10} {result['cpu_us']:6.1f} us/record  "
                f"{result['commits']:4d} commits  wall {result['wall_s']:.2f} s",
                flush=True,
            )
    where = args.database_url or "SQLite (WAL, synchronous=FULL)"
    print(f"\n{args.rate:,} KMS Encrypt records/s for {args.seconds} s, {args.rounds} rounds, {where}")
    print(f"{'code':<10} {'writer CPU us/record (min / median / max)':>42} {'commits (median)':>17}")
    medians = {}
    for label, runs in results.items():
        cpu = sorted(r["cpu_us"] for r in runs)
        medians[label] = statistics.median(cpu)
        commits = statistics.median(r["commits"] for r in runs)
        print(f"{label:<10} {cpu[0]:>20.1f} / {medians[label]:5.1f} / {cpu[-1]:5.1f} {commits:>17.0f}")
    if args.baseline_src:
        print(f"this tree / baseline (medians): {medians['this tree'] / medians['baseline']:.2f}x")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--mode", choices=("ids", "writer", "writer-round", "records"), default="ids")
    parser.add_argument("--events", type=int, default=40_000, help="ids: events per id kind")
    parser.add_argument("--batch", type=int, help="records per group commit (ids: 200; writer: default)")
    parser.add_argument("--database-url", help="a scratch database (default: SQLite in a temporary dir)")
    parser.add_argument("--rate", type=int, default=4_400, help="writer: records queued per second")
    parser.add_argument("--seconds", type=float, default=4.0, help="writer: how long records are queued")
    parser.add_argument("--rounds", type=int, default=3, help="writer: rounds per code tree")
    parser.add_argument("--baseline-src", help="writer: the `src` directory of the code to compare with")
    parser.add_argument("--callgrind", action="store_true", help="records: toggle callgrind's collection")
    args = parser.parse_args(argv)
    if args.mode == "writer-round":
        with tempfile.TemporaryDirectory() as work:
            url = args.database_url or f"sqlite:///{work}/audit.db"
            print(json.dumps(writer_round(args.rate, args.seconds, args.batch, url)))
        return 0
    if args.mode == "writer":
        return compare_writers(args)
    if args.mode == "records":
        with tempfile.TemporaryDirectory() as work:
            url = args.database_url or f"sqlite:///{work}/audit.db"
            result = records_run(args.events, args.batch, url, args.callgrind)
        records, cpu, wall = result["records"], result["cpu_us"], result["wall_us"]
        print(f"{records:,} records: {cpu:.1f} us CPU, {wall:.1f} us wall each")
        return 0
    return compare_ids(args)


if __name__ == "__main__":
    raise SystemExit(main())
