"""S3 PutObject/GetObject throughput (MB/s) with SSE-S3 and SSE-KMS, against the limit and moto.

    .venv/bin/python bench/s3.py [--seconds 5] [--sizes 1,64]

For 1 MiB and 64 MiB objects, in one run:

- **limit**: what the machine can do with the same bytes without a server: AES-256-GCM over
  1 MiB segments plus a file write and fsync (put), a file read plus decryption (get);
- **Strongroom** (`--dev`, 1 worker, SQLite) through boto3 with SigV4, SSE-S3 and SSE-KMS;
- **moto_server** through the same boto3 calls (moto keeps objects in memory, unencrypted);
- **bare ASGI**: Strongroom's server stack (uvicorn, uvloop, httptools) with an app that keeps
  each PUT body in memory and answers GET with it — no signature, no hashing, no encryption, no
  disk: the ceiling of these boto3 calls on this stack, client costs included (the client signs
  the payload with SHA-256 and adds a CRC32 before it sends a byte).

Each figure is bytes moved / wall time over sequential requests from one client, so it is
latency-bound like one `aws s3 cp` stream. The goal is Strongroom ≥ 50% of the limit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from bench._support import BENCH_DIR, format_table, free_port, http_status, ratio, say, uvicorn_command
from bench._support import ServerProcess as BenchProcess
from botocore.config import Config
from tests.support.server import ServerProcess

from strongroom.core.crypto import AesGcmKey, random_key

MiB = 1024 * 1024
_BARE_OBJECTS: dict[str, bytes] = {}


async def bare_object_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The bare endpoint: reads the whole request as Strongroom does, keeps PUT bodies by path."""
    if scope["type"] != "http":
        return
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    status, body, headers = 200, b"", [(b"etag", b'"bare"')]
    if scope["method"] == "PUT":
        _BARE_OBJECTS[scope["path"]] = b"".join(chunks)
    elif scope["method"] == "GET" and scope["path"] in _BARE_OBJECTS:
        body = _BARE_OBJECTS[scope["path"]]
    elif scope["method"] == "GET" and scope["path"] != "/":
        status = 404
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def throughput(size: int, seconds: float, action: Callable[[], None]) -> float:
    action()  # warm up
    count, start = 0, time.perf_counter()
    while True:
        action()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 3:
            return count * size / elapsed / MiB


def limit(size: int, seconds: float, workdir: Path) -> tuple[float, float]:
    key = AesGcmKey(random_key())
    data = os.urandom(size)
    path = workdir / "limit.bin"

    def put() -> None:
        with open(path, "wb") as out:
            for offset in range(0, size, MiB):
                out.write(key.encrypt(data[offset : offset + MiB], b"aad"))
            out.flush()
            os.fsync(out.fileno())

    def get() -> None:
        stride = MiB + 28
        with open(path, "rb") as source:
            blob = source.read()
        for offset in range(0, len(blob), stride):
            key.decrypt(blob[offset : offset + stride], b"aad")

    return throughput(size, seconds, put), throughput(size, seconds, get)


def client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="770000000077",
        aws_secret_access_key="test",
        config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
    )


def measure(s3: Any, bucket: str, size: int, seconds: float, extra: dict[str, str]) -> tuple[float, float]:
    data = os.urandom(size)
    key = f"bench-{size}-{'-'.join(extra.values()) or 'plain'}"

    def put() -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=data, **extra)

    def get() -> None:
        s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    return throughput(size, seconds, put), throughput(size, seconds, get)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--sizes", default="1,64", help="object sizes in MiB")
    args = parser.parse_args()
    sizes = [int(s) * MiB for s in args.sizes.split(",")]
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = ServerProcess(workdir / "data", workers=1).start()
        bare_port = free_port()
        bare = BenchProcess(
            "bare ASGI",
            uvicorn_command("s3:bare_object_app", bare_port, 1, app_dir=BENCH_DIR),
            bare_port,
            ready=lambda: http_status(bare_port) == 200,
            log_dir=workdir,
        ).start()
        moto_port = free_port()
        moto = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-p", str(moto_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            strongroom, mock = client(server.endpoint), client(f"http://127.0.0.1:{moto_port}")
            ceiling = client(f"http://127.0.0.1:{bare_port}")
            for target in (strongroom, mock, ceiling):
                target.create_bucket(Bucket="bench")
            for size in sizes:
                label = f"{size // MiB} MiB"
                limit_put, limit_get = limit(size, args.seconds, workdir)
                rows.append(
                    [label, "limit (AES-GCM + disk)", f"{limit_put:.0f}", f"{limit_get:.0f}", "100%", "100%"]
                )
                for name, extra in (
                    ("SSE-S3", {"ServerSideEncryption": "AES256"}),
                    ("SSE-KMS", {"ServerSideEncryption": "aws:kms"}),
                ):
                    put, get = measure(strongroom, "bench", size, args.seconds, extra)
                    rows.append(
                        [
                            label,
                            f"Strongroom {name}",
                            f"{put:.0f}",
                            f"{get:.0f}",
                            ratio(put, limit_put),
                            ratio(get, limit_get),
                        ]
                    )
                for name, target in (("moto_server (no encryption)", mock), ("bare ASGI (no work)", ceiling)):
                    put, get = measure(target, "bench", size, args.seconds, {})
                    rows.append(
                        [
                            label,
                            name,
                            f"{put:.0f}",
                            f"{get:.0f}",
                            ratio(put, limit_put),
                            ratio(get, limit_get),
                        ]
                    )
        finally:
            bare.stop()
            moto.terminate()
            moto.wait(timeout=10)
            server.stop()
    say(format_table(["size", "target", "put MB/s", "get MB/s", "put / limit", "get / limit"], rows))


if __name__ == "__main__":
    main()
