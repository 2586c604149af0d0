"""HMAC keys end to end: GenerateMac, VerifyMac, and what AWS refuses."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.asym_support import ASYM_ACCOUNT, code_of, create_key, message_of
from tests.service.kms.conftest import _user_factory

SPECS = {
    "HMAC_224": ("HMAC_SHA_224", 28),
    "HMAC_256": ("HMAC_SHA_256", 32),
    "HMAC_384": ("HMAC_SHA_384", 48),
    "HMAC_512": ("HMAC_SHA_512", 64),
}


@pytest.fixture(scope="module")
def asym_kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ASYM_ACCOUNT)


@pytest.fixture(scope="module")
def mac_keys(asym_kms: Any) -> dict[str, dict[str, Any]]:
    return {spec: create_key(asym_kms, spec, "GENERATE_VERIFY_MAC") for spec in SPECS}


@pytest.mark.parametrize("key_spec", sorted(SPECS))
def test_generate_then_verify(asym_kms: Any, mac_keys: dict[str, dict[str, Any]], key_spec: str) -> None:
    key = mac_keys[key_spec]
    algorithm, size = SPECS[key_spec]
    assert key["MacAlgorithms"] == [algorithm]
    out = asym_kms.generate_mac(KeyId=key["KeyId"], Message=b"message", MacAlgorithm=algorithm)
    assert out["KeyId"] == key["Arn"] and out["MacAlgorithm"] == algorithm
    assert len(out["Mac"]) == size
    # HMAC is deterministic: the same key and message give the same tag.
    assert (
        asym_kms.generate_mac(KeyId=key["Arn"], Message=b"message", MacAlgorithm=algorithm)["Mac"]
        == out["Mac"]
    )
    verified = asym_kms.verify_mac(
        KeyId=key["KeyId"], Message=b"message", MacAlgorithm=algorithm, Mac=out["Mac"]
    )
    assert verified == {**verified, "KeyId": key["Arn"], "MacValid": True, "MacAlgorithm": algorithm}
    for message, tag in (
        (b"messagf", out["Mac"]),
        (b"message", out["Mac"][:-1]),
        (b"message", b"\x00" * size),
    ):
        with pytest.raises(ClientError) as err:
            asym_kms.verify_mac(KeyId=key["KeyId"], Message=message, MacAlgorithm=algorithm, Mac=tag)
        assert code_of(err) == "KMSInvalidMacException"


def test_two_hmac_keys_give_different_tags(asym_kms: Any, mac_keys: dict[str, dict[str, Any]]) -> None:
    other = create_key(asym_kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    first = asym_kms.generate_mac(
        KeyId=mac_keys["HMAC_256"]["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256"
    )
    second = asym_kms.generate_mac(KeyId=other["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert first["Mac"] != second["Mac"]
    with pytest.raises(ClientError) as err:
        asym_kms.verify_mac(KeyId=other["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256", Mac=first["Mac"])
    assert code_of(err) == "KMSInvalidMacException"


def test_algorithm_of_another_spec_is_invalid_key_usage(
    asym_kms: Any, mac_keys: dict[str, dict[str, Any]]
) -> None:
    with pytest.raises(ClientError) as err:
        asym_kms.generate_mac(KeyId=mac_keys["HMAC_256"]["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_512")
    assert code_of(err) == "InvalidKeyUsageException"
    assert message_of(err) == "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256."


def test_keys_of_other_usages_cannot_mac_and_hmac_keys_cannot_encrypt(
    asym_kms: Any, mac_keys: dict[str, dict[str, Any]]
) -> None:
    symmetric = asym_kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as err:
        asym_kms.generate_mac(KeyId=symmetric["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert code_of(err) == "InvalidKeyUsageException"
    assert (
        message_of(err)
        == f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac."
    )
    with pytest.raises(ClientError) as err:
        asym_kms.encrypt(KeyId=mac_keys["HMAC_256"]["KeyId"], Plaintext=b"m")
    assert code_of(err) == "InvalidKeyUsageException"


def test_message_limits_come_from_the_model(asym_kms: Any, mac_keys: dict[str, dict[str, Any]]) -> None:
    key_id = mac_keys["HMAC_384"]["KeyId"]
    asym_kms.generate_mac(KeyId=key_id, Message=b"x" * 4096, MacAlgorithm="HMAC_SHA_384")
    with pytest.raises(ClientError) as err:
        asym_kms.generate_mac(KeyId=key_id, Message=b"x" * 4097, MacAlgorithm="HMAC_SHA_384")
    assert code_of(err) == "ValidationException"


def test_disabled_key_and_dry_run(asym_kms: Any) -> None:
    key = create_key(asym_kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    with pytest.raises(ClientError) as err:
        asym_kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256", DryRun=True)
    assert code_of(err) == "DryRunOperationException"
    tag = asym_kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    asym_kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        asym_kms.verify_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256", Mac=tag)
    assert code_of(err) == "DisabledException"


def test_mac_algorithm_condition_key_and_verify_only_user(
    asym_kms: Any, make_client: Any, mac_keys: dict[str, dict[str, Any]]
) -> None:
    iam = make_client("iam", access_key=ASYM_ACCOUNT)
    user = _user_factory(iam, make_client)(
        {
            "Effect": "Allow",
            "Action": "kms:VerifyMac",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:MacAlgorithm": "HMAC_SHA_256"}},
        }
    )
    key_id = mac_keys["HMAC_256"]["Arn"]
    tag = asym_kms.generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert user["kms"].verify_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_256", Mac=tag)[
        "MacValid"
    ]
    with pytest.raises(ClientError) as err:
        user["kms"].generate_mac(KeyId=key_id, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert code_of(err) == "AccessDeniedException"
