"""Key pairs by ACM's key algorithm names: generate, name, match, serialize.

ACM names algorithms `RSA_2048` … `EC_secp521r1`. Issued certificates may use RSA_2048,
EC_prime256v1 and EC_secp384r1 (as on AWS); imports accept every name ACM lists.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

REQUESTABLE_ALGORITHMS = ("RSA_2048", "EC_prime256v1", "EC_secp384r1")
IMPORTABLE_ALGORITHMS = (
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
)

_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "EC_prime256v1": ec.SECP256R1,
    "EC_secp384r1": ec.SECP384R1,
    "EC_secp521r1": ec.SECP521R1,
}
_CURVE_NAMES = {"secp256r1": "EC_prime256v1", "secp384r1": "EC_secp384r1", "secp521r1": "EC_secp521r1"}


class UnsupportedKey(ValueError):
    """A key ACM does not accept (algorithm, size or curve)."""


def generate(algorithm: str) -> PrivateKey:
    if algorithm.startswith("RSA_"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[4:]))
    return ec.generate_private_key(_CURVES[algorithm]())


def algorithm_of(key: PublicKey | PrivateKey) -> str:
    """ACM's name for the algorithm of `key`; `UnsupportedKey` for anything else."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) else key
    name = ""
    if isinstance(public, rsa.RSAPublicKey):
        name = f"RSA_{public.key_size}"
    elif isinstance(public, ec.EllipticCurvePublicKey):
        name = _CURVE_NAMES.get(public.curve.name, "")
    if name not in IMPORTABLE_ALGORITHMS:
        raise UnsupportedKey(name or type(public).__name__)
    return name


def load_private_key(pem: bytes) -> PrivateKey:
    """An unencrypted PEM private key (PKCS#1, SEC1 or PKCS#8); ValueError when it is not one."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise UnsupportedKey(type(key).__name__)
    return key


def same_public_key(a: PublicKey, b: PublicKey) -> bool:
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return a.public_bytes(der, spki) == b.public_bytes(der, spki)


def pkcs8_der(key: PrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 DER: what gets sealed under the root of trust."""
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def from_pkcs8_der(der: bytes) -> PrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return key


def encrypted_pem(key: PrivateKey, passphrase: bytes) -> str:
    """PKCS#8 `ENCRYPTED PRIVATE KEY` PEM under `passphrase` (PBES2, AES-256-CBC), as ExportCertificate."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    return pem.decode()
