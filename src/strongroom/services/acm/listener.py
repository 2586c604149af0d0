"""Strongroom's own HTTPS listener on an ACM certificate (`serve --tls-certificate-arn ARN`).

Each worker builds its server `SSLContext` from the certificate's current row and polls the row
every few seconds; when managed renewal (or a reimport) changes the serial, a fresh context is
built and swapped in from the SNI callback for every new handshake — no restart. Python's ssl
loads keys only from files: the key is written for the instant of loading PEM-encrypted under a
random one-time password, in a private directory, and removed at once.

The serving parent records the listener as a user of the certificate (DescribeCertificate's
InUseBy; what makes it eligible for managed renewal, and what DeleteCertificate refuses).
"""

from __future__ import annotations

import logging
import os
import secrets
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from strongroom.core.clock import Clock
from strongroom.core.crypto import RootOfTrust, open_root_of_trust
from strongroom.core.store import Database
from strongroom.services.acm import authority, keys, x509_facts
from strongroom.services.acm.tables import acm_certificate_users, acm_certificates

log = logging.getLogger(__name__)

RELOAD_SECONDS_ENV = "STRONGROOM_TLS_RELOAD_SECONDS"


class ListenerError(RuntimeError):
    """The certificate cannot be served (unknown, not issued, no key)."""


def listener_user(arn: str, host: str, port: int) -> str:
    region, account = arn.split(":")[3], arn.split(":")[4]
    return f"arn:aws:strongroom:{region}:{account}:listener/{host}:{port}"


def register_use(database_url: str, arn: str, user: str) -> None:
    db = Database(database_url)
    try:
        with db.write() as conn:
            row = conn.execute(
                select(acm_certificates.c.status, acm_certificates.c.certificate_pem).where(
                    acm_certificates.c.arn == arn
                )
            ).first()
            if row is None:
                raise ListenerError(f"no ACM certificate {arn}")
            if row.certificate_pem is None:
                raise ListenerError(f"ACM certificate {arn} is {row.status}: nothing to serve yet")
            conn.execute(
                delete(acm_certificate_users).where(
                    acm_certificate_users.c.arn == arn, acm_certificate_users.c.user == user
                )
            )
            conn.execute(insert(acm_certificate_users).values(arn=arn, user=user, since=Clock().now()))
    finally:
        db.dispose()


def unregister_use(database_url: str, arn: str, user: str) -> None:
    db = Database(database_url)
    try:
        with db.write() as conn:
            conn.execute(
                delete(acm_certificate_users).where(
                    acm_certificate_users.c.arn == arn, acm_certificate_users.c.user == user
                )
            )
    finally:
        db.dispose()


def _material(db: Database, root: RootOfTrust, arn: str) -> tuple[str, str, bytes]:
    """(serial, certificate + chain PEM to send, PKCS#8 DER key) of the certificate now."""
    with db.read() as conn:
        row = conn.execute(select(acm_certificates).where(acm_certificates.c.arn == arn)).first()
    if row is None:
        raise ListenerError(f"no ACM certificate {arn}")
    if row.certificate_pem is None or row.key_sealed is None or row.serial is None:
        raise ListenerError(f"ACM certificate {arn} is {row.status}: nothing to serve yet")
    chain = x509_facts.split_pem_certificates(row.chain_pem.encode()) if row.chain_pem else []
    if row.type == "AMAZON_ISSUED":
        chain = [c for c in chain if c.issuer != c.subject]  # clients hold the root themselves
    served = row.certificate_pem + "".join(x509_facts.pem(c) for c in chain)
    der = root.open(row.key_sealed, purpose=authority.KEY_PURPOSE, record=arn)
    return str(row.serial), served, der


def _context(served_pem: str, key_der: bytes) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    password = secrets.token_urlsafe(24).encode()
    with tempfile.TemporaryDirectory(prefix="strongroom-tls-") as folder:
        os.chmod(folder, 0o700)
        cert_file, key_file = Path(folder) / "chain.pem", Path(folder) / "key.pem"
        cert_file.write_text(served_pem)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(keys.encrypted_pem(keys.from_pkcs8_der(key_der), password))
        context.load_cert_chain(cert_file, key_file, password=password)
    return context


class RenewingContext:
    """The listener's SSLContext: serves the certificate's current serial, follows renewals."""

    def __init__(self, arn: str, database_url: str, data_dir: Path, root_key_provider: str) -> None:
        self._arn = arn
        self._db = Database(database_url)
        self._root = open_root_of_trust(root_key_provider, data_dir)
        self.serial, served, key_der = _material(self._db, self._root, arn)
        self.base = _context(served, key_der)
        self._current = self.base
        self.base.sni_callback = self._select
        self._interval = float(os.environ.get(RELOAD_SECONDS_ENV, "2"))
        self._thread = threading.Thread(target=self._poll, name="strongroom-tls-reload", daemon=True)
        self._thread.start()

    def _select(self, connection: Any, server_name: str | None, _context: ssl.SSLContext) -> None:
        current = self._current
        if current is not self.base:
            connection.context = current

    def _poll(self) -> None:
        stop = threading.Event()
        while not stop.wait(self._interval):
            try:
                self.refresh()
            except Exception:
                log.exception("could not reload the listener certificate %s", self._arn)

    def refresh(self) -> bool:
        with self._db.read() as conn:
            serial = conn.execute(
                select(acm_certificates.c.serial).where(acm_certificates.c.arn == self._arn)
            ).scalar()
        if serial is None or serial == self.serial:
            return False
        new_serial, served, key_der = _material(self._db, self._root, self._arn)
        self._current = _context(served, key_der)
        self.serial = new_serial
        log.info("listener now serves %s serial %s", self._arn, x509_facts.serial_colons(new_serial))
        return True


def context_factory(
    _uvicorn_config: Any,
    _default: Any,
    *,
    arn: str,
    database_url: str,
    data_dir: str,
    root_key_provider: str,
) -> ssl.SSLContext:
    """uvicorn's `ssl_context_factory`, bound with functools.partial (picklable for workers)."""
    return RenewingContext(arn, database_url, Path(data_dir), root_key_provider).base


def export_root(data_dir: Path, database_url: str, root_key_provider: str) -> str:
    """The root CA certificate (PEM), creating the hierarchy if this installation has none yet."""
    from cryptography.hazmat.primitives import serialization

    db = Database(database_url)
    try:
        root = open_root_of_trust(root_key_provider, data_dir)
        hierarchy = authority.ensure_hierarchy(db, root, Clock(data_dir / "dev-clock").now())
        return hierarchy.root.certificate.public_bytes(serialization.Encoding.PEM).decode()
    finally:
        db.dispose()
