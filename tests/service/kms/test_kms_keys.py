"""Key lifecycle end to end: CreateKey, DescribeKey, ListKeys, enable/disable, deletion, descriptions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import ACCOUNT, REGION, error_code, error_message, http_status
from tests.support.server import ServerProcess

MISSING_ID = "11111111-2222-3333-4444-555555555555"


def test_create_key_defaults(kms: Any) -> None:
    meta = kms.create_key()["KeyMetadata"]
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{meta['KeyId']}"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["Description"] == ""
    assert meta["MultiRegion"] is False
    assert "DeletionDate" not in meta
    assert len(meta["CurrentKeyMaterialId"]) == 64


def test_create_key_with_description_and_tags(kms: Any) -> None:
    meta = kms.create_key(Description="payroll", Tags=[{"TagKey": "team", "TagValue": "pay"}])["KeyMetadata"]
    assert meta["Description"] == "payroll"
    assert kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "pay"}]


@pytest.mark.parametrize(("spec", "mac"), [("HMAC_224", "HMAC_SHA_224"), ("HMAC_512", "HMAC_SHA_512")])
def test_create_hmac_key(kms: Any, spec: str, mac: str) -> None:
    meta = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert meta["KeySpec"] == spec and meta["MacAlgorithms"] == [mac]
    assert "EncryptionAlgorithms" not in meta


def test_create_multi_region_key_has_an_mrk_id(kms: Any) -> None:
    meta = kms.create_key(MultiRegion=True)["KeyMetadata"]
    assert meta["KeyId"].startswith("mrk-") and meta["MultiRegion"] is True
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert meta["MultiRegionConfiguration"]["PrimaryKey"] == {"Arn": meta["Arn"], "Region": REGION}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"KeySpec": "HMAC_256"}, "ValidationException"),  # HMAC keys need GENERATE_VERIFY_MAC
        ({"KeyUsage": "SIGN_VERIFY"}, "ValidationException"),
        (
            {"KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT"},
            "ValidationException",
        ),
        ({"KeySpec": "NOT_A_SPEC"}, "ValidationException"),
        ({"CustomKeyStoreId": "cks-1234567890abcdef0"}, "UnsupportedOperationException"),
        ({"Tags": [{"TagKey": "aws:reserved", "TagValue": "x"}]}, "TagException"),
        ({"Policy": "{not json"}, "MalformedPolicyDocumentException"),
        ({"Description": "x" * 8193}, "ValidationException"),
    ],
)
def test_create_key_refusals(kms: Any, kwargs: dict[str, Any], code: str) -> None:
    before = {k["KeyId"] for k in kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]}
    with pytest.raises(ClientError) as err:
        kms.create_key(**kwargs)
    assert error_code(err) == code
    assert http_status(err) == 400
    after = {k["KeyId"] for k in kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]}
    assert after == before


def test_external_origin_key_is_pending_import_and_cannot_encrypt(kms: Any) -> None:
    meta = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport" and meta["Enabled"] is False
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"x")
    assert error_code(err) == "KMSInvalidStateException"
    assert error_message(err) == f"{meta['Arn']} is pending import."


def test_describe_key_by_every_name(kms: Any, key: dict[str, Any]) -> None:
    alias = f"alias/describe-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{alias}"
    for name in (key["KeyId"], key["Arn"], alias, alias_arn):
        assert kms.describe_key(KeyId=name)["KeyMetadata"]["Arn"] == key["Arn"]


def test_describe_missing_key_and_alias(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.describe_key(KeyId=MISSING_ID)
    assert error_code(err) == "NotFoundException"
    assert error_message(err) == f"Key 'arn:aws:kms:{REGION}:{ACCOUNT}:key/{MISSING_ID}' does not exist"
    with pytest.raises(ClientError) as err:
        kms.describe_key(KeyId="alias/does-not-exist")
    assert error_code(err) == "NotFoundException"
    assert error_message(err) == f"Alias 'arn:aws:kms:{REGION}:{ACCOUNT}:alias/does-not-exist' is not found."
    with pytest.raises(ClientError) as err:
        kms.describe_key(KeyId="not-a-key-id")
    assert error_code(err) == "NotFoundException"


def test_a_key_is_regional(make_client: Any, key: dict[str, Any]) -> None:
    west = make_client("kms", region="us-west-2", access_key=ACCOUNT)
    with pytest.raises(ClientError) as err:
        west.describe_key(KeyId=key["KeyId"])
    assert error_code(err) == "NotFoundException"
    with pytest.raises(ClientError) as err:
        west.describe_key(KeyId=key["Arn"])
    assert error_code(err) == "NotFoundException"


def test_list_keys_pages(kms: Any) -> None:
    created = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)}
    seen: list[str] = []
    page = kms.list_keys(Limit=2)
    while True:
        assert len(page["Keys"]) <= 2
        seen += [k["KeyId"] for k in page["Keys"]]
        assert all(k["KeyArn"].endswith(k["KeyId"]) for k in page["Keys"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        page = kms.list_keys(Limit=2, Marker=page["NextMarker"])
    assert created <= set(seen)
    assert len(seen) == len(set(seen))


def test_list_keys_bad_marker(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.list_keys(Marker="garbage")
    assert error_code(err) == "InvalidMarkerException"


def test_list_keys_is_per_account(kms: Any, other_kms: Any, key: dict[str, Any]) -> None:
    others = other_kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]
    assert key["KeyId"] not in {k["KeyId"] for k in others}


def test_disable_and_enable(kms: Any, key: dict[str, Any]) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and meta["Enabled"] is False
    with pytest.raises(ClientError) as err:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_code(err) == "DisabledException"
    assert error_message(err) == f"{key['Arn']} is disabled."
    kms.disable_key(KeyId=key["KeyId"])  # idempotent, as AWS
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]


def test_a_disabled_key_does_not_decrypt(kms: Any, key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        kms.decrypt(CiphertextBlob=blob)
    assert error_code(err) == "DisabledException"
    for call in (
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
        lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key["KeyId"]),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "DisabledException"


def test_update_key_description(kms: Any, key: dict[str, Any]) -> None:
    kms.update_key_description(KeyId=key["KeyId"], Description="new words")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "new words"


@pytest.mark.parametrize("days", [1, 6, 31, 365])
def test_pending_window_must_be_7_to_30_days(kms: Any, key: dict[str, Any], days: int) -> None:
    with pytest.raises(ClientError) as err:
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
    assert error_code(err) == "ValidationException"
    assert "pendingWindowInDays" in error_message(err)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_schedule_and_cancel_deletion(kms: Any, key: dict[str, Any]) -> None:
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert scheduled["KeyId"] == key["Arn"]
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    # PendingDeletionWindowInDays is only for a primary waiting for its replicas (PendingReplicaDeletion).
    assert meta["KeyState"] == "PendingDeletion" and "PendingDeletionWindowInDays" not in meta
    assert meta["DeletionDate"] == scheduled["DeletionDate"]
    for call in (
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        lambda: kms.enable_key(KeyId=key["KeyId"]),
        lambda: kms.update_key_description(KeyId=key["KeyId"], Description="x"),
        lambda: kms.schedule_key_deletion(KeyId=key["KeyId"]),
        lambda: kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "a", "TagValue": "b"}]),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "KMSInvalidStateException"
        assert error_message(err) == f"{key['Arn']} is pending deletion."
    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and "DeletionDate" not in meta


def test_cancel_deletion_of_a_key_not_pending(kms: Any, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert error_code(err) == "KMSInvalidStateException"
    assert error_message(err) == f"{key['Arn']} is not pending deletion."


def test_deletion_destroys_the_key_when_due(kms: Any, server: ServerProcess) -> None:
    doomed = kms.create_key()["KeyMetadata"]
    kept = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=doomed["KeyId"], Plaintext=b"gone soon")["CiphertextBlob"]
    alias = f"alias/doomed-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=doomed["KeyId"])
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    kms.schedule_key_deletion(KeyId=kept["KeyId"], PendingWindowInDays=30)
    server.advance_clock(7 * 86400 + 60)
    with pytest.raises(ClientError) as err:
        kms.describe_key(KeyId=doomed["KeyId"])
    assert error_code(err) == "NotFoundException"
    with pytest.raises(ClientError) as err:
        kms.decrypt(CiphertextBlob=blob)
    assert error_code(err) == "NotFoundException"
    with pytest.raises(ClientError) as err:
        kms.describe_key(KeyId=alias)
    assert error_code(err) == "NotFoundException"
    assert kms.describe_key(KeyId=kept["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=kept["KeyId"])
