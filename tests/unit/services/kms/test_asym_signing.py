"""Sign/Verify: Wycheproof and RFC 8032 known answers, AWS's message-type rules, pyca interop."""

from __future__ import annotations

import functools
import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa, utils

from strongroom.aws.errors import AWSError
from strongroom.services.kms import ed25519ph, signing
from strongroom.services.kms.asymmetric_material import generate_private_key, public_key_der
from strongroom.services.kms.material import SPECS

# Project Wycheproof, testvectors_v1/ecdsa_secp256r1_sha256_test.json: the group whose public key
# starts 042927b1..., message "123400" (hex 313233343030). DER signatures.
WYCHEPROOF_ECDSA_P256_SPKI = bytes.fromhex(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200042927b10512bae3eddcfe467828128bad29032699"
    "19f7086069c8c4df6c732838c7787964eaac00e5921fb1498a60f4606766b3d9685001558d1a974e7341513e"
)
WYCHEPROOF_ECDSA_P256_MESSAGE = bytes.fromhex("313233343030")
WYCHEPROOF_ECDSA_P256_CASES = [
    # (tcId, signature, valid)
    (
        5,
        "304402202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e1802204cd60b855d442f5b"
        "3c7b11eb6c4e0ae7525fe710fab9aa7c77a67f79e6fadd76",
        True,
    ),
    (
        6,  # s misses its leading 0 (negative INTEGER)
        "304402202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e180220b329f479a2bbd0a5"
        "c384ee1493b1f5186a87139cac5df4087c134b49156847db",
        False,
    ),
    (
        7,
        "304502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0"
        "a5c384ee1493b1f5186a87139cac5df4087c134b49156847db",
        True,
    ),
    (
        8,  # BER long-form length
        "30814502202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bb"
        "d0a5c384ee1493b1f5186a87139cac5df4087c134b49156847db",
        False,
    ),
    (
        10,  # sequence length 70 instead of 69
        "304602202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0"
        "a5c384ee1493b1f5186a87139cac5df4087c134b49156847db",
        False,
    ),
    (
        23,  # trailing zeros appended to the sequence
        "304702202ba3a8be6b94d5ec80a6d9d1190a436effe50d85a1eee859b8cc6af9bd5c2e18022100b329f479a2bbd0"
        "a5c384ee1493b1f5186a87139cac5df4087c134b49156847db0000",
        False,
    ),
]

