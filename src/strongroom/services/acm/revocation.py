"""Revocation status, published two ways: a CRL per CA (RFC 5280) and an OCSP responder (RFC 6960).

Both are signed by the CA that issued the certificates they speak for (no delegated responder),
dated on the business clock, valid for one day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from sqlalchemy import Connection, select

from strongroom.services.acm.authority import Authority, Hierarchy
from strongroom.services.acm.tables import acm_serials

NEXT_UPDATE = timedelta(days=1)

_REASONS = {
    "UNSPECIFIED": x509.ReasonFlags.unspecified,
    "KEY_COMPROMISE": x509.ReasonFlags.key_compromise,
    "CA_COMPROMISE": x509.ReasonFlags.ca_compromise,
    "AFFILIATION_CHANGED": x509.ReasonFlags.affiliation_changed,
    "SUPERCEDED": x509.ReasonFlags.superseded,
    "SUPERSEDED": x509.ReasonFlags.superseded,
    "CESSATION_OF_OPERATION": x509.ReasonFlags.cessation_of_operation,
    "CERTIFICATE_HOLD": x509.ReasonFlags.certificate_hold,
    "REMOVE_FROM_CRL": x509.ReasonFlags.remove_from_crl,
    "PRIVILEGE_WITHDRAWN": x509.ReasonFlags.privilege_withdrawn,
    "A_A_COMPROMISE": x509.ReasonFlags.aa_compromise,
}


def reason_flag(reason: str | None) -> x509.ReasonFlags:
    return _REASONS.get(reason or "UNSPECIFIED", x509.ReasonFlags.unspecified)


def crl_der(conn: Connection, ca: Authority, now: datetime) -> bytes:
    """The current CRL of `ca`: every serial it issued that is revoked and not yet expired."""
    rows = conn.execute(
        select(acm_serials).where(
            acm_serials.c.ca_id == ca.ca_id,
            acm_serials.c.revoked_at.is_not(None),
            acm_serials.c.not_after > now,
        )
    ).all()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now)
        .next_update(now + NEXT_UPDATE)
        # A business-clock timestamp only grows, which is all a CRL number must do.
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    for row in rows:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(row.serial, 16))
            .revocation_date(row.revoked_at)
            .add_extension(x509.CRLReason(reason_flag(row.revocation_reason)), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def _key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    digest = hashes.Hash(algorithm)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # issuerKeyHash covers the subjectPublicKey BIT STRING's value, not the whole SPKI.
    digest.update(_bit_string_value(spki))
    return digest.finalize()


def _bit_string_value(spki: bytes) -> bytes:
    """The subjectPublicKey bits of a DER SubjectPublicKeyInfo (skipping the algorithm)."""

    def read_length(data: bytes, offset: int) -> tuple[int, int]:
        first = data[offset]
        if first < 0x80:
            return first, offset + 1
        count = first & 0x7F
        return int.from_bytes(data[offset + 1 : offset + 1 + count], "big"), offset + 1 + count

    _, offset = read_length(spki, 1)  # outer SEQUENCE
    length, body = read_length(spki, offset + 1)  # AlgorithmIdentifier SEQUENCE
    offset = body + length
    length, body = read_length(spki, offset + 1)  # BIT STRING
    return spki[body + 1 : body + length]  # skip the unused-bits byte


def _name_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(cert.subject.public_bytes())
    return digest.finalize()


def ocsp_response(conn: Connection, hierarchy: Hierarchy, request_der: bytes, now: datetime) -> bytes:
    """Answer one OCSP request (DER in, DER out), as RFC 6960 says."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        algorithm = request.hash_algorithm
    except (ValueError, TypeError, NotImplementedError):
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST
        ).public_bytes(serialization.Encoding.DER)
    issuer = next(
        (
            ca
            for ca in (hierarchy.issuing, hierarchy.root)
            if _key_hash(ca.certificate, algorithm) == request.issuer_key_hash
            and _name_hash(ca.certificate, algorithm) == request.issuer_name_hash
        ),
        None,
    )
    if issuer is None:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
            serialization.Encoding.DER
        )
    serial = format(request.serial_number, "x")
    serial = serial if len(serial) % 2 == 0 else "0" + serial
    row = conn.execute(
        select(acm_serials).where(acm_serials.c.ca_id == issuer.ca_id, acm_serials.c.serial == serial)
    ).first()
    if row is None:
        status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    elif row.revoked_at is not None:
        status, revoked_at, reason = (
            ocsp.OCSPCertStatus.REVOKED,
            row.revoked_at,
            reason_flag(row.revocation_reason),
        )
    else:
        status, revoked_at, reason = ocsp.OCSPCertStatus.GOOD, None, None
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=algorithm,
            cert_status=status,
            this_update=now,
            next_update=now + NEXT_UPDATE,
            revocation_time=revoked_at,
            revocation_reason=reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.certificate)
        .certificates([issuer.certificate])
    )
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    response = builder.sign(issuer.key, hashes.SHA256())
    return response.public_bytes(serialization.Encoding.DER)
