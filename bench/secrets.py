"""Secrets under load: Parameter Store GetParameter(WithDecryption) and Secrets Manager
GetSecretValue, Strongroom against moto_server, in one run.

    python bench/secrets.py [--duration 10] [--warmup 2] [--connections 32] [--workers 2]
                            [--threads 2] [--only get-parameter|get-secret-value]

Each workload is a function `(server, work, *, connections, threads, seconds, warmup) -> WrkResult`
that prepares its data on the target with boto3, checks that the exact signed request it will replay
answers correctly, then loads the target with wrk (SigV4 has no nonce: one signature stays valid for
15 minutes). Strongroom and moto_server are up for the whole run; each workload loads one, then
the other. Goal: Strongroom >= 10x moto_server on every workload. A Strongroom error fails the run.

get-parameter: one SecureString parameter (under the AWS managed key `alias/aws/ssm`) read with
WithDecryption. On Strongroom every call authorizes ssm:GetParameter, reads the parameter, calls
KMS Decrypt on the caller's behalf (KMS's own authorization, key policy, encryption context
PARAMETER_ARN) and records two audit records; moto returns the string it keeps.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _support import (
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
    wrk_request_script,
)

REGION = "us-east-1"
ACCOUNT = "740000000099"
GOAL_VS_MOTO = 10.0
PARAMETER_NAME = "/bench/db/password"
SECRET_NAME = "bench/db-password"

Workload = Callable[..., WrkResult]


def _signed(port: int, target: str, signing_name: str, body: bytes) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = f"127.0.0.1:{port}"
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=body,
        headers={"Host": host, "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
    )
    SigV4Auth(Credentials(ACCOUNT, "test"), signing_name, REGION).add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}


def _check(server: ServerProcess, headers: dict[str, str], body: bytes, expected: bytes) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    if response.status != 200 or expected not in answer:
        raise SystemExit(f"error: {server.name} answered {response.status}: {answer[:500]!r}")


def _load(
    server: ServerProcess, work: Path, name: str, headers: dict[str, str], body: bytes, **wrk: float
) -> WrkResult:
    script = work / f"{server.port}-{name}.lua"
    script.write_text(wrk_request_script("POST", "/", headers, body))
    connections, threads = int(wrk["connections"]), int(wrk["threads"])
    if wrk["warmup"] > 0:
        run_wrk(server.url, script=script, connections=connections, threads=threads, seconds=wrk["warmup"])
    return run_wrk(
        server.url,
        script=script,
        connections=connections,
        threads=threads,
        seconds=wrk["seconds"],
        server=server,
    )


def get_parameter_workload(
    server: ServerProcess, work: Path, *, connections: int, threads: int, seconds: float, warmup: float
) -> WrkResult:
    """Put one SecureString on `server`, check the signed GetParameter(WithDecryption), then load it."""
    import boto3

    secret = "s3cr3t-" + "x" * 25
    boto3.client(
        "ssm",
        endpoint_url=f"http://127.0.0.1:{server.port}",
        region_name=REGION,
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
    ).put_parameter(Name=PARAMETER_NAME, Value=secret, Type="SecureString")
    body = json.dumps({"Name": PARAMETER_NAME, "WithDecryption": True}).encode()
    headers = _signed(server.port, "AmazonSSM.GetParameter", "ssm", body)
    _check(server, headers, body, secret.encode())
    return _load(
        server, work, "get-parameter", headers, body,
        connections=connections, threads=threads, seconds=seconds, warmup=warmup,
    )  # fmt: skip


def get_secret_value_workload(
    server: ServerProcess, work: Path, *, connections: int, threads: int, seconds: float, warmup: float
) -> WrkResult:
    """Create one secret on `server`, check the signed GetSecretValue answers it, then load it."""
    import boto3

    secret = "s3cr3t-" + "y" * 25
    boto3.client(
        "secretsmanager",
        endpoint_url=f"http://127.0.0.1:{server.port}",
        region_name=REGION,
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
    ).create_secret(Name=SECRET_NAME, SecretString=secret)
    body = json.dumps({"SecretId": SECRET_NAME}).encode()
    headers = _signed(server.port, "secretsmanager.GetSecretValue", "secretsmanager", body)
    _check(server, headers, body, secret.encode())
    return _load(
        server, work, "get-secret-value", headers, body,
        connections=connections, threads=threads, seconds=seconds, warmup=warmup,
    )  # fmt: skip


def workloads() -> dict[str, Workload]:
    return {"get-parameter": get_parameter_workload, "get-secret-value": get_secret_value_workload}


def _servers(work: Path, workers: int) -> tuple[ServerProcess, ServerProcess]:
    sr_port, moto_port = free_port(), free_port()
    strongroom = ServerProcess(
        "Strongroom",
        [
            sys.executable,
            "-m",
            "strongroom.cli",
            "serve",
            "--dev",
            "--port",
            str(sr_port),
            "--data-dir",
            str(work / "data"),
            "--workers",
            str(workers),
        ],
        sr_port,
        ready=lambda: http_status(sr_port, "/_strongroom/health") == 200,
        log_dir=work,
    )
    moto = ServerProcess(
        "moto_server",
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
        moto_port,
        ready=lambda: http_status(moto_port, "/moto-api/") is not None,
        log_dir=work,
    )
    return strongroom, moto


def main(argv: list[str] | None = None) -> int:
    available = workloads()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds measured per target and workload"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="Strongroom worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--only", choices=sorted(available), action="append", help="run only these workloads")
    args = parser.parse_args(argv)
    require_executable("wrk", "wrk")
    chosen = {name: available[name] for name in (args.only or available)}
    say(f"Secrets benchmark on {machine_description()}: {args.connections} connections, "
        f"{args.warmup:g} s warm-up + {args.duration:g} s per target and workload")  # fmt: skip
    rows: list[list[object]] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        strongroom, moto = _servers(work, args.workers)
        for server in (strongroom, moto):
            stack.enter_context(server)
        for name, workload in chosen.items():
            results: dict[str, WrkResult] = {}
            for server in (strongroom, moto):
                results[server.name] = workload(
                    server, work, connections=args.connections, threads=args.threads,
                    seconds=args.duration, warmup=args.warmup,
                )  # fmt: skip
                r = results[server.name]
                say(f"  {name:<17} {server.name:<11} {r.requests_per_second:>9,.0f} req/s  "
                    f"p50 {r.p50_ms:.2f} ms  p99 {r.p99_ms:.2f} ms  errors {r.failed}")  # fmt: skip
            sr, mo = results["Strongroom"], results["moto_server"]
            speedup = sr.requests_per_second / mo.requests_per_second if mo.requests_per_second else 0.0
            verdict = "met" if speedup >= GOAL_VS_MOTO else "MISSED"
            shown = ratio(sr.requests_per_second, mo.requests_per_second)
            rows.append([name, sr.requests_per_second, mo.requests_per_second, shown, verdict, sr.failed])
            failed = failed or bool(sr.failed)
    say("")
    say(
        format_table(
            ["workload", "Strongroom req/s", "moto req/s", "ratio", f"goal {GOAL_VS_MOTO:g}x", "errors"], rows
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
