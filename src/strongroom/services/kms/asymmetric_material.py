"""Asymmetric key material: generate, load and publish the key pairs behind KMS key specs.

Private keys are kept as PKCS#8 DER (what `generate_private_key` returns and every other function
takes); public keys leave as DER SubjectPublicKeyInfo, the form GetPublicKey and
GenerateDataKeyPair return. ML-DSA and ML-KEM private keys are the seed-only PKCS#8 form that
pyca/cryptography writes (FIPS 204/203 seeds), from which the expanded keys are re-derived.

ML_KEM_512 and SM2 are named by AWS but not generated here: the installed pyca/cryptography has
no ML-KEM-512 (only 768 and 1024), and SM2 exists only in AWS's China Regions. `can_generate`
tells which specs are available; asking for another raises `UnavailableKeySpec`.
"""

from __future__ import annotations

from typing import TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, rsa

PrivateKey: TypeAlias = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | mldsa.MLDSA44PrivateKey
    | mldsa.MLDSA65PrivateKey
    | mldsa.MLDSA87PrivateKey
    | mlkem.MLKEM768PrivateKey
    | mlkem.MLKEM1024PrivateKey
)
PublicKey: TypeAlias = (
    rsa.RSAPublicKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PublicKey
    | mldsa.MLDSA44PublicKey
    | mldsa.MLDSA65PublicKey
    | mldsa.MLDSA87PublicKey
    | mlkem.MLKEM768PublicKey
    | mlkem.MLKEM1024PublicKey
)

RSA_KEY_BITS: dict[str, int] = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}

EC_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}

_ML_DSA: dict[str, type[mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey]] = {
    "ML_DSA_44": mldsa.MLDSA44PrivateKey,
    "ML_DSA_65": mldsa.MLDSA65PrivateKey,
    "ML_DSA_87": mldsa.MLDSA87PrivateKey,
}

_ML_KEM: dict[str, type[mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey]] = {
    "ML_KEM_768": mlkem.MLKEM768PrivateKey,
    "ML_KEM_1024": mlkem.MLKEM1024PrivateKey,
}

ED25519 = "ECC_NIST_EDWARDS25519"

# Specs AWS names that this build cannot make, and why (shown to the caller).
UNAVAILABLE_REASONS: dict[str, str] = {
    "ML_KEM_512": "ML_KEM_512 is not supported by this Strongroom server (its cryptography library "
    "implements ML-KEM-768 and ML-KEM-1024 only).",
    "SM2": "SM2 key specs are only available in the AWS China Regions.",
}


class UnavailableKeySpec(Exception):
    """A key spec AWS has but this server cannot generate or use; `reason` says why."""

    def __init__(self, key_spec: str) -> None:
        self.key_spec = key_spec
        self.reason = UNAVAILABLE_REASONS.get(key_spec, f"{key_spec} is not an asymmetric key spec.")
        super().__init__(self.reason)


def can_generate(key_spec: str) -> bool:
    return key_spec == ED25519 or any(
        key_spec in table for table in (RSA_KEY_BITS, EC_CURVES, _ML_DSA, _ML_KEM)
    )


def generate_private_key(key_spec: str) -> bytes:
    """A fresh key pair of `key_spec`, as the PKCS#8 DER of its private key."""
    key: PrivateKey
    if key_spec in RSA_KEY_BITS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS[key_spec])
    elif key_spec in EC_CURVES:
        key = ec.generate_private_key(EC_CURVES[key_spec]())
    elif key_spec == ED25519:
        key = ed25519.Ed25519PrivateKey.generate()
    elif key_spec in _ML_DSA:
        key = _ML_DSA[key_spec].generate()
    elif key_spec in _ML_KEM:
        key = _ML_KEM[key_spec].generate()
    else:
        raise UnavailableKeySpec(key_spec)
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_private_key(key_spec: str, private_der: bytes, *, validate: bool = False) -> PrivateKey:
    """The private key of `key_spec` from its PKCS#8 DER; ValueError if it is not of that spec.

    Material we generated and sealed is loaded without OpenSSL's RSA consistency check, which
    costs about a second for RSA_4096 on every use; the seal's authentication already vouches for
    it. Material arriving from outside (an import) must be loaded with `validate=True`.
    """
    key = serialization.load_der_private_key(
        private_der, password=None, unsafe_skip_rsa_key_validation=not validate
    )
    if not _matches(key_spec, key):
        raise ValueError(f"stored key material is not a {key_spec} private key")
    return key  # type: ignore[return-value]  # _matches narrowed it to one of PrivateKey's members


def public_key_der(key_spec: str, private_der: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of the key pair held in `private_der`."""
    return spki_of(load_private_key(key_spec, private_der).public_key())


def spki_of(public_key: PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _matches(key_spec: str, key: object) -> bool:
    if key_spec in RSA_KEY_BITS:
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size == RSA_KEY_BITS[key_spec]
    if key_spec in EC_CURVES:
        return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, EC_CURVES[key_spec])
    if key_spec == ED25519:
        return isinstance(key, ed25519.Ed25519PrivateKey)
    if key_spec in _ML_DSA:
        return isinstance(key, _ML_DSA[key_spec])
    if key_spec in _ML_KEM:
        return isinstance(key, _ML_KEM[key_spec])
    return False
