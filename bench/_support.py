"""What every benchmark shares: servers on free loopback ports, the wrk load generator, tables.

A benchmark starts its targets one after the other in its own process tree (`ServerProcess`),
checks that each answers the request correctly, loads it with wrk (`run_wrk`, driven by a Lua
script from `wrk_request_script`) and prints one table with ratios (`format_table`, `ratio`).

`bare_app` is the baseline: an ASGI app that does nothing but read the request and answer a
fixed body, served as Strongroom serves itself (`uvicorn_command`: bench/bare_server.py, the same
uvicorn settings and worker supervisor), so the gap between it and Strongroom is exactly
Strongroom's own work. It is imported by the uvicorn workers, so this module must stay importable
with the standard library alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

BENCH_DIR = Path(__file__).resolve().parent

# -- the bare endpoint -----------------------------------------------------------------------------

BARE_BODY_ENV = "STRONGROOM_BENCH_BARE_BODY"
BARE_CONTENT_TYPE_ENV = "STRONGROOM_BENCH_BARE_CONTENT_TYPE"

_BARE_BODY = os.environ.get(BARE_BODY_ENV, "<Response/>").encode()
_BARE_HEADERS = [
    (b"content-type", os.environ.get(BARE_CONTENT_TYPE_ENV, "text/xml").encode()),
    (b"content-length", str(len(_BARE_BODY)).encode()),
]


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the whole request, as Strongroom does, and answers 200 with the configured body."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _BARE_HEADERS})
    await send({"type": "http.response.body", "body": _BARE_BODY})


def uvicorn_command(app: str, port: int, workers: int, *, app_dir: Path = BENCH_DIR) -> list[str]:
    """`app` served as Strongroom serves itself (server.run_server): its uvicorn settings, and with
    several workers its supervisor, one listening socket per worker."""
    return [sys.executable, str(BENCH_DIR / "bare_server.py"), app, "--app-dir", str(app_dir),
            "--port", str(port), "--workers", str(workers)]  # fmt: skip


# -- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def require_executable(name: str, apt_package: str) -> str:
    """The path of a tool the benchmark cannot run without; exits with how to install it."""
    path = shutil.which(name)
    if path is None:
        sys.stderr.write(
            f"error: `{name}` is not installed; it is the load generator of this benchmark.\n"
            f"Install it with: apt-get update && apt-get install -y {apt_package}\n"
        )
        raise SystemExit(2)
    return path


def http_status(port: int, path: str = "/", *, timeout: float = 1.0) -> int | None:
    """The status of GET path on a loopback port, or None while nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


