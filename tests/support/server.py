"""A real `strongroom serve` in a subprocess, on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

TEST_DATABASE_ENV = "STRONGROOM_TEST_DATABASE_URL"


def _die_with_parent() -> Any:
    """A preexec function that has Linux send the server SIGTERM when the test process dies.

    A test run killed from outside (a timeout, ^C twice) skips its fixtures' teardown; without
    this its servers went on running, and polling, for as long as the machine was up.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the forked child
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """Starts, waits for, kills and restarts one server on a data dir."""

    def __init__(
        self,
        data_dir: Path,
        *,
        dev: bool = True,
        database_url: str | None = None,
        workers: int = 1,
        extra_args: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.dev = dev
        self.database_url = database_url
        self.workers = workers
        self.extra_args = extra_args or []
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    @property
    def endpoint(self) -> str:
        scheme = "https" if "--tls" in self.extra_args else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "strongroom.cli",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--workers",
            str(self.workers),
        ]
        if self.dev:
            cmd.append("--dev")
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        return cmd + self.extra_args

    def start(self, timeout: float = 60.0) -> ServerProcess:
        env = {**os.environ, **self.env}
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # readiness only: the TLS tests verify for real
                    r = requests.get(f"{self.endpoint}/_strongroom/health", timeout=1, verify=False)
                if r.status_code == 200 and r.json().get("status") == "ok":
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # stragglers of the group
        self.process = None

    def kill9(self) -> None:
        if self.process is not None:
            # The whole process group: uvicorn's workers must die with their parent.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def client(
        self,
        service: str,
        *,
        access_key: str,
        secret_key: str = "test",
        region: str = "us-east-1",
        **config: Any,
    ) -> Any:
        """A boto3 client of this server, signing as `access_key`; `config`: botocore Config options."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=boto_config(**config),
        )

    def now(self) -> datetime:
        """The server's business time (moved by the dev clock; not the wall clock)."""
        r = requests.get(f"{self.endpoint}/_strongroom/dev/clock", timeout=30)
        r.raise_for_status()
        return datetime.fromisoformat(r.json()["now"])

    def advance_clock(self, seconds: float) -> str:
        r = requests.post(
            f"{self.endpoint}/_strongroom/dev/clock", json={"advance_seconds": seconds}, timeout=120
        )
        r.raise_for_status()
        now: str = r.json()["now"]
        return now


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one server, dropped afterwards."""
    import psycopg

    name = f"strongroom_{uuid.uuid4().hex[:12]}"
    admin_url = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def boto_config(**overrides: Any) -> Any:
    from botocore.config import Config

    return Config(retries={"max_attempts": 1, "mode": "standard"}, **overrides)
