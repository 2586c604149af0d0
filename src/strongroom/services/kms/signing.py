"""Sign and Verify with asymmetric KMS keys: the algorithms, message types and their rules.

What AWS documents for Sign/Verify, and how each algorithm is computed:

- RSASSA_PSS_SHA_*: PSS with MGF1 over the same hash and a salt as long as the digest.
- RSASSA_PKCS1_V1_5_SHA_*: PKCS#1 v1.5 (DigestInfo over the hash).
- ECDSA_SHA_*: ECDSA with a DER-encoded (r, s) signature, random nonce.
- ED25519_SHA_512: pure Ed25519 over the message; MessageType must be RAW.
- ED25519_PH_SHA_512: Ed25519ph; MessageType must be DIGEST, a 64-byte SHA-512 digest that KMS
  pre-hashes once more (FIPS 186-5 §7.8.1 step 1), so the signature is Ed25519ph over the digest.
- ML_DSA_SHAKE_256: ML-DSA (FIPS 204, empty context) over a RAW message, or over a 64-byte
  representative μ when MessageType is EXTERNAL_MU.

MessageType RAW (the default) hashes the message; DIGEST means the message *is* the digest and
must be exactly the algorithm's digest size ("Digest is invalid length for algorithm ...").
Signing with an algorithm the key spec does not support is an InvalidKeyUsageException; a
message type an algorithm does not take is a ValidationException.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa, utils

from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.services.kms import ed25519ph
from strongroom.services.kms.asymmetric_material import load_private_key
from strongroom.services.kms.material import SPECS

RAW = "RAW"
DIGEST = "DIGEST"
EXTERNAL_MU = "EXTERNAL_MU"
ML_DSA_MU_SIZE = 64

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RSASSA_PSS_SHA_256": hashes.SHA256,
    "RSASSA_PSS_SHA_384": hashes.SHA384,
    "RSASSA_PSS_SHA_512": hashes.SHA512,
    "RSASSA_PKCS1_V1_5_SHA_256": hashes.SHA256,
    "RSASSA_PKCS1_V1_5_SHA_384": hashes.SHA384,
    "RSASSA_PKCS1_V1_5_SHA_512": hashes.SHA512,
    "ECDSA_SHA_256": hashes.SHA256,
    "ECDSA_SHA_384": hashes.SHA384,
    "ECDSA_SHA_512": hashes.SHA512,
    "ED25519_PH_SHA_512": hashes.SHA512,
}

_MLDSA_PUBLIC = (mldsa.MLDSA44PublicKey, mldsa.MLDSA65PublicKey, mldsa.MLDSA87PublicKey)
_MLDSA_PRIVATE = (mldsa.MLDSA44PrivateKey, mldsa.MLDSA65PrivateKey, mldsa.MLDSA87PrivateKey)


def signing_algorithms(key_spec: str) -> tuple[str, ...]:
    info = SPECS.get(key_spec)
    return info.signing_algorithms if info is not None else ()


def digest_size(algorithm: str) -> int | None:
    """The length a DIGEST message must have for `algorithm`; None if it takes no digest."""
    hash_type = _HASHES.get(algorithm)
    return hash_type().digest_size if hash_type is not None else None


def check_signing_request(key_spec: str, algorithm: str, message: bytes, message_type: str = RAW) -> None:
    """Raise AWS's error when `algorithm` and `message_type` cannot sign or verify `message`."""
    if algorithm not in signing_algorithms(key_spec):
        raise ServiceError(
            "InvalidKeyUsageException",
            f"Algorithm {algorithm} is incompatible with key spec {key_spec}.",
        )
    required = _required_message_type(algorithm)
    if message_type == EXTERNAL_MU:
        if algorithm != "ML_DSA_SHAKE_256":
            raise ValidationError(f"Message type EXTERNAL_MU is incompatible with algorithm {algorithm}.")
        if len(message) != ML_DSA_MU_SIZE:
            raise ValidationError(
                f"Message type EXTERNAL_MU requires a {ML_DSA_MU_SIZE}-byte message "
                f"for algorithm {algorithm}."
            )
        return
    if required is not None and message_type != required:
        raise ValidationError(f"Message type {message_type} is incompatible with algorithm {algorithm}.")
    if message_type == DIGEST and len(message) != digest_size(algorithm):
        raise ValidationError(f"Digest is invalid length for algorithm {algorithm}.")


def _required_message_type(algorithm: str) -> str | None:
    if algorithm == "ED25519_SHA_512":
        return RAW
    if algorithm == "ED25519_PH_SHA_512":
        return DIGEST
    if algorithm == "ML_DSA_SHAKE_256":
        return RAW  # or EXTERNAL_MU, checked before
    return None


def sign(key_spec: str, private_der: bytes, algorithm: str, message: bytes, message_type: str = RAW) -> bytes:
    """The signature KMS Sign returns for `message` with the key pair in `private_der`."""
    check_signing_request(key_spec, algorithm, message, message_type)
    key = load_private_key(key_spec, private_der)
    if isinstance(key, rsa.RSAPrivateKey):
        hash_type = _HASHES[algorithm]()
        return key.sign(message, _rsa_padding(algorithm, hash_type), _prehashed_or(hash_type, message_type))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(_prehashed_or(_HASHES[algorithm](), message_type)))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        if algorithm == "ED25519_PH_SHA_512":
            return ed25519ph.sign(key.private_bytes_raw(), message)
        return key.sign(message)
    if isinstance(key, _MLDSA_PRIVATE):
        return key.sign_mu(message) if message_type == EXTERNAL_MU else key.sign(message)
    raise ServiceError("InvalidKeyUsageException", f"Key spec {key_spec} cannot sign.")


def verify(
    key_spec: str,
    public_der: bytes,
    algorithm: str,
    message: bytes,
    signature: bytes,
    message_type: str = RAW,
) -> bool:
    """Whether `signature` is valid for `message` under the public key `public_der` (DER SPKI)."""
    check_signing_request(key_spec, algorithm, message, message_type)
    key = serialization.load_der_public_key(public_der)
    try:
        if isinstance(key, rsa.RSAPublicKey):
            hash_type = _HASHES[algorithm]()
            key.verify(
                signature, message, _rsa_padding(algorithm, hash_type), _prehashed_or(hash_type, message_type)
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(_prehashed_or(_HASHES[algorithm](), message_type)))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            if algorithm == "ED25519_PH_SHA_512":
                return ed25519ph.verify(key.public_bytes_raw(), message, signature)
            key.verify(signature, message)
        elif isinstance(key, _MLDSA_PUBLIC):
            if message_type == EXTERNAL_MU:
                key.verify_mu(signature, message)
            else:
                key.verify(signature, message)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _rsa_padding(algorithm: str, hash_type: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    if algorithm.startswith("RSASSA_PSS_"):
        return padding.PSS(mgf=padding.MGF1(hash_type), salt_length=hash_type.digest_size)
    return padding.PKCS1v15()


def _prehashed_or(
    hash_type: hashes.HashAlgorithm, message_type: str
) -> hashes.HashAlgorithm | utils.Prehashed:
    return utils.Prehashed(hash_type) if message_type == DIGEST else hash_type
