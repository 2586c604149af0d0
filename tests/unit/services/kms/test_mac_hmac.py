"""GenerateMac/VerifyMac: RFC 4231 known answers and the one-algorithm-per-spec rule."""

from __future__ import annotations

import pytest

from strongroom.aws.errors import AWSError
from strongroom.services.kms import mac

# RFC 4231 §4.2 (test case 1) and §4.3 (test case 2).
RFC4231 = [
    (
        b"\x0b" * 20,
        b"Hi There",
        {
            "HMAC_224": "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
            "HMAC_256": "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "HMAC_384": "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
            "faea9ea9076ede7f4af152e8b2fa9cb6",
            "HMAC_512": "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
            "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
        },
    ),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        {
            "HMAC_224": "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
            "HMAC_256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "HMAC_384": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649",
            "HMAC_512": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
        },
    ),
]
ALGORITHMS = {
    "HMAC_224": "HMAC_SHA_224",
    "HMAC_256": "HMAC_SHA_256",
    "HMAC_384": "HMAC_SHA_384",
    "HMAC_512": "HMAC_SHA_512",
}
CASES = [(key, message, spec, tag) for key, message, tags in RFC4231 for spec, tag in tags.items()]


@pytest.mark.parametrize(("key", "message", "key_spec", "tag"), CASES)
def test_rfc4231_generate(key: bytes, message: bytes, key_spec: str, tag: str) -> None:
    assert mac.generate_mac(key_spec, key, ALGORITHMS[key_spec], message) == bytes.fromhex(tag)


@pytest.mark.parametrize(("key", "message", "key_spec", "tag"), CASES)
def test_rfc4231_verify_and_reject_altered(key: bytes, message: bytes, key_spec: str, tag: str) -> None:
    algorithm = ALGORITHMS[key_spec]
    expected = bytes.fromhex(tag)
    assert mac.verify_mac(key_spec, key, algorithm, message, expected)
    assert not mac.verify_mac(key_spec, key, algorithm, message + b".", expected)
    assert not mac.verify_mac(key_spec, key, algorithm, message, expected[:-1])
    assert not mac.verify_mac(key_spec, key, algorithm, message, bytes([expected[0] ^ 1]) + expected[1:])
    assert not mac.verify_mac(key_spec, key + b"x", algorithm, message, expected)


@pytest.mark.parametrize(
    ("key_spec", "algorithm"),
    [
        ("HMAC_256", "HMAC_SHA_224"),
        ("HMAC_224", "HMAC_SHA_256"),
        ("HMAC_512", "HMAC_SHA_384"),
        ("SYMMETRIC_DEFAULT", "HMAC_SHA_256"),
        ("RSA_2048", "HMAC_SHA_256"),
    ],
)
def test_algorithm_other_than_the_spec_s_own_is_invalid_key_usage(key_spec: str, algorithm: str) -> None:
    with pytest.raises(AWSError) as exc:
        mac.generate_mac(key_spec, b"k" * 32, algorithm, b"m")
    assert exc.value.code == "InvalidKeyUsageException"
    with pytest.raises(AWSError):
        mac.verify_mac(key_spec, b"k" * 32, algorithm, b"m", b"t")