# Project Wycheproof, testvectors_v1/rsa_pss_2048_sha256_mgf1_32_test.json (SHA-256, MGF1-SHA-256,
# salt 32 bytes: exactly KMS's RSASSA_PSS_SHA_256).
WYCHEPROOF_PSS_SPKI = bytes.fromhex(
    "30820122300d06092a864886f70d01010105000382010f003082010a0282010100a2b451a07d0aa5f96e4556715135"
    "50514a8a5b462ebef717094fa1fee82224e637f9746d3f7cafd31878d80325b6ef5a1700f65903b469429e89d6eac8"
    "845097b5ab393189db92512ed8a7711a1253facd20f79c15e8247f3d3e42e46e48c98e254a2fe9765313a03eff8f17"
    "e1a029397a1fa26a8dce26f490ed81299615d9814c22da610428e09c7d9658594266f5c021d0fceca08d945a12be82"
    "de4d1ece6b4c03145b5d3495d4ed5411eb878daf05fd7afc3e09ada0f1126422f590975a1969816f48698bcbba1b4d"
    "9cae79d460d8f9f85e7975005d9bc22c4e5ac0f7c1a45d12569a62807d3b9a02e5a530e773066f453d1f5b4c2e9cf7"
    "820283f742b9d50203010001"
)
WYCHEPROOF_PSS_CASES = [
    # (tcId, message, signature, valid)
    (
        3,
        "54657374",
        "401eb03cdb47ca88033e3030f6bdecbac8f5c8fc1dd6a13d23d379ed9a2b309891d13d74fea9d21d159b9e6d8f37ef"
        "a2489962e24555f56dd434ff1d31ce4f9f5abd3f22cbea8b691d6a11e44efb83e2bca155e6a164325e0fde2a8865af"
        "d5c9f51161a9d615f62af7ec2e31b3e5ab649c164490d31d88cfae35b84aea7925690f929a144b6d2f48e8fb894a52"
        "deecd1b9a6496990c4ecf1588699a42cacd10c53af350514e4291ea9a058e77f101e32c1c0cefa61d945f7bc931f8b"
        "d19e7ba3169358a60e5a8b0123bc3199b9fdcafe8e519c41ba675491a27b85e44ef2d77277c10fe107293c82901869"
        "13bc9a99b640d8da041b64f31eab1d35920985f4a5",
        True,
    ),
    (
        4,
        "313233343030",
        "68caf07e71ee654ffabf07d342fc4059deb4f7e5970746c423b1e8f668d5332275cc35eb61270aebd27855b1e80d59"
        "def47fe8882867fd33c2308c91976baa0b1df952caa78db4828ab81e79949bf145cbdfd1c4987ed036f81e84420810"
        "16f20fa4b587574884ca6f6045959ce3501ae7c02b1902ec1d241ef28dee356c0d30d28a950f1fbc683ee7d9aad26b"
        "048c13426fe3975d5638afeb5b9c1a99d162d3a5810e8b074d7a2eae2be52b577151f76e1f734b0a956ef4f22be64d"
        "c20a81ad1316e4f79dff5fc41fc08a20bc612283a88415d41595bfea66d59de7ac12e230f72244ad9905aef0ead3fa"
        "41ed70bf4218863d5f041292f2d14ce0a7271c6d36",
        True,
    ),
    (
        78,  # first byte of hash h modified
        "313233343030",
        "3f27e0fafc57629ccc0432827187766a30537e821a2fcd5f1088100d4d8b6a6a9ce950f51102e3b55167d4b49e0b6a"
        "306e0fdf90837d0630859093e90a94fa564b7a4a82f4ccb772377e07a2b5a6873d98bf665c92df1ce7cbdb583cda83"
        "947b3c9c3df5b3807b470f23f8d08df9fba78e13d6b635f9f59d2d4baa34831dc6c3e5a29695645b1ed50f3a3389e9"
        "e119de765e6d7daaff0b454eadd10f445e402bf3cf4d14f4d16c2d9e4fb5571cea7929d53019d414d118e82d491bf3"
        "fb3bd7427abd6eb48a0ed277221c42840eaa1fd5e7ce658f7763099c1d59431e498cb58357a659aea8e181ec0fb5ad"
        "8a55d1c0f129500a25b85cbcc8733fa3dfa9ea30a4",
        False,
    ),
    (
        85,  # hash of salt missing
        "313233343030",
        "83d3f4b18d2653189572e75e9b4464292ca649591a82b1569ce13838c245da67371b1ea78e4215eba8de713411ff06"
        "0a980405f0bad99546989153017a380f9c7b566500fdd5a15830eb0c5f4723e341391268933a41311e9832b340efbc"
        "2cffb4baa9c5dd47783eac81a41e3d6336572d38b034dfe5ef4b94e5c3f903cf3e8e0a3c2c59cfd13f99f696b0fbfe"
        "71368cda5a1d28bad1af3c8976e3f6c1bac08707d2684f6d55c2ed4b433c9efde91b206e0842e534be7e88fa219763"
        "b960d9d5a43a479990aa9732661693b9e4da89a7bb5dda878ae43f5e1a11944f7a5c6efad600ddd13a148c1fc8fd25"
        "74b9667342c73f2a8b96511a5f75cb1ce486b9df81",
        False,
    ),
]

# RFC 8032 §7.1 TEST 2 (pure Ed25519 = KMS ED25519_SHA_512).
RFC8032_TEST2_PUBLIC = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
RFC8032_TEST2_SIGNATURE = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)

SIGNING_SPECS = [spec for spec, info in SPECS.items() if info.signing_algorithms and spec != "SM2"]
HASHES = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}


@functools.cache
def private_key(key_spec: str) -> bytes:
    return generate_private_key(key_spec)


def _hash_of(algorithm: str) -> hashes.HashAlgorithm:
    return HASHES[algorithm[-7:]]()


def _digest(algorithm: str, message: bytes) -> bytes:
    h = hashes.Hash(_hash_of(algorithm))
    h.update(message)
    return h.finalize()


def _error_code(exc: pytest.ExceptionInfo[AWSError]) -> str:
    return exc.value.code


