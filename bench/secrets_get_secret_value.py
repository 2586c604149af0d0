"""Secrets Manager GetSecretValue under load: Strongroom against moto_server, in one run.

    python bench/secrets_get_secret_value.py [--duration 10] [--warmup 2] [--connections 32] [--workers 2]

Each target gets one secret (created with boto3), then wrk replays one signed GetSecretValue
(X-Amz-Target secretsmanager.GetSecretValue; SigV4 has no nonce, so the signature stays valid for
15 minutes). Strongroom decrypts through KMS on every call (data key unwrapped by KMS, AES-GCM
here), authorizes and audits it; moto returns the plaintext it keeps. The goal is >= 10x moto.
`get_secret_value_workload` is the function bench/secrets.py calls for this workload.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import sys
import tempfile
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
ACCOUNT = "750000000099"
GOAL_VS_MOTO = 10.0
SECRET_NAME = "bench/db-password"


def _signed(port: int, body: bytes) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    host = f"127.0.0.1:{port}"
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=body,
        headers={
            "Host": host,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "secretsmanager.GetSecretValue",
        },
    )
    SigV4Auth(Credentials(ACCOUNT, "test"), "secretsmanager", REGION).add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}


def _prepare(port: int) -> None:
    import boto3

    client = boto3.client(
        "secretsmanager",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name=REGION,
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
    )
    client.create_secret(Name=SECRET_NAME, SecretString=json.dumps({"username": "app", "password": "x" * 32}))


def get_secret_value_workload(
    server: ServerProcess, work: Path, *, connections: int, threads: int, seconds: float, warmup: float
) -> WrkResult:
    """Create the secret on `server`, check the signed request answers it, then load it."""
    _prepare(server.port)
    body = json.dumps({"SecretId": SECRET_NAME}).encode()
    headers = _signed(server.port, body)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    if response.status != 200 or b"SecretString" not in answer:
        raise SystemExit(f"error: {server.name} answered {response.status}: {answer[:500]!r}")
    script = work / f"{server.port}-gsv.lua"
    script.write_text(wrk_request_script("POST", "/", headers, body))
    if warmup > 0:
        run_wrk(server.url, script=script, connections=connections, threads=threads, seconds=warmup)
    return run_wrk(
        server.url, script=script, connections=connections, threads=threads, seconds=seconds, server=server
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    require_executable("wrk", "wrk")
    say(f"Secrets Manager GetSecretValue benchmark on {machine_description()}")
    bin_dir = Path(sys.executable).parent
    results: dict[str, WrkResult] = {}
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
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
                str(args.workers),
            ],
            sr_port,
            ready=lambda: http_status(sr_port, "/_strongroom/health") == 200,
            log_dir=work,
        )
        moto = ServerProcess(
            "moto_server",
            [str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
            moto_port,
            ready=lambda: http_status(moto_port, "/moto-api/") is not None,
            log_dir=work,
        )
        for server in (strongroom, moto):
            stack.enter_context(server)
            results[server.name] = get_secret_value_workload(
                server,
                work,
                connections=args.connections,
                threads=args.threads,
                seconds=args.duration,
                warmup=args.warmup,
            )
    rows = [[name, r.requests_per_second, r.p50_ms, r.p99_ms, r.failed] for name, r in results.items()]
    say(format_table(["target", "req/s", "p50 ms", "p99 ms", "errors"], rows))
    sr, mo = results["Strongroom"], results["moto_server"]
    speedup = ratio(sr.requests_per_second, mo.requests_per_second)
    say(f"Strongroom / moto_server: {speedup} (goal {GOAL_VS_MOTO:g}x)")
    return 1 if sr.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
