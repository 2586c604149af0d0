"""DNS validation for real: a CNAME in a real DNS server, a CA chain a strict verifier accepts."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509 import DNSName
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID
from cryptography.x509.verification import PolicyBuilder, Store

from tests.service.acm.conftest import (
    Zone,
    export_root,
    issue_dns_certificate,
    server_now,
    unique_domain,
    wait_status,
)
from tests.support.server import ServerProcess


def _chain(acm: Any, arn: str) -> tuple[x509.Certificate, list[x509.Certificate]]:
    got = acm.get_certificate(CertificateArn=arn)
    leaf = x509.load_pem_x509_certificate(got["Certificate"].encode())
    chain = x509.load_pem_x509_certificates(got["CertificateChain"].encode())
    return leaf, chain


def test_request_gives_one_cname_per_domain_and_stays_pending_without_it(
    acm: Any, acm_server: ServerProcess
) -> None:
    domain = unique_domain()
    arn = acm.request_certificate(
        DomainName=domain, SubjectAlternativeNames=[f"*.{domain}", f"www.{domain}"], ValidationMethod="DNS"
    )["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Status"] == "PENDING_VALIDATION"
    assert detail["Type"] == "AMAZON_ISSUED"
    assert detail["SubjectAlternativeNames"] == [domain, f"*.{domain}", f"www.{domain}"]
    options = {o["DomainName"]: o for o in detail["DomainValidationOptions"]}
    assert set(options) == {domain, f"*.{domain}", f"www.{domain}"}
    for name, option in options.items():
        record = option["ResourceRecord"]
        assert record["Type"] == "CNAME"
        assert record["Name"].startswith("_") and record["Name"].endswith(f".{name.removeprefix('*.')}.")
        assert record["Value"].startswith("_") and record["Value"].endswith(".acm-validations.aws.")
        assert option["ValidationStatus"] == "PENDING_VALIDATION"
    # The wildcard validates through the same record as its base domain.
    assert options[f"*.{domain}"]["ResourceRecord"] == options[domain]["ResourceRecord"]
    acm_server.advance_clock(301)
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    raised = None
    try:
        acm.get_certificate(CertificateArn=arn)
    except acm.exceptions.RequestInProgressException as exc:
        raised = exc
    assert raised is not None


def test_a_wrong_cname_value_does_not_validate(acm: Any, acm_server: ServerProcess, zone: Zone) -> None:
    domain = unique_domain()
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    record = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0][
        "ResourceRecord"
    ]
    zone.publish({"Name": record["Name"], "Value": "_wrong.acm-validations.aws."})
    acm_server.advance_clock(301)
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    zone.publish(record)
    acm_server.advance_clock(301)
    wait_status(acm, arn, "ISSUED")


def test_issued_certificate_verifies_strictly_against_the_exported_root(
    acm: Any, acm_server: ServerProcess, zone: Zone, tmp_path: Path
) -> None:
    domain = unique_domain()
    arn = issue_dns_certificate(acm, acm_server, zone, domain, SubjectAlternativeNames=[f"*.{domain}"])
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    leaf, chain = _chain(acm, arn)
    root_pem = export_root(acm_server)
    root = x509.load_pem_x509_certificate(root_pem)
    assert len(chain) == 2 and chain[1] == root, "the chain is the intermediate, then the root"

    now = server_now(acm_server)
    verifier = PolicyBuilder().store(Store([root])).time(now).build_server_verifier(DNSName(f"api.{domain}"))
    verified = verifier.verify(leaf, [chain[0]])
    assert verified[-1] == root

    assert leaf.subject.rfc4514_string() == f"CN={domain}"
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [domain, f"*.{domain}"]
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku and ExtendedKeyUsageOID.CLIENT_AUTH in eku
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.key_encipherment
    aia = leaf.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert any("/_strongroom/acm/ocsp" in str(d.access_location.value) for d in aia)
    crl_points = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert str(crl_points[0].full_name[0].value).endswith(".crl")
    assert leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)

    assert detail["Serial"] == ":".join(
        f"{leaf.serial_number:x}".zfill(40)[i : i + 2] for i in range(0, 40, 2)
    )
    assert detail["NotAfter"] - detail["NotBefore"] == dt.timedelta(days=395)
    assert detail["KeyAlgorithm"] == "RSA_2048" and detail["SignatureAlgorithm"] == "SHA256WITHRSA"
    assert {u["Name"] for u in detail["KeyUsages"]} == {"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"}
    assert all(o["ValidationStatus"] == "SUCCESS" for o in detail["DomainValidationOptions"])

    # `openssl verify` with only the exported root trusted and the intermediate untrusted.
    (tmp_path / "root.pem").write_bytes(root_pem)
    got = acm.get_certificate(CertificateArn=arn)
    (tmp_path / "leaf.pem").write_text(got["Certificate"])
    (tmp_path / "chain.pem").write_text(
        got["CertificateChain"].split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    )
    attime = str(int(now.timestamp()))
    result = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-attime", attime, "-purpose", "sslserver",
         "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "chain.pem"),
         str(tmp_path / "leaf.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout.strip().endswith(": OK"), result.stdout + result.stderr


def test_ec_certificates(acm: Any, acm_server: ServerProcess, zone: Zone) -> None:
    arn = issue_dns_certificate(acm, acm_server, zone, unique_domain(), KeyAlgorithm="EC_prime256v1")
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["KeyAlgorithm"] == "EC_prime256v1"
    assert detail["SignatureAlgorithm"] == "SHA256WITHRSA"  # signed by the RSA intermediate
    assert {u["Name"] for u in detail["KeyUsages"]} == {"DIGITAL_SIGNATURE"}


def test_validation_times_out_after_72_hours(acm: Any, acm_server: ServerProcess) -> None:
    arn = acm.request_certificate(DomainName=unique_domain(), ValidationMethod="DNS")["CertificateArn"]
    acm_server.advance_clock(71 * 3600)
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    acm_server.advance_clock(2 * 3600)
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Status"] == "VALIDATION_TIMED_OUT"
    assert detail["DomainValidationOptions"][0]["ValidationStatus"] == "FAILED"
