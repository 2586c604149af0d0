"""CPU cost of one request through Strongroom's ASGI app, in one process, without the network.

    python bench/request_cost.py [--iterations 2000] [--only Encrypt,GetParameter] [--profile OP]

Opens a dev-mode Strongroom in a temporary data dir (SQLite), creates what the requests need
with signed requests through the app itself (a KMS key, a SecureString, a secret), then replays
one signed request per operation through `StrongroomApp.__call__` (the ASGI entry point uvicorn
calls: body read, executor hop or inline dispatch, gateway, serialization) and prints the mean
wall and CPU microseconds per request, against a bare ASGI app answering the same bytes through
the same calls (the floor of this measurement). It needs no load generator and reads the same on
a busy machine as on a quiet one (CPU time per request), which the wrk benchmarks do not.

`--profile OP` prints the top of a cProfile of that operation instead.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This directory holds bench/secrets.py, which would shadow the standard library's `secrets`.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

REGION = "us-east-1"
ACCOUNT = "000000000000"
Message = dict[str, Any]


def signed(service: str, target: str, body: bytes, *, content_type: str) -> list[tuple[bytes, bytes]]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = {"Host": "localhost:4566", "Content-Type": content_type}
    if target:
        headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url="http://localhost:4566/", data=body, headers=headers)
    SigV4Auth(Credentials("test", "test"), service, REGION).add_auth(request)
    return [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]


class Call:
    """One request, replayable through any ASGI app."""

    def __init__(self, service: str, target: str, body: bytes, content_type: str) -> None:
        self.body = body
        self.scope: dict[str, Any] = {
            "type": "http",
            "method": "POST",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "scheme": "http",
            "client": ("127.0.0.1", 50000),
            "headers": signed(service, target, body, content_type=content_type),
        }

    async def run(self, app: Callable[..., Any]) -> tuple[int, bytes]:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await app(dict(self.scope), receive, send)
        status = sent[0]["status"]
        body = b"".join(m.get("body", b"") for m in sent[1:])
        return status, body


def json_call(service: str, target: str, params: dict[str, Any], version: str = "1.1") -> Call:
    return Call(service, target, json.dumps(params).encode(), f"application/x-amz-json-{version}")


def query_call(service: str, params: str) -> Call:
    return Call(service, "", params.encode(), "application/x-www-form-urlencoded; charset=utf-8")


class Bare:
    """The floor: an ASGI app that reads the body and answers fixed bytes."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        assert message["type"] == "http.request"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/x-amz-json-1.1")],
            }
        )
        await send({"type": "http.response.body", "body": self.answer})


def must(loop: asyncio.AbstractEventLoop, app: Any, call: Call) -> dict[str, Any]:
    status, body = loop.run_until_complete(call.run(app))
    if status != 200:
        raise SystemExit(f"setup request failed: {status} {body[:400]!r}")
    return json.loads(body) if body.startswith(b"{") else {"raw": body}


def prepare_calls(loop: asyncio.AbstractEventLoop, app: Any) -> dict[str, Call]:
    key = must(loop, app, json_call("kms", "TrentService.CreateKey", {}))["KeyMetadata"]["KeyId"]
    plaintext = base64.b64encode(b"p" * 64).decode()
    blob = must(loop, app, json_call("kms", "TrentService.Encrypt", {"KeyId": key, "Plaintext": plaintext}))
    must(
        loop,
        app,
        json_call(
            "ssm",
            "AmazonSSM.PutParameter",
            {"Name": "/bench/password", "Value": "s3cr3t-value", "Type": "SecureString"},
        ),
    )
    must(
        loop,
        app,
        json_call(
            "secretsmanager",
            "secretsmanager.CreateSecret",
            {"Name": "bench/password", "SecretString": "s3cr3t-value"},
        ),
    )
    return {
        "GetCallerIdentity": query_call("sts", "Action=GetCallerIdentity&Version=2011-06-15"),
        "Encrypt": json_call("kms", "TrentService.Encrypt", {"KeyId": key, "Plaintext": plaintext}),
        "Decrypt": json_call("kms", "TrentService.Decrypt", {"CiphertextBlob": blob["CiphertextBlob"]}),
        "GenerateDataKey": json_call(
            "kms", "TrentService.GenerateDataKey", {"KeyId": key, "KeySpec": "AES_256"}
        ),
        "GetParameter": json_call(
            "ssm", "AmazonSSM.GetParameter", {"Name": "/bench/password", "WithDecryption": True}
        ),
        "GetSecretValue": json_call(
            "secretsmanager", "secretsmanager.GetSecretValue", {"SecretId": "bench/password"}
        ),
    }


