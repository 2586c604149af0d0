"""Key rotation end to end: automatic on the moved clock, on demand, and what old material still opens."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import error_code
from tests.support.server import ServerProcess

ACCOUNT = "760000000001"
DAY = 86_400


@pytest.fixture(scope="module")
def kms(make_client: Any) -> Any:
    return make_client("kms", access_key=ACCOUNT)


@pytest.fixture(scope="module")
def unvalidated_kms(make_client: Any) -> Any:
    """A client that sends what botocore would refuse, to see the server refuse it."""
    return make_client("kms", access_key=ACCOUNT, parameter_validation=False)


@pytest.fixture
def key(kms: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = kms.create_key(Description="rotation")["KeyMetadata"]
    return metadata


def rotations(kms: Any, key_id: str, **extra: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = kms.list_key_rotations(KeyId=key_id, **extra)["Rotations"]
    return entries


def test_enable_rotation_defaults_to_a_year(kms: Any, key: dict[str, Any]) -> None:
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status and "RotationPeriodInDays" not in status
    kms.enable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["KeyId"] == key["Arn"]
    assert status["RotationPeriodInDays"] == 365
    assert abs(status["NextRotationDate"] - key["CreationDate"] - timedelta(days=365)) < timedelta(minutes=5)


@pytest.mark.parametrize("days", [89, 2561])
def test_rotation_period_out_of_range_is_refused(
    kms: Any, unvalidated_kms: Any, key: dict[str, Any], days: int
) -> None:
    with pytest.raises(ClientError) as err:
        unvalidated_kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=days)
    assert error_code(err) == "ValidationException"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_scheduler_rotates_when_due_and_old_material_keeps_decrypting(
    kms: Any, key: dict[str, Any], server: ServerProcess
) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    before = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old", EncryptionContext={"k": "v"})
    first_material = key["CurrentKeyMaterialId"]
    assert rotations(kms, key["KeyId"]) == []

    server.advance_clock(91 * DAY)

    listed = rotations(kms, key["KeyId"])
    assert [r["RotationType"] for r in listed] == ["AUTOMATIC"]
    assert listed[0]["KeyMaterialState"] == "CURRENT"
    assert abs(listed[0]["RotationDate"] - key["CreationDate"] - timedelta(days=90)) < timedelta(minutes=5)
    current = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert current == listed[0]["KeyMaterialId"] != first_material
    old = kms.decrypt(CiphertextBlob=before["CiphertextBlob"], EncryptionContext={"k": "v"})
    assert old["Plaintext"] == b"old" and old["KeyMaterialId"] == first_material
    after = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new")
    assert kms.decrypt(CiphertextBlob=after["CiphertextBlob"])["KeyMaterialId"] == current
    everything = rotations(kms, key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert [e["KeyMaterialId"] for e in everything] == [first_material, current]
    assert everything[0]["KeyMaterialState"] == "NON_CURRENT" and "RotationType" not in everything[0]
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["NextRotationDate"] - listed[0]["RotationDate"] == timedelta(days=90)


def test_a_long_clock_jump_rotates_once_per_elapsed_period(
    kms: Any, key: dict[str, Any], server: ServerProcess
) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    server.advance_clock(200 * DAY)
    listed = rotations(kms, key["KeyId"])
    assert len(listed) == 2
    assert listed[1]["RotationDate"] - listed[0]["RotationDate"] == timedelta(days=90)
    assert [r["KeyMaterialState"] for r in listed] == ["NON_CURRENT", "CURRENT"]


def test_disabled_rotation_does_not_rotate(kms: Any, key: dict[str, Any], server: ServerProcess) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.disable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False and "NextRotationDate" not in status
    server.advance_clock(100 * DAY)
    assert rotations(kms, key["KeyId"]) == []


def test_a_disabled_key_skips_its_date_and_rotates_once_when_enabled_again(
    kms: Any, key: dict[str, Any], server: ServerProcess
) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.disable_key(KeyId=key["KeyId"])
    server.advance_clock(300 * DAY)
    assert rotations(kms, key["KeyId"]) == []
    kms.enable_key(KeyId=key["KeyId"])
    server.advance_clock(DAY + 60)
    listed = rotations(kms, key["KeyId"])
    assert [r["RotationType"] for r in listed] == ["AUTOMATIC"]


def test_rotate_on_demand_keeps_the_automatic_schedule(
    kms: Any, key: dict[str, Any], server: ServerProcess
) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"])
    scheduled = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert kms.rotate_key_on_demand(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    if "OnDemandRotationStartDate" in status:  # unless a scheduler pass already ran it
        assert abs(status["OnDemandRotationStartDate"] - scheduled + timedelta(days=365)) < timedelta(
            minutes=5
        )
    server.advance_clock(0)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert "OnDemandRotationStartDate" not in status
    assert status["NextRotationDate"] == scheduled
    assert [r["RotationType"] for r in rotations(kms, key["KeyId"])] == ["ON_DEMAND"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_on_demand_rotations_are_limited_to_25(kms: Any, key: dict[str, Any], server: ServerProcess) -> None:
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
        server.advance_clock(0)
    with pytest.raises(ClientError) as err:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_code(err) == "LimitExceededException"
    assert len(rotations(kms, key["KeyId"], Limit=1000)) == 25


def test_list_key_rotations_pages(kms: Any, key: dict[str, Any], server: ServerProcess) -> None:
    for _ in range(3):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
        server.advance_clock(0)
    page = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2)
    assert len(page["Rotations"]) == 2 and page["Truncated"] is True
    rest = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2, Marker=page["NextMarker"])
    assert len(rest["Rotations"]) == 1 and rest["Truncated"] is False


def test_rotation_needs_a_symmetric_customer_key_of_kms_origin(kms: Any) -> None:
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    for call, key_id in (
        (kms.enable_key_rotation, signing["KeyId"]),
        (kms.get_key_rotation_status, signing["KeyId"]),
        (kms.rotate_key_on_demand, hmac_key["KeyId"]),
        (kms.list_key_rotations, hmac_key["KeyId"]),
    ):
        with pytest.raises(ClientError) as err:
            call(KeyId=key_id)
        assert error_code(err) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as err:
        kms.enable_key_rotation(KeyId=external["KeyId"])
    assert error_code(err) in ("UnsupportedOperationException", "KMSInvalidStateException")


def test_rotation_of_a_disabled_key_is_refused(kms: Any, key: dict[str, Any]) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    for call in (kms.enable_key_rotation, kms.rotate_key_on_demand):
        with pytest.raises(ClientError) as err:
            call(KeyId=key["KeyId"])
        assert error_code(err) == "DisabledException"


def test_pending_deletion_reports_rotation_off(kms: Any, key: dict[str, Any]) -> None:
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def test_unknown_key_is_not_found(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.get_key_rotation_status(KeyId="11111111-2222-3333-4444-555555555555")
    assert error_code(err) == "NotFoundException"


def test_aws_managed_keys_rotate_every_year(kms: Any, server: ServerProcess) -> None:
    managed = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    status = kms.get_key_rotation_status(KeyId=managed["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
    with pytest.raises(ClientError) as err:
        kms.rotate_key_on_demand(KeyId=managed["KeyId"])
    assert error_code(err) in ("UnsupportedOperationException", "AccessDeniedException")
    before = kms.describe_key(KeyId=managed["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    server.advance_clock(366 * DAY)
    after = kms.describe_key(KeyId=managed["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert after != before
    assert (
        kms.get_key_rotation_status(KeyId=managed["KeyId"])["NextRotationDate"] > status["NextRotationDate"]
    )


def test_rotation_operations_need_their_own_permissions(make_client: Any, key: dict[str, Any]) -> None:
    iam = make_client("iam", access_key=ACCOUNT)
    name = f"rotator-{key['KeyId'][:8]}"
    iam.create_user(UserName=name)
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:GetKeyRotationStatus", "Resource": key["Arn"]}],
    }
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    access = iam.create_access_key(UserName=name)["AccessKey"]
    user = make_client("kms", access_key=access["AccessKeyId"], secret_key=access["SecretAccessKey"])
    assert user.get_key_rotation_status(KeyId=key["Arn"])["KeyRotationEnabled"] is False
    for call in (user.enable_key_rotation, user.rotate_key_on_demand, user.list_key_rotations):
        with pytest.raises(ClientError) as err:
            call(KeyId=key["Arn"])
        assert error_code(err) == "AccessDeniedException"
