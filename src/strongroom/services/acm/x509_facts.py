"""What ACM reports about an X.509 certificate: names, serial, usages, algorithms — read from the DER."""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from strongroom.services.acm import keys

_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----", re.DOTALL)

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "TLS_WEB_SERVER_AUTHENTICATION",
    ExtendedKeyUsageOID.CLIENT_AUTH: "TLS_WEB_CLIENT_AUTHENTICATION",
    ExtendedKeyUsageOID.CODE_SIGNING: "CODE_SIGNING",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "EMAIL_PROTECTION",
    ExtendedKeyUsageOID.TIME_STAMPING: "TIME_STAMPING",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP_SIGNING",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.5"): "IPSEC_END_SYSTEM",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.6"): "IPSEC_TUNNEL",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.7"): "IPSEC_USER",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "ANY",
}
_KEY_USAGE_FLAGS = (
    ("digital_signature", "DIGITAL_SIGNATURE"),
    ("content_commitment", "NON_REPUDIATION"),
    ("key_encipherment", "KEY_ENCIPHERMENT"),
    ("data_encipherment", "DATA_ENCIPHERMENT"),
    ("key_agreement", "KEY_AGREEMENT"),
    ("key_cert_sign", "CERTIFICATE_SIGNING"),
    ("crl_sign", "CRL_SIGNING"),
)


def split_pem_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, in order; ValueError if there is none or one is broken."""
    blocks = _PEM_BLOCK.findall(data)
    if not blocks:
        raise ValueError("no PEM certificate")
    return [x509.load_pem_x509_certificate(block) for block in blocks]


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def serial_hex(cert: x509.Certificate) -> str:
    """The serial number as lower-case hex with an even number of digits."""
    digits = format(cert.serial_number, "x")
    return digits if len(digits) % 2 == 0 else "0" + digits


def serial_colons(serial: str) -> str:
    """`0a1b…` → `0a:1b:…`, ACM's Serial format."""
    return ":".join(serial[i : i + 2] for i in range(0, len(serial), 2))


def common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def issuer_label(cert: x509.Certificate) -> str:
    """ACM's `Issuer`: the issuer's organization, else its common name."""
    org = cert.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    if org:
        return str(org[0].value)
    return common_name(cert.issuer) or cert.issuer.rfc4514_string()


def subject_label(cert: x509.Certificate) -> str:
    return (
        ",".join(f"{attr.rfc4514_attribute_name}={attr.value!s}" for attr in cert.subject)
        or cert.subject.rfc4514_string()
    )


def dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(name) for name in san.get_values_for_type(x509.DNSName)]


def signature_algorithm(cert: x509.Certificate) -> str:
    """`SHA256WITHRSA`, `SHA384WITHECDSA` … as DescribeCertificate names it."""
    digest = cert.signature_hash_algorithm.name.upper() if cert.signature_hash_algorithm else "NONE"
    # ecdsa-with-SHA* live under 1.2.840.10045; everything else ACM accepts is RSA.
    kind = "ECDSA" if cert.signature_algorithm_oid.dotted_string.startswith("1.2.840.10045") else "RSA"
    return f"{digest}WITH{kind}"


def key_usages(cert: x509.Certificate) -> list[str]:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return []
    names = [name for attr, name in _KEY_USAGE_FLAGS if getattr(usage, attr)]
    if usage.key_agreement:
        if usage.encipher_only:
            names.append("ENCIPHER_ONLY")
        if usage.decipher_only:
            names.append("DECIPHER_ONLY")
    return names


def extended_key_usages(cert: x509.Certificate) -> list[dict[str, str]]:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    return [{"Name": _EKU_NAMES.get(oid, "CUSTOM"), "OID": oid.dotted_string} for oid in usage]


def facts(cert: x509.Certificate) -> dict[str, Any]:
    """The members DescribeCertificate derives from the certificate itself."""
    return {
        "Serial": serial_colons(serial_hex(cert)),
        "Subject": subject_label(cert),
        "Issuer": issuer_label(cert),
        "NotBefore": cert.not_valid_before_utc,
        "NotAfter": cert.not_valid_after_utc,
        "KeyAlgorithm": keys.algorithm_of(cert.public_key()),  # type: ignore[arg-type]
        "SignatureAlgorithm": signature_algorithm(cert),
        "KeyUsages": [{"Name": name} for name in key_usages(cert)],
        "ExtendedKeyUsages": extended_key_usages(cert),
    }
