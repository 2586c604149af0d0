"""The installation's certificate authority: a root and an issuing intermediate, and leaf issuance.

Created once per installation (the first process to start takes a lock and makes both); the CA
keys are sealed under the root of trust (purpose ``acm/private-key``, record ``ca:<ca id>``).
Operators export the root (`strongroom ca export-root`) into their trust stores; every leaf
carries AIA (OCSP, CA issuers) and CRL distribution points that point at this server's
``/_strongroom/acm/...`` paths.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from sqlalchemy import Connection, insert, select

from strongroom.core.crypto import RootOfTrust
from strongroom.core.store import Database
from strongroom.services.acm import keys
from strongroom.services.acm.tables import acm_authorities

KEY_PURPOSE = "acm/private-key"
ROOT_VALIDITY = timedelta(days=25 * 365)
ISSUING_VALIDITY = timedelta(days=10 * 365)
# CA/Browser Forum "domain validated" policy: what ACM's public certificates assert.
_DOMAIN_VALIDATED = x509.ObjectIdentifier("2.23.140.1.2.1")
PUBLIC_URL_ENV = "STRONGROOM_PUBLIC_URL"


@dataclass(frozen=True)
class Authority:
    """One CA: its certificate and (unsealed, in memory) private key."""

    ca_id: str
    certificate: x509.Certificate
    key: keys.PrivateKey


@dataclass(frozen=True)
class Hierarchy:
    root: Authority
    issuing: Authority

    def chain_pem(self) -> str:
        """What GetCertificate's CertificateChain holds: the intermediate, then the root."""
        encoding = serialization.Encoding.PEM
        return (
            self.issuing.certificate.public_bytes(encoding) + self.root.certificate.public_bytes(encoding)
        ).decode()

    def by_id(self, ca_id: str) -> Authority | None:
        return next((ca for ca in (self.root, self.issuing) if ca.ca_id == ca_id), None)


def public_base_url() -> str:
    """Where clients reach this server's CRL, OCSP and approval pages (no trailing slash).

    `STRONGROOM_PUBLIC_URL` when set (a reverse proxy, a DNS name); else the listener's own
    host and port.
    """
    explicit = os.environ.get(PUBLIC_URL_ENV)
    if explicit:
        return explicit.rstrip("/")
    raw = os.environ.get("STRONGROOM_CONFIG_JSON")
    host, port, tls = "127.0.0.1", 4566, False
    if raw:
        values = json.loads(raw)
        host, port = values.get("host", host), int(values.get("port", port))
        tls = bool(
            values.get("tls_cert") or values.get("tls_self_signed") or values.get("tls_certificate_arn")
        )
    if host in ("0.0.0.0", "::"):  # noqa: S104 - a wildcard bind is not an address clients can use
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if tls else 'http'}://{host}:{port}"


def ensure_hierarchy(db: Database, root: RootOfTrust, now: datetime) -> Hierarchy:
    """Load the CA hierarchy, creating it on first use (once across processes and nodes)."""
    hierarchy = load_hierarchy(db, root)
    if hierarchy is not None:
        return hierarchy
    with db.write() as conn:
        db.lock(conn, "acm:ca-hierarchy")
        if _active_rows(conn) is None:
            _create(conn, root, now)
    hierarchy = load_hierarchy(db, root)
    assert hierarchy is not None
    return hierarchy


def load_hierarchy(db: Database, root: RootOfTrust) -> Hierarchy | None:
    with db.read() as conn:
        rows = _active_rows(conn)
    if rows is None:
        return None
    root_row, issuing_row = rows
    return Hierarchy(_authority(root_row, root), _authority(issuing_row, root))


def _active_rows(conn: Connection) -> tuple[object, object] | None:
    rows = conn.execute(select(acm_authorities).where(acm_authorities.c.active.is_(True))).all()
    by_role = {row.role: row for row in rows}
    if "ROOT" in by_role and "ISSUING" in by_role:
        return by_role["ROOT"], by_role["ISSUING"]
    return None


def _authority(row: object, root: RootOfTrust) -> Authority:
    ca_id: str = row.ca_id  # type: ignore[attr-defined]
    der = root.open(row.key_sealed, purpose=KEY_PURPOSE, record=f"ca:{ca_id}")  # type: ignore[attr-defined]
    certificate = x509.load_pem_x509_certificate(row.certificate_pem.encode())  # type: ignore[attr-defined]
    return Authority(ca_id, certificate, keys.from_pkcs8_der(der))


def _create(conn: Connection, root: RootOfTrust, now: datetime) -> None:
    suffix = secrets.token_hex(4)
    root_id, issuing_id = f"root-{suffix}", f"issuing-{suffix}"
    base = public_base_url()
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = _ca_name(f"Strongroom Root CA {suffix}")
    root_cert = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    issuing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuing_cert = (
        x509.CertificateBuilder()
        .subject_name(_ca_name(f"Strongroom Issuing CA {suffix}"))
        .issuer_name(root_name)
        .public_key(issuing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + ISSUING_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(issuing_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .add_extension(_aia(base, root_id), critical=False)
        .add_extension(_crl_points(base, root_id), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    for ca_id, role, cert, key, parent in (
        (root_id, "ROOT", root_cert, root_key, None),
        (issuing_id, "ISSUING", issuing_cert, issuing_key, root_id),
    ):
        conn.execute(
            insert(acm_authorities).values(
                ca_id=ca_id,
                role=role,
                certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
                key_sealed=root.seal(keys.pkcs8_der(key), purpose=KEY_PURPOSE, record=f"ca:{ca_id}"),
                parent_ca_id=parent,
                active=True,
                created_at=now,
            )
        )


def _ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Strongroom"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _aia(base: str, issuer_id: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(f"{base}/_strongroom/acm/ocsp"),
            ),
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(f"{base}/_strongroom/acm/ca/{issuer_id}.crt"),
            ),
        ]
    )


def _crl_points(base: str, issuer_id: str) -> x509.CRLDistributionPoints:
    url = x509.UniformResourceIdentifier(f"{base}/_strongroom/acm/crl/{issuer_id}.crl")
    return x509.CRLDistributionPoints(
        [x509.DistributionPoint(full_name=[url], relative_name=None, reasons=None, crl_issuer=None)]
    )


def issue_leaf(
    hierarchy: Hierarchy,
    *,
    domain_name: str,
    names: list[str],
    public_key: keys.PublicKey,
    not_before: datetime,
    not_after: datetime,
    client_auth_only: bool = False,
) -> x509.Certificate:
    """A TLS leaf certificate as ACM issues one: CN = the domain, every name in the SAN."""
    issuing = hierarchy.issuing
    base = public_base_url()
    is_rsa = isinstance(public_key, rsa.RSAPublicKey)
    usages = (
        [ExtendedKeyUsageOID.CLIENT_AUTH]
        if client_auth_only
        else [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    )
    subject_cn = domain_name if len(domain_name) <= 64 else names[0][:64]
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]))
        .issuer_name(issuing.certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=is_rsa,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuing.key.public_key()),
            critical=False,
        )
        .add_extension(_aia(base, issuing.ca_id), critical=False)
        .add_extension(_crl_points(base, issuing.ca_id), critical=False)
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(_DOMAIN_VALIDATED, None)]), critical=False
        )
        .sign(issuing.key, hashes.SHA256())
    )