class ServerProcess:
    """One server in its own process group: started, waited for, measured and stopped."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        port: int,
        *,
        ready: Callable[[], bool],
        log_dir: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.port = port
        self.ready = ready
        self.env = {**os.environ, **(env or {})}
        self.log_path = log_dir / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        with open(self.log_path, "ab") as log:
            # A session of its own: stop() then reaches every worker through the process group.
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # workers that outlived their parent
        self.process.wait()
        self.process = None

    def cpu_seconds(self) -> float:
        """User + system CPU time of every live process in the server's group (Linux /proc)."""
        if self.process is None:
            return 0.0
        return _group_cpu_seconds(self.process.pid)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _group_cpu_seconds(pgid: int) -> float:
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:  # pgrp
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / _CLOCK_TICKS


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine since boot (all CPUs, Linux /proc/stat)."""
    with contextlib.suppress(OSError):
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        # user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
        ticks = [int(f) for f in fields[:8]]
        return (sum(ticks) - ticks[3] - ticks[4]) / _CLOCK_TICKS
    return 0.0


def machine_description() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Python {sys.version.split()[0]}"


# -- the load generator ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WrkResult:
    """What one wrk run reports, in requests, seconds and milliseconds."""

    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    error_statuses: int  # responses with a status >= 400 (wrk's "Non-2xx or 3xx responses")
    socket_errors: dict[str, int]
    threads: int
    connections: int
    wrk_cpu_seconds: float = 0.0  # filled by run_wrk
    server_cpu_seconds: float = 0.0  # filled by run_wrk when given the server
    machine_cpu_seconds: float = 0.0  # every process on the machine, filled by run_wrk
    # Established connections per server process halfway through, most first (needs `ss`).
    connections_per_process: tuple[int, ...] = ()

    @property
    def other_cpu_seconds(self) -> float:
        """CPU time neither wrk nor the server used: the noise of a shared machine."""
        return max(0.0, self.machine_cpu_seconds - self.wrk_cpu_seconds - self.server_cpu_seconds)

    @property
    def failed(self) -> int:
        return self.error_statuses + sum(self.socket_errors.values())


_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match[1]) * _TIME_UNITS_MS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    """Parses wrk 4's text report (run with --latency)."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk output without {pattern!r}:\n{output}")
        return match

    setup = find(r"^\s*(\d+) threads and (\d+) connections")
    total = find(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)")
    errors = re.search(r"^\s*Non-2xx or 3xx responses: (\d+)", output, re.MULTILINE)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output, re.MULTILINE
    )
    socket_errors = dict.fromkeys(("connect", "read", "write", "timeout"), 0)
    if sockets is not None:
        socket_errors = dict(zip(socket_errors, map(int, sockets.groups()), strict=True))
    return WrkResult(
        requests=int(total[1]),
        seconds=_ms(total[2] + total[3]) / 1000.0,
        requests_per_second=float(find(r"^Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=_ms(find(r"^\s*50%\s+(\S+)")[1]),
        p99_ms=_ms(find(r"^\s*99%\s+(\S+)")[1]),
        error_statuses=int(errors[1]) if errors else 0,
        socket_errors=socket_errors,
        threads=int(setup[1]),
        connections=int(setup[2]),
    )


def lua_string(value: str) -> str:
    escaped = "".join(c if c.isalnum() or c in " -_./:;=,+*()&%" else f"\\{ord(c):03d}" for c in value)
    return f'"{escaped}"'


def wrk_request_script(method: str, path: str, headers: Mapping[str, str], body: bytes) -> str:
    """A wrk Lua script that sends this one request again and again (wrk adds Content-Length)."""
    lines = [f"wrk.method = {lua_string(method)}", f"wrk.path = {lua_string(path)}"]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
    lines.append(f"wrk.body = {lua_string(body.decode('latin-1'))}")
    return "\n".join(lines) + "\n"


def run_wrk(
    url: str,
    *,
    script: Path,
    connections: int,
    threads: int,
    seconds: float,
    server: ServerProcess | None = None,
) -> WrkResult:
    """One wrk run; also the CPU time wrk and (if given) the server spent during it."""
    wrk = require_executable("wrk", "wrk")
    command = [wrk, "--latency", "-t", str(threads), "-c", str(connections),
               "-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script), url]  # fmt: skip
    # wrk (and ss, subtracted) are the only children reaped in between: the rusage delta is wrk's.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = server.cpu_seconds() if server else 0.0
    machine_before = machine_cpu_seconds()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    spread: tuple[int, ...] = ()
    ss_cpu = 0.0
    if server is not None:
        time.sleep(seconds / 2)
        ss_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        spread = connections_per_process(server.port)
        ss_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        ss_cpu = _rusage_cpu(ss_after) - _rusage_cpu(ss_before)
    stdout, stderr = process.communicate(timeout=seconds + 60)
    machine_after = machine_cpu_seconds()
    server_after = server.cpu_seconds() if server else 0.0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{stdout}\n{stderr}")
    result = parse_wrk(stdout)
    return dataclasses.replace(
        result,
        wrk_cpu_seconds=_rusage_cpu(after) - _rusage_cpu(before) - ss_cpu,
        server_cpu_seconds=server_after - server_before,
        machine_cpu_seconds=machine_after - machine_before,
        connections_per_process=spread,
    )


def _rusage_cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def connections_per_process(port: int) -> tuple[int, ...]:
    """How the established connections to a local port are spread over the processes serving it.

    Workers that share one listening socket take connections as they happen to wake, so a
    keep-alive client can end up talking to one worker only; this shows when it did.
    """
    ss = shutil.which("ss")
    if ss is None:
        return ()
    out = subprocess.run(
        [ss, "-tnpH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[pid] = counts.get(pid, 0) + 1
    return tuple(sorted(counts.values(), reverse=True))


# -- reporting ---------------------------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator > 0 else "n/a"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table; numbers right-aligned, text left-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float)


def say(message: str = "", stream: TextIO = sys.stdout) -> None:
    stream.write(message + "\n")
    stream.flush()