def measure(loop: asyncio.AbstractEventLoop, app: Any, call: Call, iterations: int) -> tuple[float, float]:
    """Wall and CPU µs per request: the best of 5 batches (a busy neighbour only adds time)."""

    async def many(n: int) -> None:
        for _ in range(n):
            status, body = await call.run(app)
            if status != 200:
                raise SystemExit(f"request failed: {status} {body[:400]!r}")

    loop.run_until_complete(many(max(10, iterations // 10)))
    batch = max(1, iterations // 5)
    best_wall = best_cpu = float("inf")
    for _ in range(5):
        wall, cpu = time.perf_counter(), time.process_time()
        loop.run_until_complete(many(batch))
        best_wall = min(best_wall, (time.perf_counter() - wall) / batch * 1e6)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / batch * 1e6)
    return best_wall, best_cpu


async def _request_of(call: Call) -> Any:
    from strongroom.server import _read_request

    async def receive() -> Message:
        return {"type": "http.request", "body": call.body, "more_body": False}

    return await _read_request(dict(call.scope), receive)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--only", default="", help="comma-separated operations")
    parser.add_argument("--profile", default="", help="print a cProfile of this operation")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key (tottime, ...)")
    args = parser.parse_args(argv)

    from strongroom.bootstrap import prepare
    from strongroom.config import Config
    from strongroom.server import StrongroomApp

    # A request thread may still be finishing when the app stops: leftovers must not fail the run.
    with tempfile.TemporaryDirectory(prefix="strongroom-cost-", ignore_cleanup_errors=True) as tmp:
        config = Config(data_dir=Path(tmp), dev=True, region=REGION)
        prepare(config)
        app = StrongroomApp(config)
        app.start()
        loop = asyncio.new_event_loop()
        try:
            calls = prepare_calls(loop, app)
            wanted = [name for name in args.only.split(",") if name] or list(calls)
            if args.profile:
                # The gateway itself, in this thread (the executor's threads are not profiled).
                call = calls[args.profile]
                handle = app.gateway.handle  # type: ignore[union-attr]
                request = loop.run_until_complete(_request_of(call))
                body = request.body
                profiler = cProfile.Profile()
                for _ in range(100):
                    request.body = body
                    handle(request)
                profiler.enable()
                for _ in range(args.iterations):
                    request.body = body
                    handle(request)
                profiler.disable()
                pstats.Stats(profiler, stream=sys.stdout).sort_stats(args.sort).print_stats(60)
                return 0
            # Every operation once around first: the first one measured otherwise also paid for
            # the process warming up (shapes compiled, caches and the audit table's pages filled).
            for name in wanted:
                measure(loop, app, calls[name], max(50, args.iterations // 10))
            print(f"{'operation':<18} {'wall µs':>9} {'cpu µs':>9} {'bare cpu µs':>12} {'ratio':>7}")
            for name in wanted:
                call = calls[name]
                _, answer = loop.run_until_complete(call.run(app))
                wall, cpu = measure(loop, app, call, args.iterations)
                _, bare_cpu = measure(loop, Bare(answer), call, args.iterations)
                print(f"{name:<18} {wall:>9.0f} {cpu:>9.0f} {bare_cpu:>12.1f} {cpu / bare_cpu:>6.1f}x")
        finally:
            app.stop()
            loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
