"""The EventBridge benchmark: PutEvents under load with 10 rules and one HTTP target; the matcher.

1. **PutEvents**: `strongroom serve --dev` with 10 rules on the default bus (each matching its
   own detail-type) whose one target is an API destination at a bare ASGI endpoint on loopback
   (the same `bare_app` the gateway benchmark uses). wrk replays one signed PutEvents request
   (one entry, matching one rule) for the duration; then the benchmark waits until every
   accepted event has been delivered and reports the delivery rate too. The yardstick is the
   bare ASGI endpoint answering the same request with a fixed PutEvents response.
2. **Matcher**: `core/events/patterns` in this process, 10,000 events against 100 compiled
   patterns (every event against every pattern): pattern evaluations per second.

    .venv/bin/python bench/events.py [--duration 10] [--connections 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from _support import (
    BARE_BODY_ENV,
    BARE_CONTENT_TYPE_ENV,
    ServerProcess,
    format_table,
    free_port,
    http_status,
    machine_description,
    ratio,
    run_wrk,
    say,
    uvicorn_command,
    wrk_request_script,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET = "AWSEvents.PutEvents"
ENTRY = {"Source": "bench.app", "DetailType": "type-3", "Detail": json.dumps({"severity": 7, "id": "x"})}
BODY = json.dumps({"Entries": [ENTRY]}).encode()
BARE_RESPONSE = '{"FailedEntryCount":0,"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"}]}'


def signed_headers(port: int) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = f"127.0.0.1:{port}"
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=BODY,
        headers={"Host": host, "Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET},
    )
    SigV4Auth(Credentials(ACCOUNT, "test"), "events", REGION).add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}


def post(port: int, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/", body=BODY, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wire_rules(endpoint: str, receiver_url: str) -> None:
    import boto3
    from botocore.config import Config

    events = boto3.client(
        "events",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    connection = events.create_connection(
        Name="bench",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "bench"}},
    )["ConnectionArn"]
    destination = events.create_api_destination(
        Name="bench", ConnectionArn=connection, InvocationEndpoint=receiver_url, HttpMethod="POST"
    )["ApiDestinationArn"]
    for i in range(10):
        pattern = {
            "source": ["bench.app"],
            "detail-type": [f"type-{i}"],
            "detail": {"severity": [{"numeric": [">", 5]}]},
        }
        events.put_rule(Name=f"rule-{i}", EventPattern=json.dumps(pattern))
        events.put_targets(Rule=f"rule-{i}", Targets=[{"Id": "http", "Arn": destination}])


def strongroom_command(port: int, data_dir: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "strongroom.cli", "serve", "--dev", "--port", str(port),
            "--data-dir", str(data_dir), "--workers", str(workers)]  # fmt: skip


def pending_deliveries(data_dir: Path) -> int:
    from sqlalchemy import func, select

    from strongroom.core.events.tables import events_deliveries
    from strongroom.core.store import Database

    db = Database(f"sqlite:///{data_dir / 'strongroom.db'}")
    try:
        with db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(events_deliveries)).scalar_one())
    finally:
        db.dispose()


def bench_put_events(args: argparse.Namespace, work: Path) -> list[list[Any]]:
    ports = {k: free_port() for k in ("bare", "receiver", "strongroom")}
    bare = ServerProcess(
        "bare ASGI",
        uvicorn_command("_support:bare_app", ports["bare"], args.workers),
        ports["bare"],
        ready=lambda: http_status(ports["bare"]) == 200,
        log_dir=work,
        env={BARE_BODY_ENV: BARE_RESPONSE, BARE_CONTENT_TYPE_ENV: CONTENT_TYPE},
    )
    receiver = ServerProcess(
        "receiver",
        uvicorn_command("_support:bare_app", ports["receiver"], 1),
        ports["receiver"],
        ready=lambda: http_status(ports["receiver"]) == 200,
        log_dir=work,
        env={BARE_BODY_ENV: "{}", BARE_CONTENT_TYPE_ENV: "application/json"},
    )
    data_dir = work / "data"
    strongroom = ServerProcess(
        "Strongroom",
        strongroom_command(ports["strongroom"], data_dir, args.workers),
        ports["strongroom"],
        ready=lambda: http_status(ports["strongroom"], "/_strongroom/health") == 200,
        log_dir=work,
    )
    rows: list[list[Any]] = []
    with receiver, bare:
        headers = signed_headers(ports["bare"])
        script = work / "bare.lua"
        script.write_text(wrk_request_script("POST", "/", headers, BODY))
        bare_result = run_wrk(bare.url, script=script, connections=args.connections, threads=1,
                              seconds=args.duration, server=bare)  # fmt: skip
        rows.append(["bare ASGI (yardstick)", args.workers, bare_result.requests_per_second,
                     bare_result.p50_ms, bare_result.p99_ms, bare_result.failed, "-", "-"])  # fmt: skip
        with strongroom:
            wire_rules(
                f"http://127.0.0.1:{ports['strongroom']}", f"http://127.0.0.1:{ports['receiver']}/hook"
            )
            headers = signed_headers(ports["strongroom"])
            status, answer = post(ports["strongroom"], headers)
            if status != 200 or json.loads(answer).get("FailedEntryCount") != 0:
                raise SystemExit(f"error: Strongroom answered PutEvents with {status}: {answer[:500]!r}")
            script = work / "strongroom.lua"
            script.write_text(wrk_request_script("POST", "/", headers, BODY))
            started = time.monotonic()
            result = run_wrk(strongroom.url, script=script, connections=args.connections, threads=1,
                             seconds=args.duration, server=strongroom)  # fmt: skip
            accepted = result.requests - result.failed + 1
            while pending_deliveries(data_dir) > 0 and time.monotonic() - started < 600:
                time.sleep(0.25)
            drained = time.monotonic() - started
            rows.append(["Strongroom PutEvents", args.workers, result.requests_per_second, result.p50_ms,
                         result.p99_ms, result.failed, accepted / drained,
                         ratio(result.requests_per_second, bare_result.requests_per_second)])  # fmt: skip
    return rows


def random_event(rng: random.Random, i: int, sources: list[str]) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "state": rng.choice(["running", "stopped", "pending"]),
        "severity": rng.randint(0, 10),
        "ip": f"10.{rng.randint(0, 20)}.{rng.randint(0, 255)}.1",
        "user": rng.choice(["root", "alice"]),
    }
    if rng.random() < 0.5:
        detail["tags"] = ["a"]
    return {
        "version": "0",
        "id": str(i),
        "detail-type": rng.choice(["GuardDuty Finding", "State Change"]),
        "source": rng.choice(sources),
        "account": ACCOUNT,
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def bench_matcher(events_count: int = 10_000, patterns_count: int = 100) -> tuple[float, int]:
    from strongroom.core.events.patterns import compile_pattern

    rng = random.Random(7)
    sources = [f"svc{i}.app" for i in range(20)]
    patterns = []
    for i in range(patterns_count):
        kind = i % 5
        if kind == 0:
            p: dict[str, Any] = {"source": [rng.choice(sources)], "detail": {"state": ["running", "stopped"]}}
        elif kind == 1:
            p = {
                "source": [{"prefix": "svc1"}],
                "detail": {"severity": [{"numeric": [">=", rng.randint(1, 9)]}]},
            }
        elif kind == 2:
            p = {
                "detail": {
                    "ip": [{"cidr": f"10.{rng.randint(0, 9)}.0.0/16"}],
                    "user": [{"anything-but": "root"}],
                }
            }
        elif kind == 3:
            p = {"detail-type": [{"wildcard": "*Finding*"}], "detail": {"tags": [{"exists": True}]}}
        else:
            p = {
                "$or": [
                    {"detail": {"severity": [{"numeric": [">", 8]}]}},
                    {"source": [{"suffix": f"{i % 10}.app"}]},
                ]
            }
        patterns.append(compile_pattern(json.dumps(p)))
    events = [random_event(rng, i, sources) for i in range(events_count)]
    started = time.perf_counter()
    hits = sum(1 for e in events for p in patterns if p.matches(e))
    elapsed = time.perf_counter() - started
    return events_count * patterns_count / elapsed, hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-put-events", action="store_true")
    args = parser.parse_args(argv)
    say(f"machine: {machine_description()}")
    rate, hits = bench_matcher()
    say(f"matcher: 10,000 events x 100 patterns: {rate:,.0f} pattern evaluations/s ({hits:,} matches)")
    if args.skip_put_events:
        return 0
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-events-") as tmp:
        rows = bench_put_events(args, Path(tmp))
    say(f"PutEvents (1 entry, 10 rules, one API destination target), {args.connections} connections, "
        f"{args.duration:.0f} s")  # fmt: skip
    say(
        format_table(
            ["target", "workers", "req/s", "p50 ms", "p99 ms", "failed", "delivered/s", "vs bare"], rows
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
