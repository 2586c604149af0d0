"""Asymmetric key material and data key pairs: every KMS key spec, PKCS#8 in, SPKI out."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, rsa

from strongroom.aws.errors import AWSError
from strongroom.services.kms import asymmetric_material, data_key_pairs, material

EXPECTED_TYPES: dict[str, tuple[type, type]] = {
    "RSA_2048": (rsa.RSAPrivateKey, rsa.RSAPublicKey),
    "RSA_3072": (rsa.RSAPrivateKey, rsa.RSAPublicKey),
    "RSA_4096": (rsa.RSAPrivateKey, rsa.RSAPublicKey),
    "ECC_NIST_P256": (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey),
    "ECC_NIST_P384": (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey),
    "ECC_NIST_P521": (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey),
    "ECC_SECG_P256K1": (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey),
    "ECC_NIST_EDWARDS25519": (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey),
    "ML_DSA_44": (mldsa.MLDSA44PrivateKey, mldsa.MLDSA44PublicKey),
    "ML_DSA_65": (mldsa.MLDSA65PrivateKey, mldsa.MLDSA65PublicKey),
    "ML_DSA_87": (mldsa.MLDSA87PrivateKey, mldsa.MLDSA87PublicKey),
    "ML_KEM_768": (mlkem.MLKEM768PrivateKey, mlkem.MLKEM768PublicKey),
    "ML_KEM_1024": (mlkem.MLKEM1024PrivateKey, mlkem.MLKEM1024PublicKey),
}
CURVE_NAMES = {
    "ECC_NIST_P256": "secp256r1",
    "ECC_NIST_P384": "secp384r1",
    "ECC_NIST_P521": "secp521r1",
    "ECC_SECG_P256K1": "secp256k1",
}


@pytest.mark.parametrize("key_spec", sorted(EXPECTED_TYPES))
def test_material_generates_pkcs8_and_publishes_spki(key_spec: str) -> None:
    private_type, public_type = EXPECTED_TYPES[key_spec]
    der = material.generate_key_material(key_spec)
    private = serialization.load_der_private_key(der, None)
    assert isinstance(private, private_type)
    spki = material.public_key_of(key_spec, der)
    assert spki is not None
    public = serialization.load_der_public_key(spki)
    assert isinstance(public, public_type)
    assert spki == asymmetric_material.spki_of(private.public_key())
    if isinstance(private, rsa.RSAPrivateKey):
        assert private.key_size == asymmetric_material.RSA_KEY_BITS[key_spec]
        assert private.private_numbers().public_numbers.e == 65537
    if isinstance(private, ec.EllipticCurvePrivateKey):
        assert private.curve.name == CURVE_NAMES[key_spec]


def test_every_key_spec_in_the_table_is_generated_or_clearly_unavailable() -> None:
    for key_spec, info in material.SPECS.items():
        if info.symmetric_bytes is not None:
            continue
        assert asymmetric_material.can_generate(key_spec) != (
            key_spec in asymmetric_material.UNAVAILABLE_REASONS
        )


@pytest.mark.parametrize("key_spec", ["ML_KEM_512", "SM2"])
def test_unavailable_specs_raise_the_colleague_s_unsupported_key_spec(key_spec: str) -> None:
    with pytest.raises(material.UnsupportedKeySpec, match=key_spec):
        material.generate_key_material(key_spec)


def test_material_of_another_spec_is_refused() -> None:
    der = asymmetric_material.generate_private_key("ECC_NIST_P256")
    with pytest.raises(ValueError):
        asymmetric_material.load_private_key("ECC_NIST_P384", der)
    with pytest.raises(ValueError):
        asymmetric_material.load_private_key("RSA_2048", der)


def test_validate_catches_an_inconsistent_rsa_key() -> None:
    key = rsa.generate_private_key(65537, 2048)
    numbers = key.private_numbers()
    broken = rsa.RSAPrivateNumbers(
        p=numbers.p,
        q=numbers.q,
        d=numbers.d,
        dmp1=numbers.dmp1,
        dmq1=numbers.dmq1 ^ 2,
        iqmp=numbers.iqmp,
        public_numbers=numbers.public_numbers,
    ).private_key(unsafe_skip_rsa_key_validation=True)
    der = broken.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError):
        asymmetric_material.load_private_key("RSA_2048", der, validate=True)


def test_key_usages_per_spec_are_aws_s() -> None:
    assert material.SPECS["ECC_SECG_P256K1"].usages == ("SIGN_VERIFY",)
    assert material.SPECS["ECC_NIST_P256"].usages == ("SIGN_VERIFY", "KEY_AGREEMENT")
    assert material.SPECS["ECC_NIST_EDWARDS25519"].usages == ("SIGN_VERIFY",)
    assert material.SPECS["ML_KEM_768"].usages == ("ENCAPSULATE_DECAPSULATE",)
    assert material.SPECS["ML_DSA_44"].usages == ("SIGN_VERIFY",)
    assert set(material.SPECS["RSA_3072"].usages) == {"ENCRYPT_DECRYPT", "SIGN_VERIFY"}


@pytest.mark.parametrize(
    "key_pair_spec", [spec for spec in data_key_pairs.KEY_PAIR_SPECS if spec not in ("SM2", "ML_KEM_512")]
)
def test_data_key_pair_private_and_public_halves_match(key_pair_spec: str) -> None:
    private_der, public_der = data_key_pairs.generate_data_key_pair(key_pair_spec)
    private = serialization.load_der_private_key(private_der, None)
    assert asymmetric_material.spki_of(private.public_key()) == public_der  # type: ignore[arg-type]
    assert len(private_der) <= 4096  # PrivateKeyPlaintext's model limit
    assert len(public_der) <= 8192  # PublicKey's model limit


def test_data_key_pairs_are_fresh_each_time() -> None:
    first, _ = data_key_pairs.generate_data_key_pair("ECC_NIST_P256")
    second, _ = data_key_pairs.generate_data_key_pair("ECC_NIST_P256")
    assert first != second


@pytest.mark.parametrize("key_pair_spec", ["SM2", "ML_KEM_512", "HMAC_256", "SYMMETRIC_DEFAULT"])
def test_unavailable_data_key_pair_specs_are_unsupported_operations(key_pair_spec: str) -> None:
    with pytest.raises(AWSError) as exc:
        data_key_pairs.generate_data_key_pair(key_pair_spec)
    assert exc.value.code == "UnsupportedOperationException"
