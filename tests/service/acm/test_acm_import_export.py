"""ImportCertificate (and reimport), ExportCertificate, and every bad input answered with nothing stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.service.acm.conftest import Zone, issue_dns_certificate, server_now, unique_domain
from tests.support.server import ServerProcess

PEM = serialization.Encoding.PEM


def _key_pem(key: Any) -> bytes:
    return key.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())  # type: ignore[no-any-return]


def make_chain(now: dt.datetime, domain: str, *, start: dt.timedelta = dt.timedelta(days=-1),
               days: int = 90, ec_key: bool = False) -> tuple[bytes, bytes, bytes]:  # fmt: skip
    """(leaf PEM, leaf key PEM, CA PEM) from a throwaway CA."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Import Test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=10))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key: Any = ec.generate_private_key(ec.SECP384R1()) if ec_key else rsa.generate_private_key(65537, 2048)
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now + start).not_valid_after(now + start + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    return leaf.public_bytes(PEM), _key_pem(key), ca.public_bytes(PEM)


def _count(acm: Any) -> int:
    return len(
        acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_secp384r1"]})["CertificateSummaryList"]
    )


def test_import_describe_get_and_reimport(acm: Any, acm_server: ServerProcess) -> None:
    now = server_now(acm_server)
    domain = unique_domain()
    cert, key, ca = make_chain(now, domain)
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key, CertificateChain=ca,
                                 Tags=[{"Key": "team", "Value": "edge"}])["CertificateArn"]  # fmt: skip
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Type"] == "IMPORTED" and detail["Status"] == "ISSUED"
    assert detail["DomainName"] == domain and detail["RenewalEligibility"] == "INELIGIBLE"
    assert detail["Issuer"] == "Import Test CA" and "ImportedAt" in detail
    got = acm.get_certificate(CertificateArn=arn)
    assert got["Certificate"].encode() == cert and got["CertificateChain"].encode() == ca
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "team", "Value": "edge"}]

    cert2, key2, ca2 = make_chain(now, domain, ec_key=True)
    assert acm.import_certificate(CertificateArn=arn, Certificate=cert2, PrivateKey=key2,
                                  CertificateChain=ca2)["CertificateArn"] == arn  # fmt: skip
    detail2 = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail2["KeyAlgorithm"] == "EC_secp384r1" and detail2["Serial"] != detail["Serial"]
    with pytest.raises(acm.exceptions.ResourceNotFoundException):
        acm.import_certificate(CertificateArn=arn[:-4] + "0000", Certificate=cert2, PrivateKey=key2)


@pytest.mark.parametrize(
    "case",
    ["malformed", "two-certs", "key-mismatch", "chain-mismatch", "expired", "not-yet-valid", "encrypted-key"],
)
def test_bad_imports_are_refused_and_nothing_is_stored(
    acm: Any, acm_server: ServerProcess, case: str
) -> None:
    now = server_now(acm_server)
    domain = unique_domain()
    cert, key, ca = make_chain(now, domain)
    chain = ca
    if case == "malformed":
        cert = b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
    elif case == "two-certs":
        cert = cert + ca
    elif case == "key-mismatch":
        key = make_chain(now, domain)[1]
    elif case == "chain-mismatch":
        chain = make_chain(now, domain)[2]
    elif case == "expired":
        cert, key, chain = make_chain(now, domain, start=dt.timedelta(days=-100), days=10)
    elif case == "not-yet-valid":
        cert, key, chain = make_chain(now, domain, start=dt.timedelta(days=5))
    elif case == "encrypted-key":
        loaded = serialization.load_pem_private_key(key, None)
        key = loaded.private_bytes(
            PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
        )
    before = _count(acm)
    with pytest.raises(ClientError) as raised:
        acm.import_certificate(Certificate=cert, PrivateKey=key, CertificateChain=chain)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _count(acm) == before


def test_export_only_when_requested_exportable(acm: Any, acm_server: ServerProcess, zone: Zone) -> None:
    plain = issue_dns_certificate(acm, acm_server, zone, unique_domain())
    with pytest.raises(acm.exceptions.ValidationException):
        acm.export_certificate(CertificateArn=plain, Passphrase=b"secret-pass")
    arn = issue_dns_certificate(acm, acm_server, zone, unique_domain(), Options={"Export": "ENABLED"})
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["RenewalEligibility"] == "INELIGIBLE"
    exported = acm.export_certificate(CertificateArn=arn, Passphrase=b"secret-pass")
    assert "ENCRYPTED PRIVATE KEY" in exported["PrivateKey"]
    with pytest.raises((TypeError, ValueError)):
        serialization.load_pem_private_key(exported["PrivateKey"].encode(), password=None)
    key = serialization.load_pem_private_key(exported["PrivateKey"].encode(), password=b"secret-pass")
    cert = x509.load_pem_x509_certificate(exported["Certificate"].encode())
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(PEM, spki) == cert.public_key().public_bytes(PEM, spki)
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["RenewalEligibility"] == "ELIGIBLE", "an exported certificate is eligible for renewal"
    pending = acm.request_certificate(DomainName=unique_domain(), ValidationMethod="DNS",
                                      Options={"Export": "ENABLED"})["CertificateArn"]  # fmt: skip
    with pytest.raises(acm.exceptions.RequestInProgressException):
        acm.export_certificate(CertificateArn=pending, Passphrase=b"secret-pass")
