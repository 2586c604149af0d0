"""Key specs and key material: what each KeySpec may do, and fresh material for it.

Extension point: `generate_key_material(key_spec)` returns the secret material a new key (or a
new material version) holds — for symmetric and HMAC keys, random bytes; for asymmetric keys a
colleague adds the private key (PKCS#8 DER) and `public_key_of(key_spec, material)`. `SPECS`
names every spec AWS has, with the usages and algorithms DescribeKey reports; a spec whose
material cannot be generated yet raises `UnsupportedKeySpec`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from strongroom.services.kms import asymmetric_material


class UnsupportedKeySpec(Exception):
    """Strongroom cannot make material of this key spec (yet)."""


@dataclass(frozen=True)
class KeySpecInfo:
    """What a key spec allows, as DescribeKey reports it."""

    usages: tuple[str, ...]
    encryption_algorithms: tuple[str, ...] = ()
    signing_algorithms: tuple[str, ...] = ()
    mac_algorithms: tuple[str, ...] = ()
    key_agreement_algorithms: tuple[str, ...] = ()
    encapsulation_algorithms: tuple[str, ...] = ()
    symmetric_bytes: int | None = None  # material size of symmetric and HMAC keys

    @property
    def default_usage(self) -> str:
        return self.usages[0]


_RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
_RSA_SIGNING = (
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
)


def _rsa() -> KeySpecInfo:
    return KeySpecInfo(
        usages=("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
        encryption_algorithms=_RSA_ENCRYPTION,
        signing_algorithms=_RSA_SIGNING,
    )


def _ecc(signing: str, agreement: bool = True) -> KeySpecInfo:
    usages = ("SIGN_VERIFY", "KEY_AGREEMENT") if agreement else ("SIGN_VERIFY",)
    return KeySpecInfo(
        usages=usages,
        signing_algorithms=(signing,),
        key_agreement_algorithms=("ECDH",) if agreement else (),
    )


SPECS: dict[str, KeySpecInfo] = {
    "SYMMETRIC_DEFAULT": KeySpecInfo(
        usages=("ENCRYPT_DECRYPT",), encryption_algorithms=("SYMMETRIC_DEFAULT",), symmetric_bytes=32
    ),
    "HMAC_224": KeySpecInfo(
        usages=("GENERATE_VERIFY_MAC",), mac_algorithms=("HMAC_SHA_224",), symmetric_bytes=28
    ),
    "HMAC_256": KeySpecInfo(
        usages=("GENERATE_VERIFY_MAC",), mac_algorithms=("HMAC_SHA_256",), symmetric_bytes=32
    ),
    "HMAC_384": KeySpecInfo(
        usages=("GENERATE_VERIFY_MAC",), mac_algorithms=("HMAC_SHA_384",), symmetric_bytes=48
    ),
    "HMAC_512": KeySpecInfo(
        usages=("GENERATE_VERIFY_MAC",), mac_algorithms=("HMAC_SHA_512",), symmetric_bytes=64
    ),
    "RSA_2048": _rsa(),
    "RSA_3072": _rsa(),
    "RSA_4096": _rsa(),
    "ECC_NIST_P256": _ecc("ECDSA_SHA_256"),
    "ECC_NIST_P384": _ecc("ECDSA_SHA_384"),
    "ECC_NIST_P521": _ecc("ECDSA_SHA_512"),
    "ECC_SECG_P256K1": _ecc("ECDSA_SHA_256", agreement=False),  # AWS: SIGN_VERIFY only
    "ECC_NIST_EDWARDS25519": KeySpecInfo(
        usages=("SIGN_VERIFY",), signing_algorithms=("ED25519_SHA_512", "ED25519_PH_SHA_512")
    ),
    "SM2": KeySpecInfo(
        usages=("SIGN_VERIFY", "ENCRYPT_DECRYPT", "KEY_AGREEMENT"),
        encryption_algorithms=("SM2PKE",),
        signing_algorithms=("SM2DSA",),
        key_agreement_algorithms=("ECDH",),
    ),
    "ML_DSA_44": KeySpecInfo(usages=("SIGN_VERIFY",), signing_algorithms=("ML_DSA_SHAKE_256",)),
    "ML_DSA_65": KeySpecInfo(usages=("SIGN_VERIFY",), signing_algorithms=("ML_DSA_SHAKE_256",)),
    "ML_DSA_87": KeySpecInfo(usages=("SIGN_VERIFY",), signing_algorithms=("ML_DSA_SHAKE_256",)),
    "ML_KEM_512": KeySpecInfo(usages=("ENCAPSULATE_DECAPSULATE",), encapsulation_algorithms=("ML_KEM",)),
    "ML_KEM_768": KeySpecInfo(usages=("ENCAPSULATE_DECAPSULATE",), encapsulation_algorithms=("ML_KEM",)),
    "ML_KEM_1024": KeySpecInfo(usages=("ENCAPSULATE_DECAPSULATE",), encapsulation_algorithms=("ML_KEM",)),
}  # fmt: skip


def spec_info(key_spec: str) -> KeySpecInfo:
    return SPECS[key_spec]


def algorithms_for_usage(key_spec: str, key_usage: str) -> dict[str, list[str]]:
    """The algorithm lists DescribeKey shows for a key of this spec and usage."""
    info = SPECS[key_spec]
    if key_usage == "ENCRYPT_DECRYPT":
        return {"EncryptionAlgorithms": list(info.encryption_algorithms)}
    if key_usage == "SIGN_VERIFY":
        return {"SigningAlgorithms": list(info.signing_algorithms)}
    if key_usage == "GENERATE_VERIFY_MAC":
        return {"MacAlgorithms": list(info.mac_algorithms)}
    if key_usage == "KEY_AGREEMENT":
        return {"KeyAgreementAlgorithms": list(info.key_agreement_algorithms)}
    if key_usage == "ENCAPSULATE_DECAPSULATE":
        return {"EncapsulationAlgorithms": list(info.encapsulation_algorithms)}
    return {}


def is_symmetric(key_spec: str) -> bool:
    return key_spec == "SYMMETRIC_DEFAULT"


def generate_key_material(key_spec: str) -> bytes:
    """Fresh secret material for a key (or a new material version) of `key_spec`."""
    info = SPECS.get(key_spec)
    if info is None:
        raise UnsupportedKeySpec(key_spec)
    if info.symmetric_bytes is not None:
        return os.urandom(info.symmetric_bytes)
    if not asymmetric_material.can_generate(key_spec):
        raise UnsupportedKeySpec(asymmetric_material.UnavailableKeySpec(key_spec).reason)
    return asymmetric_material.generate_private_key(key_spec)


def public_key_of(key_spec: str, material: bytes) -> bytes | None:
    """The DER SubjectPublicKeyInfo of asymmetric material; None for symmetric and HMAC keys."""
    info = SPECS.get(key_spec)
    if info is not None and info.symmetric_bytes is not None:
        return None
    if not asymmetric_material.can_generate(key_spec):
        raise UnsupportedKeySpec(asymmetric_material.UnavailableKeySpec(key_spec).reason)
    return asymmetric_material.public_key_der(key_spec, material)
