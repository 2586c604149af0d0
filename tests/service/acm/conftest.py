"""ACM fixtures: a real DNS server (dnslib), a real SMTP server (aiosmtpd), and a Strongroom server
of ACM's own that resolves through the one and mails through the other (its clock moves by years)."""

from __future__ import annotations

import email
import email.policy
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from aiosmtpd.controller import Controller
from dnslib import CNAME, QTYPE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from tests.support.server import ServerProcess, boto_config, free_port


class Zone(BaseResolver):  # type: ignore[misc]
    """CNAME records the tests publish and withdraw; everything else is NXDOMAIN."""

    def __init__(self) -> None:
        self.cnames: dict[str, str] = {}
        self.queries: list[str] = []
        self._lock = threading.Lock()

    def publish(self, record: dict[str, str]) -> None:
        with self._lock:
            self.cnames[record["Name"].lower().rstrip(".")] = record["Value"]

    def withdraw(self, record: dict[str, str]) -> None:
        with self._lock:
            self.cnames.pop(record["Name"].lower().rstrip("."), None)

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).lower().rstrip(".")
        self.queries.append(name)
        with self._lock:
            target = self.cnames.get(name)
        if target is not None and request.q.qtype in (QTYPE.CNAME, QTYPE.A, QTYPE.ANY):
            reply.add_answer(RR(request.q.qname, QTYPE.CNAME, rdata=CNAME(target), ttl=60))
        elif target is None:
            reply.header.rcode = 3  # NXDOMAIN
        return reply


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Inbox:
    """What the SMTP server received: one message per envelope recipient."""

    messages: list[tuple[str, EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        for recipient in envelope.rcpt_tos:
            self.messages.append((recipient, message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> list[tuple[str, EmailMessage]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [(to, m) for to, m in self.messages if predicate(to, m)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError("no such mail arrived")


def approval_link(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"https?://\S+/_strongroom/acm/approve\?token=\S+", body.get_content())
    assert match, "the mail carries an approval link"
    return match.group(0)


@pytest.fixture(scope="session")
def zone() -> Iterator[Zone]:
    resolver = Zone()
    quiet = DNSLogger(log="-request,-reply,-truncated,-error", prefix=False)
    server = DNSServer(resolver, port=free_udp_port(), address="127.0.0.1", logger=quiet)
    server.start_thread()
    resolver.port = server.server.server_address[1]  # type: ignore[attr-defined]
    yield resolver
    server.stop()


@pytest.fixture(scope="session")
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


def acm_env(zone: Zone, inbox: Inbox) -> dict[str, str]:
    return {
        "STRONGROOM_DNS_RESOLVER": f"127.0.0.1:{zone.port}",  # type: ignore[attr-defined]
        "STRONGROOM_SMTP_URL": f"smtp://127.0.0.1:{inbox.port}",  # type: ignore[attr-defined]
    }


@pytest.fixture(scope="session")
def acm_server(tmp_path_factory: pytest.TempPathFactory, zone: Zone, inbox: Inbox) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("acm") / "data"
    server = ServerProcess(data_dir, workers=2, env=acm_env(zone, inbox))
    server.start()
    yield server
    server.stop()


def new_account() -> str:
    return "73" + "".join(secrets.choice("0123456789") for _ in range(10))


def client(server: ServerProcess, service: str, account: str, **config: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="test",
        config=boto_config(**config),
    )


@pytest.fixture
def account() -> str:
    return new_account()


@pytest.fixture
def acm(acm_server: ServerProcess, account: str) -> Any:
    return client(acm_server, "acm", account)


def wait_status(acm: Any, arn: str, status: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        detail: dict[str, Any] = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        if detail["Status"] == status or time.monotonic() > deadline:
            assert detail["Status"] == status, detail
            return detail
        time.sleep(0.1)


def unique_domain() -> str:
    return f"{secrets.token_hex(4)}.strongroom.test"


def server_now(server: ServerProcess) -> Any:
    """The server's business time (its dev clock may have moved)."""
    import datetime as dt

    import requests

    text = requests.get(f"{server.endpoint}/_strongroom/dev/clock", timeout=10).json()["now"]
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def export_root(server: ServerProcess) -> bytes:
    """`strongroom ca export-root` on the server's data dir, as an operator runs it."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "ca", "export-root", "--data-dir", str(server.data_dir)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out.stdout


def issue_dns_certificate(acm: Any, server: ServerProcess, zone: Zone, domain: str, **extra: Any) -> str:
    """Request a DNS-validated certificate, publish its records, let the check run; returns the ARN."""
    arn: str = acm.request_certificate(DomainName=domain, ValidationMethod="DNS", **extra)["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    for option in detail["DomainValidationOptions"]:
        zone.publish(option["ResourceRecord"])
    server.advance_clock(301)
    wait_status(acm, arn, "ISSUED")
    return arn
