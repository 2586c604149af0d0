"""Import wrapping: RSA-OAEP and RSA_AES_KEY_WRAP (RFC 5649) unwrapping, material checks."""

from __future__ import annotations

import functools
import os

import pytest
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom.aws.errors import AWSError
from strongroom.services.kms import wrapping
from strongroom.services.kms.asymmetric_material import generate_private_key, public_key_der

# RFC 5649 §6: AES Key Wrap with Padding, 192-bit KEK, 20-octet key. Pins the primitive that
# RSA_AES_KEY_WRAP_* builds on.
RFC5649_KEK = bytes.fromhex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
RFC5649_KEY = bytes.fromhex("c37b7e6492584340bed12207808941155068f738")
RFC5649_WRAPPED = bytes.fromhex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")
HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256}


@functools.cache
def wrapping_key(spec: str) -> bytes:
    return generate_private_key(spec)


def _oaep(algorithm: str) -> padding.OAEP:
    hash_type = HASHES["SHA_1"]() if algorithm.endswith("SHA_1") else HASHES["SHA_256"]()
    return padding.OAEP(padding.MGF1(hash_type), hash_type, None)


def _public(spec: str = "RSA_2048") -> rsa.RSAPublicKey:
    public = serialization.load_der_public_key(public_key_der(spec, wrapping_key(spec)))
    assert isinstance(public, rsa.RSAPublicKey)
    return public


def importer_wraps(
    algorithm: str, material: bytes, spec: str = "RSA_2048", aes_key: bytes | None = None
) -> bytes:
    """What an importer does with GetParametersForImport's public key (AWS's documented steps)."""
    public = _public(spec)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, _oaep(algorithm))
    aes_key = aes_key or os.urandom(32)
    return public.encrypt(aes_key, _oaep(algorithm)) + keywrap.aes_key_wrap_with_padding(aes_key, material)


def test_rfc5649_primitive() -> None:
    assert keywrap.aes_key_wrap_with_padding(RFC5649_KEK, RFC5649_KEY) == RFC5649_WRAPPED
    assert keywrap.aes_key_unwrap_with_padding(RFC5649_KEK, RFC5649_WRAPPED) == RFC5649_KEY


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"])
def test_oaep_wrapped_symmetric_material_unwraps(algorithm: str) -> None:
    material = os.urandom(32)
    wrapped = importer_wraps(algorithm, material)
    assert wrapping.unwrap_key_material(algorithm, "RSA_2048", wrapping_key("RSA_2048"), wrapped) == material


@pytest.mark.parametrize("algorithm", ["RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"])
@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_4096"])
def test_hybrid_wrapped_asymmetric_material_unwraps_and_checks(algorithm: str, spec: str) -> None:
    material = generate_private_key("RSA_3072")
    wrapped = importer_wraps(algorithm, material, spec)
    unwrapped = wrapping.unwrap_key_material(algorithm, spec, wrapping_key(spec), wrapped)
    assert unwrapped == material
    wrapping.check_imported_private_key("RSA_3072", unwrapped)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda w: w[:-1],
        lambda w: w[:256],
        lambda w: w + b"\x00" * 8,
        lambda w: w[:300] + bytes([w[300] ^ 1]) + w[301:],
        lambda w: bytes([w[0] ^ 1]) + w[1:],
    ],
    ids=["truncated", "no-kwp-part", "extended", "kwp-bit-flip", "rsa-bit-flip"],
)
def test_altered_hybrid_wrapping_is_invalid_ciphertext(mangle: object) -> None:
    assert callable(mangle)
    wrapped = importer_wraps("RSA_AES_KEY_WRAP_SHA_256", generate_private_key("ECC_NIST_P256"))
    with pytest.raises(AWSError) as exc:
        wrapping.unwrap_key_material(
            "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048", wrapping_key("RSA_2048"), mangle(wrapped)
        )
    assert exc.value.code == "InvalidCiphertextException"
    assert exc.value.message == ""


def test_wrong_hash_and_short_aes_key_are_invalid_ciphertext() -> None:
    wrapped = importer_wraps("RSA_AES_KEY_WRAP_SHA_256", b"m" * 40)
    with pytest.raises(AWSError) as exc:
        wrapping.unwrap_key_material("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048", wrapping_key("RSA_2048"), wrapped)
    assert exc.value.code == "InvalidCiphertextException"
    short = importer_wraps("RSA_AES_KEY_WRAP_SHA_256", b"m" * 40, aes_key=os.urandom(16))
    with pytest.raises(AWSError) as exc:
        wrapping.unwrap_key_material("RSA_AES_KEY_WRAP_SHA_256", "RSA_2048", wrapping_key("RSA_2048"), short)
    assert exc.value.code == "InvalidCiphertextException"


@pytest.mark.parametrize(
    ("key_spec", "algorithm", "wrapping_spec", "code"),
    [
        ("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256", "RSA_2048", None),
        ("HMAC_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_3072", None),
        ("ECC_NIST_P256", "RSA_AES_KEY_WRAP_SHA_256", "RSA_4096", None),
        ("ECC_NIST_P256", "RSAES_OAEP_SHA_256", "RSA_4096", "ValidationException"),
        ("SYMMETRIC_DEFAULT", "RSAES_PKCS1_V1_5", "RSA_2048", "ValidationException"),
        ("SYMMETRIC_DEFAULT", "SM2PKE", "SM2", "UnsupportedOperationException"),
    ],
)
def test_wrapping_algorithm_rules(
    key_spec: str, algorithm: str, wrapping_spec: str, code: str | None
) -> None:
    if code is None:
        wrapping.check_wrapping_algorithm(key_spec, algorithm, wrapping_spec)
        return
    with pytest.raises(AWSError) as exc:
        wrapping.check_wrapping_algorithm(key_spec, algorithm, wrapping_spec)
    assert exc.value.code == code


def test_imported_material_must_be_a_valid_private_key_of_the_spec() -> None:
    wrapping.check_imported_private_key("ECC_NIST_P384", generate_private_key("ECC_NIST_P384"))
    key = rsa.generate_private_key(65537, 2048)
    numbers = key.private_numbers()
    inconsistent = rsa.RSAPrivateNumbers(
        p=numbers.p,
        q=numbers.q,
        d=numbers.d,
        dmp1=numbers.dmp1 ^ 2,
        dmq1=numbers.dmq1,
        iqmp=numbers.iqmp,
        public_numbers=numbers.public_numbers,
    ).private_key(unsafe_skip_rsa_key_validation=True)
    inconsistent_der = inconsistent.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for spec, material in (
        ("ECC_NIST_P256", generate_private_key("ECC_NIST_P384")),
        ("RSA_2048", inconsistent_der),
        ("RSA_2048", b"not a key"),
        ("ML_DSA_44", generate_private_key("ML_DSA_65")),
    ):
        with pytest.raises(AWSError) as exc:
            wrapping.check_imported_private_key(spec, material)
        assert exc.value.code == "ValidationException"
