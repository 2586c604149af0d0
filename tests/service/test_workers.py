"""`serve --workers N`: one listening socket per worker, connections spread, crash and stop handling.

Linux only: the workers and their connections are read from /proc.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.server import ServerProcess

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

TCP_LISTEN = "0A"
TCP_ESTABLISHED = "01"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def _workers(proc: ServerProcess) -> list[int]:
    """The server's worker processes: its children that hold a listening socket on its port."""
    assert proc.process is not None
    listening = _sockets(proc.port, TCP_LISTEN)
    return [child for child in _children(proc.process.pid) if _socket_inodes(child) & listening]


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _sockets(port: int, state: str, peers: set[int] | None = None) -> set[str]:
    """Inodes of the IPv4 TCP sockets whose local port is `port`, in `state` (and from `peers`)."""
    inodes: set[str] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state and (peers is None or remote_port in peers):
            inodes.add(fields[9])
    return inodes


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan may wait for a reaper that never comes)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _health(proc: ServerProcess) -> int:
    return requests.get(f"{proc.endpoint}/_strongroom/health", timeout=5).status_code


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path / "data", workers=2).start()
    try:
        _wait(lambda: len(_workers(proc)) == 2, 30, "two workers listening")
        yield proc
    finally:
        proc.stop()


def test_each_worker_listens_on_its_own_socket(server: ServerProcess) -> None:
    listening = _sockets(server.port, TCP_LISTEN)
    workers = _workers(server)
    assert len(workers) == 2
    # Two listening sockets, one per worker, and the supervisor holds none of them.
    assert len(listening) == 2
    assert server.process is not None
    assert not _socket_inodes(server.process.pid) & listening
    assert [len(_socket_inodes(w) & listening) for w in workers] == [1, 1]


def test_connections_are_spread_over_the_workers(server: ServerProcess) -> None:
    """32 connections opened at once: each worker holds some (the kernel hashes them over the sockets).

    With one shared socket, one worker often took 29-32 of them. By the hash, a worker gets 3 or
    fewer with probability 2.6e-6.
    """
    conns = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(32)]
    try:
        request = f"GET /_strongroom/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
        for conn in conns:
            conn.sendall(request)
        for conn in conns:
            assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        ours = {conn.getsockname()[1] for conn in conns}
        established = _sockets(server.port, TCP_ESTABLISHED, ours)
        held = sorted(len(_socket_inodes(w) & established) for w in _workers(server))
        assert sum(held) == 32
        assert held[0] >= 4, held
    finally:
        for conn in conns:
            conn.close()


def test_a_worker_that_dies_is_replaced(server: ServerProcess) -> None:
    victim = _workers(server)[0]
    os.kill(victim, signal.SIGKILL)
    _wait(lambda: len(_workers(server)) == 2 and victim not in _workers(server), 60, "a new worker")
    assert _health(server) == 200


def test_sigterm_stops_every_worker(server: ServerProcess) -> None:
    assert server.process is not None
    workers = _workers(server)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    assert not any(_alive(w) for w in workers)
    assert not _sockets(server.port, TCP_LISTEN)


def test_workers_stop_when_the_supervisor_is_killed(server: ServerProcess) -> None:
    assert server.process is not None
    workers = _workers(server)
    server.process.kill()  # SIGKILL to the supervisor only, not its process group
    server.process.wait()
    _wait(lambda: not any(_alive(w) for w in workers), 30, "workers gone")
    assert not _sockets(server.port, TCP_LISTEN)


def test_a_port_in_use_fails_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = ServerProcess(tmp_path / "data", workers=2)
        proc.port = taken.getsockname()[1]
        done = subprocess.run(proc.command(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    assert "cannot listen on 127.0.0.1" in done.stderr
    assert "Address already in use" in done.stderr
