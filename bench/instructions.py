"""Instructions per KMS request, Strongroom against the bare endpoint, counted by callgrind.

    python bench/instructions.py [--requests 2000] [--connections 32] [--operations Encrypt,...]

The wrk benchmarks (bench/kms.py) measure time, and on a shared virtual machine their figures
move by ±20-40% from one run to the next. This one measures work: each server runs one worker
under `valgrind --tool=callgrind` with counting switched off, answers a warm-up, and then counts
the instructions its process executes (every thread: event loop, audit writer, the rest) while it
answers exactly `--requests` copies of one signed request sent over `--connections` keep-alive
connections. The same count on the same code gives the same figure to within about a percent,
whatever else the machine is doing.

  bare        the bare endpoint of bench/kms.py on Strongroom's server stack, answering the exact
              body Strongroom answered (the framework's limit);
  strongroom  `strongroom serve --dev`, one worker.

What it does not see: time in the kernel (the loopback TCP stack, system calls), cache misses, and
waiting. Read it as the user-space CPU cost per request and its ratio to the bare endpoint's; the
request rate and latencies stay bench/kms.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import re
import sys
import tempfile
from pathlib import Path

from _support import (
    BARE_BODY_ENV,
    BARE_CONTENT_TYPE_ENV,
    ServerProcess,
    format_table,
    free_port,
    http_status,
    machine_description,
    require_executable,
    say,
    uvicorn_command,
)
from kms import CONTENT_TYPE, OPERATIONS, Target, answer, prepare_key, request_body, signed_headers

STARTUP_TIMEOUT_S = 600.0  # importing everything under valgrind takes minutes on a slow machine


def callgrind_command(command: list[str], out_prefix: Path) -> list[str]:
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={out_prefix}.%p", *command]  # fmt: skip


async def _send(port: int, request: bytes, total: int, connections: int) -> int:
    """Send `total` copies of a raw HTTP request over keep-alive connections; the count of 200s."""
    left = total
    ok = 0

    async def connection() -> None:
        nonlocal left, ok
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left > 0:
                left -= 1
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length: *(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                ok += head.startswith(b"HTTP/1.1 200 ")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return ok


def raw_request(port: int, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-length"]
    head = "\r\n".join(["POST / HTTP/1.1", *lines, f"Content-Length: {len(body)}", "", ""])
    return head.encode("latin-1") + body


def callgrind_control(*args: str) -> None:
    import subprocess

    subprocess.run(["callgrind_control", *args], check=True, capture_output=True)


def count_instructions(
    server: ServerProcess, out_prefix: Path, request: bytes, args: argparse.Namespace
) -> float:
    """Instructions per request of one server already started under callgrind."""
    assert server.process is not None
    pid = str(server.process.pid)
    if asyncio.run(_send(server.port, request, args.warmup, args.connections)) != args.warmup:
        raise RuntimeError(f"{server.name} did not answer the warm-up with 200s")
    callgrind_control("--instr=on", pid)
    answered = asyncio.run(_send(server.port, request, args.requests, args.connections))
    callgrind_control("--instr=off", pid)
    callgrind_control("--dump", pid)
    if answered != args.requests:
        raise RuntimeError(f"{server.name} answered {answered} of {args.requests} requests with 200")
    dumps = sorted(out_prefix.parent.glob(f"{out_prefix.name}.{pid}.*"), key=os.path.getmtime)
    text = dumps[-1].read_text(errors="replace") if dumps else ""
    totals = re.search(r"(?m)^totals: (\d+)", text)
    if totals is None:
        raise RuntimeError(f"no callgrind totals for {server.name} in {dumps}")
    return float(int(totals.group(1)) / int(args.requests))


def _keep_dumps(work: Path, keep: Path) -> None:
    import shutil

    keep.mkdir(parents=True, exist_ok=True)
    for dump in work.glob("*.[0-9]*"):
        shutil.copy2(dump, keep / dump.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--requests", type=int, default=2000, help="requests counted per target and operation"
    )
    parser.add_argument("--warmup", type=int, default=300, help="requests answered before counting")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--operations", default=",".join(OPERATIONS), help="comma-separated subset to run")
    parser.add_argument(
        "--keep", type=Path, help="keep callgrind's dumps in this directory (for callgrind_annotate)"
    )
    parser.add_argument("--no-bare", action="store_true", help="count Strongroom only")
    args = parser.parse_args(argv)
    operations = [op for op in args.operations.split(",") if op]
    if any(op not in OPERATIONS for op in operations):
        parser.error(f"--operations: choose from {', '.join(OPERATIONS)}")
    require_executable("valgrind", "valgrind")
    require_executable("callgrind_control", "valgrind")
    started = datetime.datetime.now(datetime.UTC)
    say(f"KMS instructions per request, {started:%Y-%m-%d %H:%M} UTC, on {machine_description()}")
    say(f"{args.requests} requests counted after {args.warmup} of warm-up, {args.connections} connections")
    rows: list[list[object]] = []
    with (
        tempfile.TemporaryDirectory(prefix="strongroom-bench-instr-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        work = Path(tmp)
        if args.keep is not None:
            stack.callback(_keep_dumps, work, args.keep)
        port = free_port()
        strongroom = ServerProcess(
            "Strongroom",
            callgrind_command(
                [sys.executable, "-m", "strongroom.cli", "serve", "--dev", "--port", str(port),
                 "--data-dir", str(work / "data"), "--workers", "1"],
                work / "strongroom",
            ),
            port,
            ready=lambda: http_status(port, "/_strongroom/health") == 200,
            log_dir=work,
        )  # fmt: skip
        say("starting Strongroom under callgrind …")
        strongroom.start(timeout=STARTUP_TIMEOUT_S)
        stack.callback(strongroom.stop)
        target = Target("strongroom", "Strongroom", "1", strongroom)
        prepare_key(target)
        for operation in operations:
            body = request_body(operation, target)
            headers = signed_headers(port, operation, body)
            status, answered = answer(port, headers, body)
            if status != 200:
                raise SystemExit(f"error: Strongroom answered {operation} with {status}: {answered[:500]!r}")
            request = raw_request(port, headers, body)
            ours = count_instructions(strongroom, work / "strongroom", request, args)
            if args.no_bare:
                say(f"  {operation:<16} Strongroom {ours:>12,.0f}")
                rows.append([operation, ours, "", ""])
                continue
            bare_port = free_port()
            bare = ServerProcess(
                f"bare {operation}",
                callgrind_command(
                    uvicorn_command("_support:bare_app", bare_port, 1), work / f"bare-{operation}"
                ),
                bare_port,
                ready=lambda p=bare_port: http_status(p) == 200,  # type: ignore[misc]
                log_dir=work,
                env={BARE_BODY_ENV: answered.decode(), BARE_CONTENT_TYPE_ENV: CONTENT_TYPE},
            )
            say(f"starting the bare endpoint for {operation} under callgrind …")
            bare.start(timeout=STARTUP_TIMEOUT_S)
            try:
                theirs = count_instructions(bare, work / f"bare-{operation}", request, args)
            finally:
                bare.stop()
            say(f"  {operation:<16} Strongroom {ours:>12,.0f}  bare {theirs:>10,.0f}  ({ours / theirs:.1f}x)")
            rows.append([operation, ours, theirs, ours / theirs])
    say("\ninstructions per request (callgrind, user space, all threads of the one worker)")
    say(format_table(["operation", "Strongroom", "bare", "Strongroom / bare"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
