"""The KMS benchmark: Encrypt, Decrypt and GenerateDataKey under load, against their yardsticks.

    python bench/kms.py [--duration 10] [--warmup 2] [--connections 32] [--workers 2] [--rounds 1]

For each operation, one after the other and with the same wrk settings:

  bare        a bare ASGI endpoint on Strongroom's server stack (uvicorn, uvloop, httptools, same
              worker count) answering the exact body Strongroom answered: the framework's limit;
  strongroom  `strongroom serve --dev`: SigV4, routing, parsing, validation, the key policy,
              the request quota and cost meter, real AES-256-GCM under sealed key material, the
              audit record of every call;
  moto        `moto_server`, the common alternative (one threaded Werkzeug process).

A symmetric key is created on Strongroom and on moto first (boto3); each request is one POST
signed with SigV4 for that target (botocore's SigV4Auth) and replayed by wrk — Encrypt of 64
bytes, Decrypt of a blob that target made, GenerateDataKey of an AES_256 key. Before loading,
each target must answer the exact request with 200; after loading, Strongroom must have answered
no error at all, or the benchmark fails.

Goals (docs/benchmarks.md): Strongroom >= 10x moto_server, >= 35% of the bare endpoint, p99 <= 10 ms.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime
import http.client
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from _support import (
    BARE_BODY_ENV,
    BARE_CONTENT_TYPE_ENV,
    ServerProcess,
    WrkResult,
    format_table,
    free_port,
    http_status,
    machine_description,
    ratio,
    require_executable,
    run_wrk,
    say,
    uvicorn_command,
    wrk_request_script,
)

REGION = "us-east-1"
CONTENT_TYPE = "application/x-amz-json-1.1"
OPERATIONS = ("Encrypt", "Decrypt", "GenerateDataKey")
SIGNATURE_LIFETIME_S = 15 * 60
GOAL_VS_MOTO = 10.0
GOAL_VS_BARE = 0.35
GOAL_P99_MS = 10.0


@dataclasses.dataclass
class Target:
    key: str
    label: str
    workers: str
    server: ServerProcess
    key_id: str = ""
    blob: bytes = b""


@dataclasses.dataclass
class Run:
    operation: str
    target: Target
    result: WrkResult


def kms_client(port: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "kms",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def prepare_key(target: Target) -> None:
    """A symmetric key on the target and a ciphertext it made (for Decrypt)."""
    client = kms_client(target.server.port)
    target.key_id = client.create_key(Description="bench")["KeyMetadata"]["Arn"]
    target.blob = client.encrypt(KeyId=target.key_id, Plaintext=os.urandom(64))["CiphertextBlob"]


def request_body(operation: str, target: Target) -> bytes:
    if operation == "Encrypt":
        body: dict[str, Any] = {"KeyId": target.key_id, "Plaintext": base64.b64encode(b"p" * 64).decode()}
    elif operation == "Decrypt":
        body = {"CiphertextBlob": base64.b64encode(target.blob).decode()}
    else:
        body = {"KeyId": target.key_id, "KeySpec": "AES_256"}
    return json.dumps(body).encode()


def signed_headers(port: int, operation: str, body: bytes) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = f"127.0.0.1:{port}"
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=body,
        headers={"Host": host, "Content-Type": CONTENT_TYPE, "X-Amz-Target": f"TrentService.{operation}"},
    )
    SigV4Auth(Credentials("test", "test"), "kms", REGION).add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}


def answer(port: int, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(
    operation: str, target: Target, args: argparse.Namespace, work: Path, body_source: Target
) -> WrkResult:
    body = request_body(operation, body_source)
    headers = signed_headers(target.server.port, operation, body)
    status, answered = answer(target.server.port, headers, body)
    if status != 200:
        raise SystemExit(
            f"error: {target.label} answered {operation} with {status}:\n"
            f"{answered[:2000].decode(errors='replace')}"
        )
    script = work / f"{target.key}-{operation}.lua"
    script.write_text(wrk_request_script("POST", "/", headers, body))
    if args.warmup > 0:
        run_wrk(
            target.server.url, script=script, connections=args.connections, threads=1, seconds=args.warmup
        )
    return run_wrk(
        target.server.url, script=script, connections=args.connections, threads=1, seconds=args.duration,
        server=target.server,
    )  # fmt: skip


def strongroom_command(port: int, data_dir: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "strongroom.cli", "serve", "--dev", "--port", str(port),
            "--data-dir", str(data_dir), "--workers", str(workers)]  # fmt: skip


def bare_target(operation: str, body: bytes, args: argparse.Namespace, work: Path) -> Target:
    port = free_port()
    return Target(
        f"bare-{operation}",
        "bare ASGI",
        str(args.workers),
        ServerProcess(
            f"bare ASGI {operation}",
            uvicorn_command("_support:bare_app", port, args.workers),
            port,
            ready=lambda: http_status(port) == 200,
            log_dir=work,
            env={BARE_BODY_ENV: body.decode(), BARE_CONTENT_TYPE_ENV: CONTENT_TYPE},
        ),
    )


def cores(cpu_seconds: float, result: WrkResult) -> float:
    return cpu_seconds / result.seconds if result.seconds else 0.0


def cpu_per_request_us(result: WrkResult) -> float:
    return result.server_cpu_seconds / result.requests * 1e6 if result.requests else 0.0


def describe(run: Run) -> str:
    r = run.result
    failed = f", {r.failed} FAILED" if r.failed else ""
    spread = "/".join(map(str, r.connections_per_process)) or "unknown"
    return (
        f"  {run.operation:<16} {run.target.label:<11} {r.requests_per_second:>8,.0f} req/s"
        f"  p50 {r.p50_ms:.2f} ms"
        f"  p99 {r.p99_ms:.2f} ms  (server {cores(r.server_cpu_seconds, r):.2f} cores,"
        f" {cpu_per_request_us(r):,.0f} us/req; wrk {cores(r.wrk_cpu_seconds, r):.2f};"
        f" rest {cores(r.other_cpu_seconds, r):.2f}; conns {spread}{failed})"
    )


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def median(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.result.requests_per_second)
    return ordered[(len(ordered) - 1) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds measured per target and operation"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of Strongroom and bare")
    parser.add_argument(
        "--rounds", type=int, default=1, help="rounds over the targets; the median is reported"
    )
    parser.add_argument("--operations", default=",".join(OPERATIONS), help="comma-separated subset to run")
    args = parser.parse_args(argv)
    operations = [op for op in args.operations.split(",") if op]
    if any(op not in OPERATIONS for op in operations):
        parser.error(f"--operations: choose from {', '.join(OPERATIONS)}")
    if args.warmup + args.duration >= SIGNATURE_LIFETIME_S - 60:
        parser.error("warm-up plus duration must stay well under the 15 minutes a signature lives")
    require_executable("wrk", "wrk")
    started = datetime.datetime.now(datetime.UTC)
    load1, load5, _ = os.getloadavg()
    say(f"KMS benchmark, {started:%Y-%m-%d %H:%M} UTC, on {machine_description()}")
    say(f"load average before the run: {load1:.2f} (1 min), {load5:.2f} (5 min)")
    say(
        f"{', '.join(operations)} with a symmetric key, {args.connections} connections,"
        f" {args.warmup:g} s warm-up"
        f" + {args.duration:g} s measured per target and operation, {args.rounds} round(s)"
    )
    runs: dict[tuple[str, str], list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-kms-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        ports = {"strongroom": free_port(), "moto": free_port()}
        bin_dir = Path(sys.executable).parent
        strongroom = Target(
            "strongroom",
            "Strongroom",
            str(args.workers),
            ServerProcess(
                "Strongroom",
                strongroom_command(ports["strongroom"], work / "data", args.workers),
                ports["strongroom"],
                ready=lambda: http_status(ports["strongroom"], "/_strongroom/health") == 200,
                log_dir=work,
            ),
        )
        moto = Target(
            "moto",
            "moto_server",
            "1 (threaded)",
            ServerProcess(
                "moto_server",
                [str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p", str(ports["moto"])],
                ports["moto"],
                ready=lambda: http_status(ports["moto"], "/moto-api/") is not None,
                log_dir=work,
            ),
        )
        try:
            for target in (strongroom, moto):
                stack.enter_context(target.server)
                prepare_key(target)
            bare: dict[str, Target] = {}
            for operation in operations:
                body = request_body(operation, strongroom)
                status, answered = answer(
                    strongroom.server.port, signed_headers(strongroom.server.port, operation, body), body
                )
                if status != 200:
                    raise RuntimeError(f"Strongroom answered {operation} with {status}: {answered[:500]!r}")
                bare[operation] = bare_target(operation, answered, args, work)
                stack.enter_context(bare[operation].server)
        except RuntimeError as exc:
            say(f"error: {exc}", sys.stderr)
            return 1

        for round_number in range(1, args.rounds + 1):
            say(f"\nround {round_number} of {args.rounds}")
            for operation in operations:
                for target in (bare[operation], strongroom, moto):
                    # The bare endpoint is loaded with Strongroom's request (its body is Strongroom's answer).
                    source = strongroom if target is bare[operation] else target
                    run = Run(operation, target, load(operation, target, args, work, source))
                    runs.setdefault((operation, target.label), []).append(run)
                    say(describe(run))

    say(
        f"\nresults (wrk -t1 -c{args.connections}"
        f"{f', median of {args.rounds} rounds' if args.rounds > 1 else ''})"
    )
    rows: list[list[object]] = []
    verdicts: list[str] = []
    failed = False
    for operation in operations:
        chosen = {
            label: median(runs[(operation, label)]) for label in ("Strongroom", "bare ASGI", "moto_server")
        }
        for label, run in chosen.items():
            r = run.result
            rows.append(
                [operation, label, r.requests_per_second, r.p50_ms, r.p99_ms, r.failed, cpu_per_request_us(r)]
            )
        s, b, m = (chosen[label].result for label in ("Strongroom", "bare ASGI", "moto_server"))
        vs_moto = s.requests_per_second / m.requests_per_second if m.requests_per_second else 0.0
        vs_bare = s.requests_per_second / b.requests_per_second if b.requests_per_second else 0.0
        verdicts.append(
            f"{operation}: Strongroom / moto_server {vs_moto:.2f}x ({verdict(vs_moto >= GOAL_VS_MOTO)}"
            f" >= {GOAL_VS_MOTO:g}x), / bare {vs_bare:.0%} ({verdict(vs_bare >= GOAL_VS_BARE)}"
            f" >= {GOAL_VS_BARE:.0%}), p99 {s.p99_ms:.1f} ms ({verdict(s.p99_ms <= GOAL_P99_MS)}"
            f" <= {GOAL_P99_MS:g} ms); CPU per request"
            f" {ratio(cpu_per_request_us(s), cpu_per_request_us(b))} bare's"
        )
        failed = failed or any(run.result.failed for run in runs[(operation, "Strongroom")])
    say(format_table(["operation", "target", "req/s", "p50 ms", "p99 ms", "errors", "CPU us/req"], rows))
    say("")
    for line in verdicts:
        say(line)
    if failed:
        say("FAILED: Strongroom answered error statuses or had socket errors under load")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