# -- known answers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("tc_id", "signature", "valid"), WYCHEPROOF_ECDSA_P256_CASES)
def test_wycheproof_ecdsa_p256_sha256(tc_id: int, signature: str, valid: bool) -> None:
    result = signing.verify(
        "ECC_NIST_P256",
        WYCHEPROOF_ECDSA_P256_SPKI,
        "ECDSA_SHA_256",
        WYCHEPROOF_ECDSA_P256_MESSAGE,
        bytes.fromhex(signature),
    )
    assert result is valid, tc_id


def test_wycheproof_ecdsa_p256_digest_message_type() -> None:
    digest = hashlib.sha256(WYCHEPROOF_ECDSA_P256_MESSAGE).digest()
    signature = bytes.fromhex(WYCHEPROOF_ECDSA_P256_CASES[0][1])
    assert signing.verify(
        "ECC_NIST_P256", WYCHEPROOF_ECDSA_P256_SPKI, "ECDSA_SHA_256", digest, signature, "DIGEST"
    )


@pytest.mark.parametrize(("tc_id", "message", "signature", "valid"), WYCHEPROOF_PSS_CASES)
def test_wycheproof_rsassa_pss_sha256(tc_id: int, message: str, signature: str, valid: bool) -> None:
    result = signing.verify(
        "RSA_2048",
        WYCHEPROOF_PSS_SPKI,
        "RSASSA_PSS_SHA_256",
        bytes.fromhex(message),
        bytes.fromhex(signature),
    )
    assert result is valid, tc_id


def test_rfc8032_ed25519_verifies_as_ed25519_sha_512() -> None:
    spki = ed25519.Ed25519PublicKey.from_public_bytes(RFC8032_TEST2_PUBLIC).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert signing.verify("ECC_NIST_EDWARDS25519", spki, "ED25519_SHA_512", b"\x72", RFC8032_TEST2_SIGNATURE)
    assert not signing.verify(
        "ECC_NIST_EDWARDS25519", spki, "ED25519_SHA_512", b"\x73", RFC8032_TEST2_SIGNATURE
    )


# -- round trips and interop with the public key alone -------------------------------------------


