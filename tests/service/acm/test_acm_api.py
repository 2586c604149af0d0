"""The rest of the API: listing, tags, account configuration, idempotency, deletion, bad inputs,
and the AWS CLI's `request-certificate` / `wait certificate-validated`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.acm.conftest import Zone, client, issue_dns_certificate, unique_domain
from tests.support.server import ServerProcess


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_list_certificates_filters_like_aws(acm: Any, acm_server: ServerProcess, zone: Zone) -> None:
    rsa_arn = issue_dns_certificate(acm, acm_server, zone, unique_domain())
    ec_arn = acm.request_certificate(DomainName=unique_domain(), ValidationMethod="DNS",
                                     KeyAlgorithm="EC_secp384r1")["CertificateArn"]  # fmt: skip
    default = [c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]]
    assert rsa_arn in default and ec_arn not in default, "without keyTypes only RSA_1024/RSA_2048 are listed"
    with_ec = acm.list_certificates(Includes={"keyTypes": ["EC_secp384r1"]})["CertificateSummaryList"]
    assert [c["CertificateArn"] for c in with_ec] == [ec_arn]
    issued = acm.list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"]
    assert [c["CertificateArn"] for c in issued] == [rsa_arn]
    summary = issued[0]
    assert (
        summary["Status"] == "ISSUED" and summary["InUse"] is False and summary["KeyAlgorithm"] == "RSA_2048"
    )
    assert "TLS_WEB_SERVER_AUTHENTICATION" in summary["ExtendedKeyUsages"]
    pages = acm.get_paginator("list_certificates").paginate(
        Includes={"keyTypes": ["RSA_2048", "EC_secp384r1"]}, PaginationConfig={"PageSize": 1}
    )
    assert sorted(c["CertificateArn"] for p in pages for c in p["CertificateSummaryList"]) == sorted(
        [rsa_arn, ec_arn]
    )
    found = acm.search_certificates(
        FilterStatement={"Filter": {"AcmCertificateMetadataFilter": {"Status": "ISSUED"}}}
    )["Results"]
    assert [r["CertificateArn"] for r in found] == [rsa_arn]


def test_tags_and_account_configuration(acm: Any) -> None:
    arn = acm.request_certificate(DomainName=unique_domain(), ValidationMethod="DNS",
                                  Tags=[{"Key": "env", "Value": "prod"}])["CertificateArn"]  # fmt: skip
    acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "team", "Value": "edge"}])
    acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "env", "Value": "other"}])
    assert len(acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]) == 2, (
        "a value mismatch removes nothing"
    )
    acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "env"}])
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "team", "Value": "edge"}]
    with pytest.raises(ClientError) as reserved:
        acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "aws:x", "Value": "y"}])
    assert _code(reserved) == "InvalidTagException"
    with pytest.raises(ClientError) as too_many:
        acm.add_tags_to_certificate(
            CertificateArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        )
    assert _code(too_many) == "TooManyTagsException"

    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 45
    acm.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 30}, IdempotencyToken="first")
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 30
    with pytest.raises(ClientError) as conflict:
        acm.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 20}, IdempotencyToken="first")
    assert _code(conflict) == "ConflictException"


def test_idempotency_token_returns_the_same_certificate(acm: Any) -> None:
    domain = unique_domain()
    first = acm.request_certificate(DomainName=domain, ValidationMethod="DNS", IdempotencyToken="tok1")
    again = acm.request_certificate(DomainName=domain, ValidationMethod="DNS", IdempotencyToken="tok1")
    other = acm.request_certificate(DomainName=domain, ValidationMethod="DNS", IdempotencyToken="tok2")
    assert first["CertificateArn"] == again["CertificateArn"] != other["CertificateArn"]


@pytest.mark.parametrize(
    ("request_args", "code"),
    [
        ({"DomainName": "no-dot"}, "ValidationException"),
        ({"DomainName": "*.*.example.com"}, "ValidationException"),
        ({"DomainName": "1.2.3.4"}, "ValidationException"),
        ({"DomainName": "a.example.com", "SubjectAlternativeNames": [f"s{i}.example.com" for i in range(10)]},
         "LimitExceededException"),
        ({"DomainName": "a.example.com", "KeyAlgorithm": "RSA_4096"}, "ValidationException"),
        ({"DomainName": "a.example.com", "DomainValidationOptions": [
            {"DomainName": "a.example.com", "ValidationDomain": "example.org"}]},
         "InvalidDomainValidationOptionsException"),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_and_nothing_is_stored(
    acm_server: ServerProcess, account: str, request_args: dict[str, Any], code: str
) -> None:
    raw = client(acm_server, "acm", account, parameter_validation=False)
    with pytest.raises(ClientError) as raised:
        raw.request_certificate(ValidationMethod="DNS", **request_args)
    assert _code(raised) == code
    assert (
        raw.list_certificates(Includes={"keyTypes": ["RSA_2048", "RSA_4096"]})["CertificateSummaryList"] == []
    )


def test_unknown_and_malformed_arns(acm: Any, account: str) -> None:
    missing = f"arn:aws:acm:us-east-1:{account}:certificate/00000000-0000-0000-0000-000000000000"
    for call in (acm.describe_certificate, acm.get_certificate, acm.delete_certificate):
        with pytest.raises(ClientError) as raised:
            call(CertificateArn=missing)
        assert _code(raised) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as bad:
        acm.describe_certificate(CertificateArn=f"arn:aws:acm:us-east-1:{account}:key/abc")
    assert _code(bad) == "InvalidArnException"
    with pytest.raises(ClientError) as other_account:
        acm.describe_certificate(CertificateArn=missing.replace(account, "730000000001"))
    assert _code(other_account) == "AccessDeniedException"


def test_delete_and_acme_is_not_implemented(acm: Any) -> None:
    arn = acm.request_certificate(DomainName=unique_domain(), ValidationMethod="DNS")["CertificateArn"]
    acm.delete_certificate(CertificateArn=arn)
    with pytest.raises(acm.exceptions.ResourceNotFoundException):
        acm.describe_certificate(CertificateArn=arn)
    with pytest.raises(ClientError) as acme:
        acm.list_acme_endpoints()
    assert _code(acme) == "NotImplemented"


def test_aws_cli_request_and_wait(acm: Any, acm_server: ServerProcess, zone: Zone, account: str) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": account, "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    aws = [str(Path(sys.executable).with_name("aws")), "--endpoint-url", acm_server.endpoint, "acm"]
    domain = unique_domain()
    out = subprocess.run([*aws, "request-certificate", "--domain-name", domain, "--validation-method", "DNS"],
                         env=env, capture_output=True, text=True, check=True, timeout=60)  # fmt: skip
    arn = json.loads(out.stdout)["CertificateArn"]
    record = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]
    zone.publish(record["ResourceRecord"])
    acm_server.advance_clock(301)
    subprocess.run([*aws, "wait", "certificate-validated", "--certificate-arn", arn],
                   env=env, check=True, timeout=120)  # fmt: skip
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"
