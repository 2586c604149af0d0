"""How the server runs: uvicorn's settings, and several workers on one port, each with its own socket.

uvicorn's own supervisor binds one socket in the parent and lets every worker accept from it.
All workers wake for each new connection and the first to run takes every connection waiting,
so a client that opens its connections at once (a connection pool, a load generator) often has
most of them on one worker: that worker's queue sets the latency while the other idles. Here
each worker binds and listens on its own socket with SO_REUSEPORT, and the kernel spreads new
connections over the listening sockets by a hash of their addresses.

The parent keeps a bound, never listening socket on the port for as long as it runs: it reserves
the port (another program cannot take it between two workers) and resolves port 0 to one port for
all; the kernel never hands a connection to a socket that does not listen. It restarts a worker
that dies, stops every worker on SIGINT or SIGTERM (each finishes its requests: uvicorn's
graceful shutdown), and gives up when workers cannot start.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

log = logging.getLogger("strongroom")

# uvicorn's exit status for a server that could not start (its lifespan startup failed).
STARTUP_FAILURE = 3
# A worker that dies this soon after it was started, this many times in a row, is not restarted.
QUICK_EXIT_S = 10.0
QUICK_EXITS_ALLOWED = 3
# After SIGTERM, how long a worker may take to finish its requests before it is killed.
STOP_GRACE_S = 30.0


def uvicorn_options(app: str, **settings: Any) -> dict[str, Any]:
    """uvicorn's settings for Strongroom's server (and the benchmarks' bare endpoints), plus `settings`."""
    return {
        "app": app,
        "loop": "uvloop",
        "http": "strongroom.http_protocol:CoalescingHttpToolsProtocol",
        "log_level": "warning",
        "access_log": False,
        "timeout_keep_alive": 75,
        **settings,
    }


def run_server(options: dict[str, Any], host: str, port: int, workers: int) -> None:
    """Serve until stopped: in this process, or in `workers` processes with a socket each."""
    import uvicorn

    if workers > 1 and supported():
        status = serve_workers(options, host, port, workers)
        if status:
            raise SystemExit(status)
        return
    uvicorn.run(host=host, port=port, workers=workers, **options)


def supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, *, listen: bool) -> socket.socket:
    """A TCP socket bound to (host, port) in the port's SO_REUSEPORT group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def serve_workers(uvicorn_options: dict[str, Any], host: str, port: int, workers: int) -> int:
    """Run `workers` uvicorn servers on (host, port) until SIGINT/SIGTERM; the exit status."""
    try:
        reservation = listening_socket(host, port, listen=False)
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", host, port, exc)
        return STARTUP_FAILURE
    with reservation:
        return _Supervisor(uvicorn_options, host, reservation.getsockname()[1], workers).run()


class _Supervisor:
    def __init__(self, uvicorn_options: dict[str, Any], host: str, port: int, workers: int) -> None:
        self._options = uvicorn_options
        self._host = host
        self._port = port
        self._count = workers
        self._context = multiprocessing.get_context("spawn")
        self._stop = threading.Event()
        self._quick_exits = 0

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        procs = [self._start() for _ in range(self._count)]
        status = 0
        try:
            while not self._stop.wait(0.25):
                for i, (proc, started) in enumerate(procs):
                    if proc.exitcode is None:
                        continue
                    status = self._exited(proc, started)
                    if status:
                        self._stop.set()
                        break
                    procs[i] = self._start()
        finally:
            self._stop_all([proc for proc, _ in procs])
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return status

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stop.set()

    def _start(self) -> tuple[Any, float]:
        proc = self._context.Process(
            target=run_worker,
            args=(self._options, self._host, self._port, os.getpid()),
            name="strongroom-worker",
        )
        proc.start()
        return proc, time.monotonic()

    def _exited(self, proc: Any, started: float) -> int:
        """Log a worker's unexpected exit; nonzero when the server should stop with that status."""
        code = proc.exitcode
        if code == STARTUP_FAILURE:
            log.error("a worker could not start (exit status %d); stopping", code)
            return STARTUP_FAILURE
        quick = time.monotonic() - started < QUICK_EXIT_S
        self._quick_exits = self._quick_exits + 1 if quick else 0
        if self._quick_exits >= QUICK_EXITS_ALLOWED:
            log.error("workers keep exiting right after they start (last status %s); stopping", code)
            return 1
        log.warning("worker %d exited with status %s; starting another", proc.pid, code)
        return 0

    @staticmethod
    def _stop_all(procs: list[Any]) -> None:
        for proc in procs:
            if proc.exitcode is None:
                proc.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.exitcode is None:
                log.warning("worker %d did not stop in %.0f s; killing it", proc.pid, STOP_GRACE_S)
                proc.kill()
                proc.join()


def run_worker(uvicorn_options: dict[str, Any], host: str, port: int, parent: int) -> None:
    """One worker process: its own socket on the shared port, one uvicorn server on it."""
    import uvicorn

    threading.Thread(target=_exit_with_parent, args=(parent,), name="strongroom-parent", daemon=True).start()
    config = uvicorn.Config(**uvicorn_options, host=host, port=port)
    sock = listening_socket(host, port, listen=True)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _exit_with_parent(parent: int) -> None:
    """A worker whose supervisor died (SIGKILL, say) stops too instead of holding the port."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)