@pytest.mark.parametrize(
    ("key_spec", "algorithm"),
    [(spec, alg) for spec in SIGNING_SPECS for alg in SPECS[spec].signing_algorithms],
)
def test_sign_then_verify_round_trip(key_spec: str, algorithm: str) -> None:
    message = b"strongroom signs this"
    message_type = "DIGEST" if algorithm == "ED25519_PH_SHA_512" else "RAW"
    if message_type == "DIGEST":
        message = hashlib.sha512(message).digest()
    der = private_key(key_spec)
    spki = public_key_der(key_spec, der)
    signature = signing.sign(key_spec, der, algorithm, message, message_type)
    assert signing.verify(key_spec, spki, algorithm, message, signature, message_type)
    altered = bytes([message[0] ^ 1]) + message[1:]
    assert not signing.verify(key_spec, spki, algorithm, altered, signature, message_type)
    tampered = bytearray(signature)
    tampered[len(tampered) // 2] ^= 0x01
    assert not signing.verify(key_spec, spki, algorithm, message, bytes(tampered), message_type)


@pytest.mark.parametrize("key_spec", ["RSA_2048", "RSA_3072", "RSA_4096"])
@pytest.mark.parametrize("suffix", ["SHA_256", "SHA_384", "SHA_512"])
def test_rsa_signatures_verify_with_pyca_and_public_key_only(key_spec: str, suffix: str) -> None:
    der = private_key(key_spec)
    public = serialization.load_der_public_key(public_key_der(key_spec, der))
    assert isinstance(public, rsa.RSAPublicKey)
    message = b"interop " + suffix.encode()
    hash_type = HASHES[suffix]()

    pss = signing.sign(key_spec, der, f"RSASSA_PSS_{suffix}", message)
    public.verify(pss, message, padding.PSS(padding.MGF1(hash_type), hash_type.digest_size), hash_type)
    # The salt is exactly the digest length (AWS's choice), not the maximum.
    with pytest.raises(InvalidSignature):
        salt = hash_type.digest_size + 1
        public.verify(pss, message, padding.PSS(padding.MGF1(hash_type), salt), hash_type)

    pkcs1 = signing.sign(key_spec, der, f"RSASSA_PKCS1_V1_5_{suffix}", message)
    public.verify(pkcs1, message, padding.PKCS1v15(), hash_type)


@pytest.mark.parametrize(
    ("key_spec", "algorithm", "hash_type"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", hashes.SHA256),
        ("ECC_NIST_P384", "ECDSA_SHA_384", hashes.SHA384),
        ("ECC_NIST_P521", "ECDSA_SHA_512", hashes.SHA512),
        ("ECC_SECG_P256K1", "ECDSA_SHA_256", hashes.SHA256),
    ],
)
def test_ecdsa_signatures_are_der_and_verify_with_pyca(
    key_spec: str, algorithm: str, hash_type: type[hashes.HashAlgorithm]
) -> None:
    der = private_key(key_spec)
    public = serialization.load_der_public_key(public_key_der(key_spec, der))
    assert isinstance(public, ec.EllipticCurvePublicKey)
    signature = signing.sign(key_spec, der, algorithm, b"message")
    assert signature[0] == 0x30  # a DER SEQUENCE of (r, s)
    utils.decode_dss_signature(signature)
    public.verify(signature, b"message", ec.ECDSA(hash_type()))


@pytest.mark.parametrize(
    ("key_spec", "algorithm"),
    [
        ("RSA_2048", "RSASSA_PSS_SHA_384"),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512"),
        ("ECC_NIST_P256", "ECDSA_SHA_256"),
        ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ],
)
def test_digest_message_type_signs_the_digest_itself(key_spec: str, algorithm: str) -> None:
    der = private_key(key_spec)
    spki = public_key_der(key_spec, der)
    message = b"a message too large to send, so its digest is sent instead"
    digest = _digest(algorithm, message)
    from_digest = signing.sign(key_spec, der, algorithm, digest, "DIGEST")
    # A DIGEST signature verifies as a RAW signature of the original message, and vice versa.
    assert signing.verify(key_spec, spki, algorithm, message, from_digest, "RAW")
    from_raw = signing.sign(key_spec, der, algorithm, message, "RAW")
    assert signing.verify(key_spec, spki, algorithm, digest, from_raw, "DIGEST")
    # Hashing the digest again (RAW) is a different message.
    assert not signing.verify(key_spec, spki, algorithm, digest, from_digest, "RAW")


def test_pkcs1_v1_5_is_deterministic_and_matches_pyca() -> None:
    der = private_key("RSA_2048")
    key = serialization.load_der_private_key(der, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    expected = key.sign(b"m", padding.PKCS1v15(), hashes.SHA256())
    assert signing.sign("RSA_2048", der, "RSASSA_PKCS1_V1_5_SHA_256", b"m") == expected
    digest = hashlib.sha256(b"m").digest()
    assert signing.sign("RSA_2048", der, "RSASSA_PKCS1_V1_5_SHA_256", digest, "DIGEST") == expected


def test_ed25519_sha_512_matches_pyca_and_rfc8032_semantics() -> None:
    der = private_key("ECC_NIST_EDWARDS25519")
    key = serialization.load_der_private_key(der, None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert signing.sign("ECC_NIST_EDWARDS25519", der, "ED25519_SHA_512", b"m") == key.sign(b"m")


def test_ed25519_ph_signs_the_digest_with_one_more_sha512() -> None:
    der = private_key("ECC_NIST_EDWARDS25519")
    key = serialization.load_der_private_key(der, None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    digest = hashlib.sha512(b"original message").digest()
    signature = signing.sign("ECC_NIST_EDWARDS25519", der, "ED25519_PH_SHA_512", digest, "DIGEST")
    # HashEdDSA over the 64-byte digest as the message: KMS pre-hashes it once more.
    assert ed25519ph.verify(key.public_key().public_bytes_raw(), digest, signature)
    assert signature == ed25519ph.sign(key.private_bytes_raw(), digest)


@pytest.mark.parametrize("key_spec", ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"])
def test_ml_dsa_raw_and_external_mu_verify_with_pyca(key_spec: str) -> None:
    der = private_key(key_spec)
    public = serialization.load_der_public_key(public_key_der(key_spec, der))
    assert isinstance(public, mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey)
    message = b"post-quantum message"
    raw = signing.sign(key_spec, der, "ML_DSA_SHAKE_256", message)
    public.verify(raw, message)

    hasher = mldsa.MLDSAMuHasher(public)
    hasher.update(message)
    mu = hasher.finalize()
    from_mu = signing.sign(key_spec, der, "ML_DSA_SHAKE_256", mu, "EXTERNAL_MU")
    public.verify(from_mu, message)  # an external-mu signature is an ordinary ML-DSA signature
    spki = public_key_der(key_spec, der)
    assert signing.verify(key_spec, spki, "ML_DSA_SHAKE_256", mu, raw, "EXTERNAL_MU")
    assert signing.verify(key_spec, spki, "ML_DSA_SHAKE_256", message, from_mu, "RAW")


# -- AWS's rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_spec", "algorithm"),
    [
        ("RSA_2048", "ECDSA_SHA_256"),
        ("ECC_NIST_P256", "ECDSA_SHA_384"),
        ("ECC_NIST_P384", "ECDSA_SHA_256"),
        ("ECC_SECG_P256K1", "RSASSA_PSS_SHA_256"),
        ("ECC_NIST_EDWARDS25519", "ECDSA_SHA_512"),
        ("ML_DSA_65", "ED25519_SHA_512"),
        ("SYMMETRIC_DEFAULT", "RSASSA_PSS_SHA_256"),
        ("HMAC_256", "ECDSA_SHA_256"),
    ],
)
def test_algorithm_the_key_spec_lacks_is_invalid_key_usage(key_spec: str, algorithm: str) -> None:
    with pytest.raises(AWSError) as exc:
        signing.check_signing_request(key_spec, algorithm, b"m")
    assert _error_code(exc) == "InvalidKeyUsageException"
    assert algorithm in exc.value.message


@pytest.mark.parametrize(
    ("key_spec", "algorithm", "length"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", 31),
        ("ECC_NIST_P256", "ECDSA_SHA_256", 48),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", 20),
        ("RSA_2048", "RSASSA_PSS_SHA_512", 32),
        ("ECC_NIST_P384", "ECDSA_SHA_384", 32),
        ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", 32),
    ],
)
def test_digest_of_the_wrong_length_is_a_validation_error(key_spec: str, algorithm: str, length: int) -> None:
    with pytest.raises(AWSError) as exc:
        signing.check_signing_request(key_spec, algorithm, b"\x00" * length, "DIGEST")
    assert _error_code(exc) == "ValidationException"
    assert exc.value.message == f"Digest is invalid length for algorithm {algorithm}."


@pytest.mark.parametrize(
    ("key_spec", "algorithm", "message_type", "length"),
    [
        ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "DIGEST", 64),
        ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", "RAW", 64),
        ("ML_DSA_44", "ML_DSA_SHAKE_256", "DIGEST", 64),
        ("ML_DSA_44", "ML_DSA_SHAKE_256", "EXTERNAL_MU", 32),
        ("ECC_NIST_P256", "ECDSA_SHA_256", "EXTERNAL_MU", 64),
        ("RSA_2048", "RSASSA_PSS_SHA_512", "EXTERNAL_MU", 64),
    ],
)
def test_message_type_the_algorithm_does_not_take_is_a_validation_error(
    key_spec: str, algorithm: str, message_type: str, length: int
) -> None:
    with pytest.raises(AWSError) as exc:
        signing.check_signing_request(key_spec, algorithm, b"\x01" * length, message_type)
    assert _error_code(exc) == "ValidationException"


def test_digest_sizes() -> None:
    assert signing.digest_size("ECDSA_SHA_256") == 32
    assert signing.digest_size("RSASSA_PSS_SHA_384") == 48
    assert signing.digest_size("ED25519_PH_SHA_512") == 64
    assert signing.digest_size("ML_DSA_SHAKE_256") is None


def test_verify_with_a_signature_for_another_key_is_false() -> None:
    first, second = generate_private_key("ECC_NIST_P256"), generate_private_key("ECC_NIST_P256")
    signature = signing.sign("ECC_NIST_P256", first, "ECDSA_SHA_256", b"m")
    assert not signing.verify(
        "ECC_NIST_P256", public_key_der("ECC_NIST_P256", second), "ECDSA_SHA_256", b"m", signature
    )


def test_garbage_signatures_are_false_not_errors() -> None:
    for key_spec in SIGNING_SPECS:
        der = private_key(key_spec)
        spki = public_key_der(key_spec, der)
        algorithm = SPECS[key_spec].signing_algorithms[0]
        assert not signing.verify(key_spec, spki, algorithm, b"m", b"\x00"), key_spec
        assert not signing.verify(key_spec, spki, algorithm, b"m", b"\xff" * 700), key_spec
