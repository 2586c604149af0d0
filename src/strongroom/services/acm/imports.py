"""ImportCertificate's checks: one PEM certificate, its unencrypted key, a chain that signs it,
a validity period that holds now — each refusal is a ValidationException and nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from strongroom.services.acm import errors, keys, x509_facts


@dataclass(frozen=True)
class Imported:
    certificate: x509.Certificate
    key: keys.PrivateKey
    chain_pem: str | None
    key_algorithm: str
    domain_name: str
    names: list[str]


def check(certificate: bytes, private_key: bytes, chain: bytes | None, now: datetime) -> Imported:
    try:
        certs = x509_facts.split_pem_certificates(certificate)
    except ValueError:
        raise errors.validation(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None
    if len(certs) != 1:
        raise errors.validation(
            "The certificate field contains more than one certificate. You can specify only one."
        )
    cert = certs[0]
    if cert.version is not x509.Version.v3:
        raise errors.validation("The certificate must be an X.509 version 3 certificate.")
    try:
        key = keys.load_private_key(private_key)
    except keys.UnsupportedKey:
        raise errors.validation("The private key algorithm is not supported.") from None
    except ValueError:
        raise errors.validation(
            "Unable to parse private key. Please ensure the private key is in PEM format and not encrypted."
        ) from None
    try:
        algorithm = keys.algorithm_of(cert.public_key())  # type: ignore[arg-type]
    except keys.UnsupportedKey:
        raise errors.validation("The certificate's key algorithm is not supported.") from None
    if not keys.same_public_key(key.public_key(), cert.public_key()):  # type: ignore[arg-type]
        raise errors.validation("The private key is not supported or does not match the certificate.")
    if cert.not_valid_after_utc <= now:
        raise errors.validation("The certificate has expired.")
    if cert.not_valid_before_utc > now:
        raise errors.validation("The certificate is not valid yet.")
    chain_pem: str | None = None
    if chain:
        try:
            chain_certs = x509_facts.split_pem_certificates(chain)
        except ValueError:
            raise errors.validation(
                "Unable to parse certificate chain. Please ensure it is in PEM format."
            ) from None
        _check_chain(cert, chain_certs)
        chain_pem = "".join(x509_facts.pem(c) for c in chain_certs)
    names = x509_facts.dns_names(cert)
    domain = x509_facts.common_name(cert.subject) or (names[0] if names else "")
    if not domain:
        raise errors.validation(
            "The certificate has neither a common name nor a DNS subject alternative name."
        )
    return Imported(cert, key, chain_pem, algorithm, domain, names or [domain])


def _check_chain(cert: x509.Certificate, chain: list[x509.Certificate]) -> None:
    """Each certificate must be signed by the next one: the leaf by chain[0], and so on."""
    subject = cert
    for issuer in chain:
        try:
            subject.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise errors.validation(
                "Could not validate the certificate with the certificate chain."
            ) from None
        subject = issuer
