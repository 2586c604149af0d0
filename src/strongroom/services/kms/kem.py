"""Encapsulate and Decapsulate with ML-KEM KMS keys (FIPS 203; KeyUsage ENCAPSULATE_DECAPSULATE).

Encapsulate makes a fresh 32-byte shared secret and its ciphertext under the key's public half;
Decapsulate recovers it. As AWS documents, a ciphertext of the wrong length for the key spec is an
InvalidCiphertextException, while any other ciphertext — altered, or made for another key —
yields a pseudo-random 32-byte value (ML-KEM's implicit rejection), never an error. Ciphertext
sizes: ML_KEM_512 768 bytes, ML_KEM_768 1088, ML_KEM_1024 1568.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import mlkem

from strongroom.aws.errors import ServiceError
from strongroom.services.kms.asymmetric_material import UNAVAILABLE_REASONS, load_private_key
from strongroom.services.kms.material import SPECS

CIPHERTEXT_SIZES: dict[str, int] = {"ML_KEM_512": 768, "ML_KEM_768": 1088, "ML_KEM_1024": 1568}
SHARED_SECRET_SIZE = 32


def encapsulation_algorithms(key_spec: str) -> tuple[str, ...]:
    info = SPECS.get(key_spec)
    return info.encapsulation_algorithms if info is not None else ()


def check_encapsulation_algorithm(key_spec: str, algorithm: str) -> None:
    if algorithm not in encapsulation_algorithms(key_spec):
        raise ServiceError(
            "InvalidKeyUsageException",
            f"Algorithm {algorithm} is incompatible with key spec {key_spec}.",
        )
    if key_spec in UNAVAILABLE_REASONS:
        raise ServiceError("UnsupportedOperationException", UNAVAILABLE_REASONS[key_spec])


def encapsulate(key_spec: str, private_der: bytes, algorithm: str) -> tuple[bytes, bytes]:
    """(shared secret, ciphertext) for the ML-KEM key pair in `private_der`."""
    check_encapsulation_algorithm(key_spec, algorithm)
    key = _load(key_spec, private_der)
    shared_secret, ciphertext = key.public_key().encapsulate()
    return shared_secret, ciphertext


def decapsulate(key_spec: str, private_der: bytes, algorithm: str, ciphertext: bytes) -> bytes:
    """The shared secret in `ciphertext` (implicit rejection: a wrong one gives a random value)."""
    check_encapsulation_algorithm(key_spec, algorithm)
    if len(ciphertext) != CIPHERTEXT_SIZES[key_spec]:
        size = CIPHERTEXT_SIZES[key_spec]
        raise ServiceError(
            "InvalidCiphertextException",
            f"The SharedSecretCiphertextBlob must be {size} bytes for key spec {key_spec}.",
        )
    return _load(key_spec, private_der).decapsulate(ciphertext)


def _load(key_spec: str, private_der: bytes) -> mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey:
    key = load_private_key(key_spec, private_der)
    if not isinstance(key, mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey):
        raise ServiceError("InvalidKeyUsageException", f"Key spec {key_spec} cannot encapsulate.")
    return key
