"""HTTPS for the API listener: an operator's certificate, or a local CA made on first start.

`--tls self-signed` creates a CA (data_dir/tls/ca.pem, exportable with `strongroom tls
export-ca`) and a server certificate for localhost, 127.0.0.1, ::1 and the bind host. The
private keys are written PEM-encrypted under a random password that is itself sealed under the
root of trust, so no key sits in plaintext on disk.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from strongroom.config import Config
from strongroom.core.crypto import open_root_of_trust

_PURPOSE = "tls/key-password"


def ca_path(data_dir: Path) -> Path:
    return data_dir / "tls" / "ca.pem"


def server_certificate(config: Config) -> tuple[Path, Path, str | None]:
    """(certificate chain file, key file, key password) for the listener."""
    if config.tls_cert is not None and config.tls_key is not None:
        return config.tls_cert, config.tls_key, os.environ.get("STRONGROOM_TLS_KEY_PASSWORD")
    tls_dir = config.data_dir / "tls"
    tls_dir.mkdir(parents=True, exist_ok=True)
    root = open_root_of_trust(config.root_key_provider, config.data_dir)
    password_file = tls_dir / "key-password.sealed"
    if password_file.exists():
        password = root.open(password_file.read_bytes(), purpose=_PURPOSE, record=str(tls_dir)).decode()
    else:
        password = secrets.token_urlsafe(32)
        _write_private(password_file, root.seal(password.encode(), purpose=_PURPOSE, record=str(tls_dir)))
    cert_file, key_file = tls_dir / "server.pem", tls_dir / "server.key"
    if not (cert_file.exists() and key_file.exists() and ca_path(config.data_dir).exists()):
        _make_ca_and_server(tls_dir, config.host, password.encode())
    return cert_file, key_file, password


def _make_ca_and_server(tls_dir: Path, host: str, password: bytes) -> None:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Strongroom local CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for address in {"127.0.0.1", "::1", host}:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=397))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    encryption = serialization.BestAvailableEncryption(password)
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    _write_private(tls_dir / "ca.key", ca_key.private_bytes(pem, pkcs8, encryption))
    _write_private(tls_dir / "server.key", key.private_bytes(pem, pkcs8, encryption))
    (tls_dir / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (tls_dir / "server.pem").write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
