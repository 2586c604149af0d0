"""Importing key material: AWS's wrapping algorithms and the checks on what comes out of them.

GetParametersForImport hands out the public half of an RSA wrapping key (RSA_2048, RSA_3072 or
RSA_4096); the importer wraps its key material with it and one of AWS's algorithms:

- ``RSAES_OAEP_SHA_1`` / ``RSAES_OAEP_SHA_256``: RSA-OAEP (MGF1 with the same hash) of the
  material itself — for symmetric and HMAC key material.
- ``RSA_AES_KEY_WRAP_SHA_1`` / ``RSA_AES_KEY_WRAP_SHA_256``: RSA-OAEP of an ephemeral 256-bit AES
  key, followed by AES Key Wrap with Padding (RFC 5649) of the material under it — for any
  material, and the only choice for asymmetric private keys (too large for OAEP).
- ``RSAES_PKCS1_V1_5``: no longer accepted by AWS (ValidationException); ``SM2PKE`` and the
  ``SM2`` wrapping key spec exist only in AWS's China Regions (UnsupportedOperationException).

Every unwrapping failure reads the same (InvalidCiphertextException, no message): which step
failed is none of the caller's business. Imported private keys are loaded with OpenSSL's full
consistency checks and must be of the key's spec.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.services.kms import asymmetric_material
from strongroom.services.kms.material import SPECS

WRAPPING_KEY_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
_HASHES: dict[str, type[hashes.SHA1] | type[hashes.SHA256]] = {
    "RSAES_OAEP_SHA_1": hashes.SHA1,
    "RSAES_OAEP_SHA_256": hashes.SHA256,
    "RSA_AES_KEY_WRAP_SHA_1": hashes.SHA1,
    "RSA_AES_KEY_WRAP_SHA_256": hashes.SHA256,
}
WRAPPING_ALGORITHMS = tuple(_HASHES)
_AES_KEY_BYTES = 32


def _invalid_ciphertext() -> ServiceError:
    return ServiceError("InvalidCiphertextException", "")


def check_wrapping_algorithm(key_spec: str, algorithm: str, wrapping_key_spec: str) -> None:
    """Refuse a wrapping algorithm or wrapping key spec AWS does not accept for this key spec."""
    if algorithm == "SM2PKE" or wrapping_key_spec == "SM2":
        raise ServiceError(
            "UnsupportedOperationException",
            "SM2 wrapping keys and the SM2PKE wrapping algorithm are only available "
            "in the AWS China Regions.",
        )
    if algorithm not in _HASHES:
        raise ValidationError(
            f"The {algorithm} wrapping algorithm is not supported; "
            "use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256."
        )
    if wrapping_key_spec not in WRAPPING_KEY_SPECS:
        raise ValidationError(f"{wrapping_key_spec} is not a wrapping key spec.")
    info = SPECS.get(key_spec)
    if info is not None and info.symmetric_bytes is None and not algorithm.startswith("RSA_AES_KEY_WRAP_"):
        raise ValidationError(
            f"Key material of {key_spec} keys must be wrapped with "
            "RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256."
        )


def _oaep(algorithm: str) -> padding.OAEP:
    digest = _HASHES[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)


def unwrap_key_material(
    algorithm: str, wrapping_key_spec: str, wrapping_private_key: bytes, wrapped: bytes
) -> bytes:
    """The key material in `wrapped`, opened with the wrapping key (PKCS#8 DER) and algorithm."""
    if algorithm not in _HASHES:
        raise _invalid_ciphertext()
    private = serialization.load_der_private_key(wrapping_private_key, password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise _invalid_ciphertext()
    size = private.key_size // 8
    try:
        if not algorithm.startswith("RSA_AES_KEY_WRAP_"):
            return private.decrypt(wrapped, _oaep(algorithm))
        if len(wrapped) <= size:
            raise _invalid_ciphertext()
        aes_key = private.decrypt(wrapped[:size], _oaep(algorithm))
        if len(aes_key) != _AES_KEY_BYTES:
            raise _invalid_ciphertext()
        return aes_key_unwrap_with_padding(aes_key, wrapped[size:])
    except (ValueError, InvalidUnwrap):
        raise _invalid_ciphertext() from None


def check_imported_private_key(key_spec: str, material: bytes) -> None:
    """Imported asymmetric material must be a consistent PKCS#8 private key of the key's spec."""
    try:
        asymmetric_material.load_private_key(key_spec, material, validate=True)
    except (ValueError, TypeError, asymmetric_material.UnavailableKeySpec):
        raise ValidationError(
            f"The imported key material is not a valid PKCS#8 private key of key spec {key_spec}."
        ) from None
    except Exception:  # OpenSSL reports some malformed keys with its own exception types
        raise ValidationError(
            f"The imported key material is not a valid PKCS#8 private key of key spec {key_spec}."
        ) from None
