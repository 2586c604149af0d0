"""Encrypt and Decrypt with RSA KMS keys (KeyUsage ENCRYPT_DECRYPT): RSAES-OAEP, as AWS does it.

RSAES_OAEP_SHA_1 and RSAES_OAEP_SHA_256 use MGF1 with the same hash and an empty label. The
ciphertext is the bare RSA output, exactly as long as the modulus: anyone holding the public key
from GetPublicKey can encrypt, and Decrypt (with the KeyId and algorithm) opens it. The largest
plaintext is the OAEP bound k - 2·hLen - 2, which gives AWS's table:

    ============  ================  ==================
    key spec      RSAES_OAEP_SHA_1  RSAES_OAEP_SHA_256
    ============  ================  ==================
    RSA_2048      214               190
    RSA_3072      342               318
    RSA_4096      470               446
    ============  ================  ==================
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.services.kms.asymmetric_material import RSA_KEY_BITS, load_private_key
from strongroom.services.kms.material import SPECS

_OAEP_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
}


def encryption_algorithms(key_spec: str) -> tuple[str, ...]:
    info = SPECS.get(key_spec)
    return info.encryption_algorithms if info is not None else ()


def max_plaintext_size(key_spec: str, algorithm: str) -> int:
    return RSA_KEY_BITS[key_spec] // 8 - 2 * _OAEP_HASHES[algorithm]().digest_size - 2


def check_encryption_algorithm(key_spec: str, algorithm: str | None) -> str:
    """The algorithm to use with an RSA key; InvalidKeyUsageException if the key spec lacks it.

    An omitted algorithm means SYMMETRIC_DEFAULT, which no asymmetric key supports.
    """
    chosen = algorithm or "SYMMETRIC_DEFAULT"
    if key_spec not in RSA_KEY_BITS or chosen not in encryption_algorithms(key_spec):
        raise ServiceError(
            "InvalidKeyUsageException",
            f"Algorithm {chosen} is incompatible with key spec {key_spec}.",
        )
    return chosen


def encrypt(key_spec: str, private_der: bytes, algorithm: str | None, plaintext: bytes) -> bytes:
    """The RSAES-OAEP ciphertext of `plaintext` under the public half of the key pair."""
    chosen = check_encryption_algorithm(key_spec, algorithm)
    limit = max_plaintext_size(key_spec, chosen)
    if len(plaintext) > limit:
        raise ValidationError(
            f"Plaintext is too long for algorithm {chosen} with key spec {key_spec}: "
            f"at most {limit} bytes are allowed."
        )
    key = load_private_key(key_spec, private_der)
    assert isinstance(key, rsa.RSAPrivateKey)  # load_private_key checked the spec
    return key.public_key().encrypt(plaintext, _oaep(chosen))


def decrypt(key_spec: str, private_der: bytes, algorithm: str | None, ciphertext: bytes) -> bytes:
    """The plaintext of an RSAES-OAEP ciphertext; InvalidCiphertextException if it does not open."""
    chosen = check_encryption_algorithm(key_spec, algorithm)
    key = load_private_key(key_spec, private_der)
    assert isinstance(key, rsa.RSAPrivateKey)  # load_private_key checked the spec
    if len(ciphertext) != key.key_size // 8:
        raise ServiceError("InvalidCiphertextException", "")
    try:
        return key.decrypt(ciphertext, _oaep(chosen))
    except ValueError:
        raise ServiceError("InvalidCiphertextException", "") from None


def _oaep(algorithm: str) -> padding.OAEP:
    hash_type = _OAEP_HASHES[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(hash_type), algorithm=hash_type, label=None)
