"""RevokeCertificate, the CRL and the OCSP responder, read by pyca/cryptography and `openssl ocsp`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from tests.service.acm.conftest import Zone, issue_dns_certificate, unique_domain
from tests.support.server import ServerProcess


def _leaf_and_issuer(acm: Any, arn: str) -> tuple[x509.Certificate, x509.Certificate]:
    got = acm.get_certificate(CertificateArn=arn)
    return (
        x509.load_pem_x509_certificate(got["Certificate"].encode()),
        x509.load_pem_x509_certificates(got["CertificateChain"].encode())[0],
    )


def _ocsp(url: str, leaf: x509.Certificate, issuer: x509.Certificate) -> ocsp.OCSPResponse:
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA256()).build()
    answer = requests.post(
        url,
        data=request.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
        timeout=10,
    )
    assert answer.headers["Content-Type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(answer.content)


def _urls(leaf: x509.Certificate) -> tuple[str, str]:
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    ocsp_url = next(
        str(d.access_location.value) for d in aia if d.access_method.dotted_string.endswith(".48.1")
    )
    crl = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return ocsp_url, str(crl[0].full_name[0].value)


def test_revocation_shows_in_ocsp_and_crl(
    acm: Any, acm_server: ServerProcess, zone: Zone, tmp_path: Path
) -> None:
    arn = issue_dns_certificate(acm, acm_server, zone, unique_domain())
    leaf, issuer = _leaf_and_issuer(acm, arn)
    ocsp_url, crl_url = _urls(leaf)
    assert ocsp_url.startswith(acm_server.endpoint) and crl_url.startswith(acm_server.endpoint)

    good = _ocsp(ocsp_url, leaf, issuer)
    assert good.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert good.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert good.serial_number == leaf.serial_number
    issuer.public_key().verify(good.signature, good.tbs_response_bytes, *_padding(issuer))  # type: ignore[call-arg]

    assert (
        acm.revoke_certificate(CertificateArn=arn, RevocationReason="KEY_COMPROMISE")["CertificateArn"] == arn
    )
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (
        detail["Status"] == "REVOKED"
        and detail["RevocationReason"] == "KEY_COMPROMISE"
        and "RevokedAt" in detail
    )

    revoked = _ocsp(ocsp_url, leaf, issuer)
    assert revoked.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason is x509.ReasonFlags.key_compromise

    crl = x509.load_der_x509_crl(requests.get(crl_url, timeout=10).content)
    assert crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    entry = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        is x509.ReasonFlags.key_compromise
    )

    # `openssl ocsp` asks the responder itself and checks the signature against the issuer.
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "issuer.pem").write_bytes(issuer.public_bytes(serialization.Encoding.PEM))
    result = subprocess.run(
        ["openssl", "ocsp", "-issuer", str(tmp_path / "issuer.pem"), "-cert", str(tmp_path / "leaf.pem"),
         "-url", ocsp_url, "-VAfile", str(tmp_path / "issuer.pem"), "-no_cert_verify", "-resp_text"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert "Response verify OK" in result.stderr + result.stdout, result.stderr + result.stdout
    assert ": revoked" in result.stdout and "Reason: keyCompromise" in result.stdout

    with pytest.raises(acm.exceptions.ConflictException):
        acm.revoke_certificate(CertificateArn=arn, RevocationReason="UNSPECIFIED")


def test_unknown_serial_and_malformed_requests(acm: Any, acm_server: ServerProcess, zone: Zone) -> None:
    arn = issue_dns_certificate(acm, acm_server, zone, unique_domain())
    leaf, issuer = _leaf_and_issuer(acm, arn)
    ocsp_url, _ = _urls(leaf)
    stranger = (
        x509.CertificateBuilder().subject_name(leaf.subject).issuer_name(issuer.subject)
        .public_key(leaf.public_key()).serial_number(12345).not_valid_before(leaf.not_valid_before_utc)
        .not_valid_after(leaf.not_valid_after_utc)
    )  # fmt: skip
    from cryptography.hazmat.primitives.asymmetric import ec

    fake = stranger.sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    assert _ocsp(ocsp_url, fake, issuer).certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    bad = requests.post(ocsp_url, data=b"garbage", timeout=10)
    assert (
        ocsp.load_der_ocsp_response(bad.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )


def _padding(issuer: x509.Certificate) -> tuple[Any, ...]:
    from cryptography.hazmat.primitives.asymmetric import padding

    return (padding.PKCS1v15(), hashes.SHA256())
