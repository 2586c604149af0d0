"""Encapsulate/Decapsulate with ML-KEM keys: round trips, pyca interop, implicit rejection."""

from __future__ import annotations

import functools

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mlkem

from strongroom.aws.errors import AWSError
from strongroom.services.kms import kem
from strongroom.services.kms.asymmetric_material import generate_private_key, public_key_der

SPECS = {"ML_KEM_768": 1088, "ML_KEM_1024": 1568}


@functools.cache
def private_key(key_spec: str) -> bytes:
    return generate_private_key(key_spec)


@pytest.mark.parametrize(("key_spec", "ciphertext_size"), sorted(SPECS.items()))
def test_encapsulate_then_decapsulate(key_spec: str, ciphertext_size: int) -> None:
    der = private_key(key_spec)
    secret, ciphertext = kem.encapsulate(key_spec, der, "ML_KEM")
    assert len(secret) == 32
    assert len(ciphertext) == ciphertext_size == kem.CIPHERTEXT_SIZES[key_spec]
    assert kem.decapsulate(key_spec, der, "ML_KEM", ciphertext) == secret


@pytest.mark.parametrize("key_spec", sorted(SPECS))
def test_peer_encapsulates_with_the_public_key_from_get_public_key(key_spec: str) -> None:
    der = private_key(key_spec)
    public = serialization.load_der_public_key(public_key_der(key_spec, der))
    assert isinstance(public, mlkem.MLKEM768PublicKey | mlkem.MLKEM1024PublicKey)
    secret, ciphertext = public.encapsulate()
    assert kem.decapsulate(key_spec, der, "ML_KEM", ciphertext) == secret


def test_altered_or_foreign_ciphertext_gives_an_unrelated_secret_not_an_error() -> None:
    der = private_key("ML_KEM_768")
    secret, ciphertext = kem.encapsulate("ML_KEM_768", der, "ML_KEM")
    altered = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
    rejected = kem.decapsulate("ML_KEM_768", der, "ML_KEM", altered)
    assert len(rejected) == 32 and rejected != secret
    # Implicit rejection is deterministic for a given key and ciphertext.
    assert kem.decapsulate("ML_KEM_768", der, "ML_KEM", altered) == rejected
    other = generate_private_key("ML_KEM_768")
    assert kem.decapsulate("ML_KEM_768", other, "ML_KEM", ciphertext) != secret


@pytest.mark.parametrize("length", [0, 1087, 1089, 1568])
def test_ciphertext_of_the_wrong_length_is_invalid_ciphertext(length: int) -> None:
    with pytest.raises(AWSError) as exc:
        kem.decapsulate("ML_KEM_768", private_key("ML_KEM_768"), "ML_KEM", b"\x00" * length)
    assert exc.value.code == "InvalidCiphertextException"


def test_ml_kem_512_is_a_clear_unsupported_operation() -> None:
    with pytest.raises(AWSError) as exc:
        kem.encapsulate("ML_KEM_512", b"", "ML_KEM")
    assert exc.value.code == "UnsupportedOperationException"
    assert "ML_KEM_512" in exc.value.message


@pytest.mark.parametrize("key_spec", ["RSA_2048", "ECC_NIST_P256", "ML_DSA_65", "SYMMETRIC_DEFAULT"])
def test_other_key_specs_cannot_encapsulate(key_spec: str) -> None:
    with pytest.raises(AWSError) as exc:
        kem.encapsulate(key_spec, b"", "ML_KEM")
    assert exc.value.code == "InvalidKeyUsageException"


def test_unknown_encapsulation_algorithm_is_invalid_key_usage() -> None:
    with pytest.raises(AWSError) as exc:
        kem.encapsulate("ML_KEM_768", private_key("ML_KEM_768"), "ML_KEM_2")
    assert exc.value.code == "InvalidKeyUsageException"
