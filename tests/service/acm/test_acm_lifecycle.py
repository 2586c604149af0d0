"""Managed renewal, expiry events and the HTTPS listener on an ACM certificate — by moving the clock.

This module runs its own server: it moves business time by a year.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.x509 import DNSName
from cryptography.x509.verification import PolicyBuilder, Store

from tests.service.acm.conftest import (
    Inbox,
    Zone,
    acm_env,
    approval_link,
    client,
    export_root,
    issue_dns_certificate,
    new_account,
    server_now,
    unique_domain,
)
from tests.service.events.receiver import Receiver, running_receiver
from tests.support.server import ServerProcess

DAY = 86400


class TlsServerProcess(ServerProcess):
    """A server whose API listener serves an ACM certificate."""

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def life_server(
    tmp_path_factory: pytest.TempPathFactory, zone: Zone, inbox: Inbox
) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("acm-life") / "data", workers=2, env=acm_env(zone, inbox))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def life_account() -> str:
    return new_account()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@pytest.fixture(scope="module")
def acm_events(life_server: ServerProcess, life_account: str, receiver: Receiver) -> Receiver:
    """Every aws.acm event of the account, delivered to the receiver through an API destination."""
    events = client(life_server, "events", life_account)
    connection = events.create_connection(
        Name="acm-conn",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "v"}},
    )
    destination = events.create_api_destination(
        Name="acm-dest", ConnectionArn=connection["ConnectionArn"], InvocationEndpoint=receiver.url + "/acm",
        HttpMethod="POST",
    )  # fmt: skip
    events.put_rule(Name="acm-all", EventPattern=json.dumps({"source": ["aws.acm"]}))
    events.put_targets(Rule="acm-all", Targets=[{"Id": "r", "Arn": destination["ApiDestinationArn"]}])
    return receiver


def _events_of(
    receiver: Receiver, arn: str, detail_type: str, count: int = 1, timeout: float = 15
) -> list[Any]:
    deadline = time.monotonic() + timeout
    found: list[Any] = []
    while time.monotonic() < deadline:
        found = [
            e for e in (r.json() for r in list(receiver.requests))
            if e["detail-type"] == detail_type and arn in e["resources"]
        ]  # fmt: skip
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{len(found)} {detail_type} events for {arn}, wanted {count}")


def _served_certificate(port: int, hostname: str, cafile: Path | None) -> x509.Certificate:
    if cafile is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cafile=str(cafile))
        context.verify_flags |= ssl.VERIFY_X509_STRICT
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        return x509.load_der_x509_certificate(der)


def test_https_listener_serves_the_certificate_and_follows_renewal(
    life_server: ServerProcess,
    life_account: str,
    zone: Zone,
    inbox: Inbox,
    tmp_path: Path,
    acm_events: Receiver,
) -> None:
    acm = client(life_server, "acm", life_account)
    domain = unique_domain()
    arn = issue_dns_certificate(acm, life_server, zone, f"api.{domain}")
    _events_of(acm_events, arn, "ACM Certificate Available")
    root = tmp_path / "root.pem"
    root.write_bytes(export_root(life_server))

    listener = TlsServerProcess(
        life_server.data_dir, workers=2, env={**acm_env(zone, inbox), "STRONGROOM_TLS_RELOAD_SECONDS": "0.5"},
        extra_args=["--tls-certificate-arn", arn],
    )  # fmt: skip
    listener.start()
    try:
        served = _served_certificate(listener.port, f"api.{domain}", root)  # hostname and chain checked
        assert served.serial_number == int(
            acm.describe_certificate(CertificateArn=arn)["Certificate"]["Serial"].replace(":", ""), 16
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            _served_certificate(listener.port, f"other.{domain}", root)
        detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        assert detail["InUseBy"] and detail["RenewalEligibility"] == "ELIGIBLE"
        with pytest.raises(ClientError) as in_use:
            acm.delete_certificate(CertificateArn=arn)
        assert in_use.value.response["Error"]["Code"] == "ResourceInUseException"

        # 60 days before NotAfter, managed renewal: the DNS record still holds → silent renewal.
        life_server.advance_clock((395 - 60) * DAY + 3600)
        renewed = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        assert renewed["Serial"] != detail["Serial"] and renewed["CertificateArn"] == arn
        assert renewed["RenewalSummary"]["RenewalStatus"] == "SUCCESS"
        assert renewed["NotAfter"] > detail["NotAfter"]
        available = _events_of(acm_events, arn, "ACM Certificate Available", count=2)
        assert available[-1]["detail"]["Action"] == "RENEWAL"

        new_serial = int(renewed["Serial"].replace(":", ""), 16)
        deadline = time.monotonic() + 15
        while (seen := _served_certificate(listener.port, f"api.{domain}", None)).serial_number != new_serial:
            assert time.monotonic() < deadline, "the listener kept serving the old certificate"
            time.sleep(0.2)
        trusted = x509.load_pem_x509_certificate(root.read_bytes())
        chain = x509.load_pem_x509_certificates(
            acm.get_certificate(CertificateArn=arn)["CertificateChain"].encode()
        )
        verifier = (
            PolicyBuilder().store(Store([trusted])).time(server_now(life_server))
            .build_server_verifier(DNSName(f"api.{domain}"))
        )  # fmt: skip
        verifier.verify(seen, [chain[0]])
    finally:
        listener.stop()
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == []


def test_renewal_without_valid_dns_asks_for_action(
    life_server: ServerProcess, life_account: str, zone: Zone, acm_events: Receiver
) -> None:
    acm = client(life_server, "acm", life_account)
    domain = unique_domain()
    arn = issue_dns_certificate(acm, life_server, zone, domain, Options={"Export": "ENABLED"})
    acm.export_certificate(CertificateArn=arn, Passphrase=b"make-it-eligible")
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    zone.withdraw(detail["DomainValidationOptions"][0]["ResourceRecord"])
    life_server.advance_clock((395 - 60) * DAY + 3600)
    pending = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert pending["Status"] == "ISSUED" and pending["Serial"] == detail["Serial"]
    assert pending["RenewalSummary"]["RenewalStatus"] == "PENDING_VALIDATION"
    required = _events_of(acm_events, arn, "ACM Certificate Renewal Action Required")
    assert required[0]["source"] == "aws.acm" and required[0]["detail"]["CommonName"] == domain
    zone.publish(detail["DomainValidationOptions"][0]["ResourceRecord"])
    life_server.advance_clock(3700)
    done = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert done["RenewalSummary"]["RenewalStatus"] == "SUCCESS" and done["Serial"] != detail["Serial"]


def test_email_renewal_goes_through_approval(
    life_server: ServerProcess, life_account: str, inbox: Inbox, acm_events: Receiver
) -> None:
    import requests

    acm = client(life_server, "acm", life_account)
    domain = unique_domain()
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="EMAIL", Options={"Export": "ENABLED"})[
        "CertificateArn"
    ]
    first = inbox.wait_for(lambda to, m: to == f"admin@{domain}")
    _approve(requests, approval_link(first[0][1]))
    acm.export_certificate(CertificateArn=arn, Passphrase=b"eligible")
    before = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert before["Status"] == "ISSUED"
    life_server.advance_clock((395 - 60) * DAY + 3600)
    pending = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert pending["RenewalSummary"]["RenewalStatus"] == "PENDING_VALIDATION"
    renewal_mails = inbox.wait_for(lambda to, m: to == f"admin@{domain}" and "renewal" in m.get_content())
    _approve(requests, approval_link(renewal_mails[0][1]))
    done = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert done["RenewalSummary"]["RenewalStatus"] == "SUCCESS" and done["Serial"] != before["Serial"]


def _approve(requests: Any, link: str) -> None:
    import re

    page = requests.get(link, timeout=10)
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token, page.text
    assert requests.post(link.split("?")[0], data={"token": token.group(1)}, timeout=30).status_code == 200


def test_imported_certificates_get_daily_expiry_events_then_expire(
    life_server: ServerProcess, life_account: str, acm_events: Receiver
) -> None:
    from tests.service.acm.test_acm_import_export import make_chain

    acm = client(life_server, "acm", life_account)
    now = server_now(life_server)
    cert, key, ca = make_chain(now, unique_domain(), days=50)
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key, CertificateChain=ca)["CertificateArn"]
    acm.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 30}, IdempotencyToken="life30")
    life_server.advance_clock(18 * DAY)  # 31 days left: not yet
    time.sleep(1)
    assert not [e for e in (r.json() for r in list(acm_events.requests)) if arn in e["resources"]]
    life_server.advance_clock(2 * DAY)  # 29 days left
    first = _events_of(acm_events, arn, "ACM Certificate Approaching Expiration")
    assert first[0]["detail"]["DaysToExpiry"] in (28, 29)
    life_server.advance_clock(DAY)
    _events_of(acm_events, arn, "ACM Certificate Approaching Expiration", count=2)
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert "RenewalSummary" not in detail and detail["RenewalEligibility"] == "INELIGIBLE"
    life_server.advance_clock(30 * DAY)
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "EXPIRED"
    assert dt.datetime.now(dt.UTC) < server_now(life_server)
