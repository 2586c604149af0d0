"""The audit trail's write cost per recorded event, by the kind of event id.

    python bench/audit.py [--events 40000] [--batch 200] [--database-url URL]

Records the same CloudTrail-shaped entries through `AuditTrail` (group commits of `--batch`
records, drained in this thread so that every commit holds exactly one batch; SQLite in WAL
mode with synchronous=FULL unless a database URL is given) twice, into fresh databases: once
with random version-4 UUIDs as event ids (the baseline: what ids were before) and once with
`ids.event_id()` (time-ordered version-7 UUIDs).
Prints the process CPU (user and system) and wall time per event for each, and the ratios.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

# This directory holds bench/secrets.py, which would shadow the standard library's `secrets`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from strongroom.core.audit import AuditEntry, AuditTrail, audit_event_resources, audit_events  # noqa: E402
from strongroom.core.iam.ids import event_id, request_id  # noqa: E402
from strongroom.core.store import Database  # noqa: E402
from strongroom.core.store.schema import metadata  # noqa: E402

ACCOUNT = "000000000000"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


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


def measure(new_id: Callable[[], str], events: int, batch: int, url: str) -> tuple[float, float, float]:
    """(user, system, wall) microseconds per event recorded and committed."""
    db = Database(url)
    metadata.create_all(db.engine, tables=[audit_events, audit_event_resources])
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--batch", type=int, default=200, help="records per group commit")
    parser.add_argument("--database-url", help="a scratch database (default: SQLite in a temporary dir)")
    args = parser.parse_args(argv)

    def random_v4() -> str:
        return request_id()

    results = {}
    for label, new_id in (("random v4 ids (baseline)", random_v4), ("time-ordered v7 ids", event_id)):
        with tempfile.TemporaryDirectory() as work:
            url = args.database_url or f"sqlite:///{work}/audit.db"
            if args.database_url:
                reset = Database(url)
                metadata.drop_all(reset.engine, tables=[audit_event_resources, audit_events])
                reset.engine.dispose()
            results[label] = measure(new_id, args.events, args.batch, url)
    where = args.database_url or "SQLite (WAL, synchronous=FULL)"
    print(f"{args.events:,} events, {args.batch} per commit, {where}")
    print(f"{'event ids':<26} {'user us':>8} {'sys us':>8} {'wall us':>8}")
    for label, (user, system, wall) in results.items():
        print(f"{label:<26} {user:>8.1f} {system:>8.1f} {wall:>8.1f}")
    (bu, bs, bw), (nu, ns, nw) = results.values()
    print(f"time-ordered / random: CPU {(nu + ns) / (bu + bs):.2f}x, wall {nw / bw:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
