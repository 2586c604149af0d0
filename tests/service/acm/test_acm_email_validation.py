"""E-mail validation for real: mail through a real SMTP server, the link followed over HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.service.acm.conftest import Inbox, approval_link, unique_domain, wait_status
from tests.support.server import ServerProcess


def _mails_for(inbox: Inbox, domain: str) -> list[tuple[str, Any]]:
    return inbox.wait_for(lambda to, m: to.endswith("@" + domain))


def _approve(link: str) -> requests.Response:
    page = requests.get(link, timeout=10)
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token and 'id="approve"' in page.text
    return requests.post(link.split("?")[0], data={"token": token.group(1)}, timeout=30)


def test_approval_mail_goes_to_the_five_addresses_and_the_link_issues(
    acm: Any, acm_server: ServerProcess, inbox: Inbox, account: str
) -> None:
    domain = unique_domain()
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="EMAIL")["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    option = detail["DomainValidationOptions"][0]
    expected = sorted(
        f"{user}@{domain}" for user in ("admin", "administrator", "hostmaster", "postmaster", "webmaster")
    )
    assert sorted(option["ValidationEmails"]) == expected
    mails = _mails_for(inbox, domain)
    assert sorted(to for to, _ in mails) == expected
    link = approval_link(mails[0][1])
    page = requests.get(link, timeout=10)
    assert domain in page.text and account in page.text and arn in page.text
    assert 'id="expires"' in page.text and 'method="post"' in page.text
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    answer = _approve(link)
    assert answer.status_code == 200 and "Approved" in answer.text
    wait_status(acm, arn, "ISSUED")
    again = requests.get(link, timeout=10)
    assert "Already approved" in again.text


def test_each_domain_needs_its_own_approval_and_validation_domain_is_respected(
    acm: Any, inbox: Inbox
) -> None:
    parent = unique_domain()
    arn = acm.request_certificate(
        DomainName=f"a.{parent}",
        SubjectAlternativeNames=[f"b.{parent}"],
        ValidationMethod="EMAIL",
        DomainValidationOptions=[{"DomainName": f"b.{parent}", "ValidationDomain": parent}],
    )["CertificateArn"]
    first = _mails_for(inbox, f"a.{parent}")
    second = _mails_for(inbox, parent)
    _approve(approval_link(first[0][1]))
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    _approve(approval_link(second[0][1]))
    wait_status(acm, arn, "ISSUED")


def test_resend_validation_email_and_bad_links(acm: Any, acm_server: ServerProcess, inbox: Inbox) -> None:
    domain = unique_domain()
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="EMAIL")["CertificateArn"]
    first = _mails_for(inbox, domain)
    assert len(first) == 5
    acm.resend_validation_email(CertificateArn=arn, Domain=domain, ValidationDomain=domain)
    both = inbox.wait_for(
        lambda to, m: to.endswith("@" + domain) and approval_link(m) != approval_link(first[0][1])
    )
    assert len(both) == 5, "the resent mail goes to the same five addresses with a new link"
    with pytest.raises(acm.exceptions.InvalidDomainValidationOptionsException):
        acm.resend_validation_email(CertificateArn=arn, Domain=domain, ValidationDomain=f"other.{domain}")
    bogus = requests.get(f"{acm_server.endpoint}/_strongroom/acm/approve?token=nope", timeout=10)
    assert bogus.status_code == 404
    posted = requests.post(
        f"{acm_server.endpoint}/_strongroom/acm/approve", data={"token": "nope"}, timeout=10
    )
    assert posted.status_code == 404
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"


def test_resend_refused_for_dns_certificates(acm: Any) -> None:
    domain = unique_domain()
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    with pytest.raises(acm.exceptions.InvalidStateException):
        acm.resend_validation_email(CertificateArn=arn, Domain=domain, ValidationDomain=domain)
