"""Pure ACM logic: domain checks, validation records, key names, imports, the CA, CRL and OCSP."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from sqlalchemy import insert, update

from strongroom.aws.errors import ServiceError
from strongroom.core.crypto import UnsealedRoot
from strongroom.core.store import Database
from strongroom.migrations.runner import upgrade
from strongroom.services.acm import authority, domains, imports, keys, revocation, x509_facts
from strongroom.services.acm.tables import acm_serials

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("name", ["example.com", "*.example.com", "a-b.c.example.co.uk", "EXAMPLE.com."])
def test_good_domains(name: str) -> None:
    assert domains.check(name) == name.lower().rstrip(".")


@pytest.mark.parametrize(
    "name", ["1.2.3.4", "*.com", "a.*.example.com", "*x.example.com", "a..example.com", "x" * 64 + ".com"]
)
def test_bad_domains(name: str) -> None:
    with pytest.raises(domains.DomainError):
        domains.check(name)


def test_validation_record_is_stable_per_account_and_domain() -> None:
    one = domains.validation_record("730000000001", "example.com")
    assert one == domains.validation_record("730000000001", "*.example.com")
    assert one != domains.validation_record("730000000002", "example.com")
    assert one["Name"].endswith(".example.com.") and one["Value"].endswith(".acm-validations.aws.")


def test_validation_domain_and_wildcard_matching() -> None:
    assert domains.is_within("a.b.example.com", "example.com")
    assert not domains.is_within("a.example.com", "ample.com")
    assert domains.matches("*.example.com", "api.example.com")
    assert not domains.matches("*.example.com", "a.b.example.com")
    assert domains.validation_emails("*.example.com")[0] == "admin@example.com"


@pytest.mark.parametrize("algorithm", keys.IMPORTABLE_ALGORITHMS[1:2] + keys.IMPORTABLE_ALGORITHMS[4:])
def test_key_algorithm_names_round_trip(algorithm: str) -> None:
    assert keys.algorithm_of(keys.generate(algorithm)) == algorithm


@pytest.fixture
def hierarchy(tmp_path: Path) -> Iterator[tuple[Database, authority.Hierarchy]]:
    db = Database(f"sqlite:///{tmp_path / 'acm.sqlite'}")
    upgrade(db)
    root = UnsealedRoot("test", secrets.token_bytes(32))
    made = authority.ensure_hierarchy(db, root, NOW)
    assert authority.ensure_hierarchy(db, root, NOW).root.ca_id == made.root.ca_id, "created once"
    yield db, made
    db.dispose()


def _leaf(h: authority.Hierarchy) -> x509.Certificate:
    key = keys.generate("EC_prime256v1")
    return authority.issue_leaf(
        h, domain_name="example.com", names=["example.com", "*.example.com"], public_key=key.public_key(),
        not_before=NOW, not_after=NOW + dt.timedelta(days=395),
    )  # fmt: skip


def test_leaf_facts(hierarchy: tuple[Database, authority.Hierarchy]) -> None:
    _, h = hierarchy
    leaf = _leaf(h)
    leaf.verify_directly_issued_by(h.issuing.certificate)
    h.issuing.certificate.verify_directly_issued_by(h.root.certificate)
    facts = x509_facts.facts(leaf)
    assert facts["KeyAlgorithm"] == "EC_prime256v1" and facts["SignatureAlgorithm"] == "SHA256WITHRSA"
    assert facts["Issuer"] == "Strongroom" and facts["Subject"] == "CN=example.com"
    assert [u["Name"] for u in facts["ExtendedKeyUsages"]] == [
        "TLS_WEB_SERVER_AUTHENTICATION",
        "TLS_WEB_CLIENT_AUTHENTICATION",
    ]
    assert x509_facts.dns_names(leaf) == ["example.com", "*.example.com"]


def test_crl_and_ocsp(hierarchy: tuple[Database, authority.Hierarchy]) -> None:
    db, h = hierarchy
    leaf = _leaf(h)
    serial = x509_facts.serial_hex(leaf)
    with db.write() as conn:
        conn.execute(
            insert(acm_serials).values(
                ca_id=h.issuing.ca_id, serial=serial, arn="arn", not_after=NOW + dt.timedelta(days=395)
            )
        )
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, h.issuing.certificate, hashes.SHA1()).build()
    der = request.public_bytes(serialization.Encoding.DER)
    with db.read() as conn:
        good = ocsp.load_der_ocsp_response(revocation.ocsp_response(conn, h, der, NOW))
    assert good.certificate_status is ocsp.OCSPCertStatus.GOOD and good.this_update_utc == NOW
    with db.write() as conn:
        conn.execute(update(acm_serials).values(revoked_at=NOW, revocation_reason="SUPERSEDED"))
    with db.read() as conn:
        revoked = ocsp.load_der_ocsp_response(revocation.ocsp_response(conn, h, der, NOW))
        crl = x509.load_der_x509_crl(revocation.crl_der(conn, h.issuing, NOW))
    assert revoked.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason is x509.ReasonFlags.superseded
    assert crl.is_signature_valid(h.issuing.key.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None
    with db.read() as conn:
        later = x509.load_der_x509_crl(revocation.crl_der(conn, h.issuing, NOW + dt.timedelta(days=400)))
    assert len(later) == 0, "expired certificates leave the CRL"


def test_imports_check_refuses_a_mismatched_key(hierarchy: tuple[Database, authority.Hierarchy]) -> None:
    _, h = hierarchy
    leaf = _leaf(h)
    other = ec.generate_private_key(ec.SECP256R1())
    key_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ServiceError) as raised:
        imports.check(
            leaf.public_bytes(serialization.Encoding.PEM), key_pem, None, NOW + dt.timedelta(days=1)
        )
    assert raised.value.code == "ValidationException"
