"""Key deletion beyond the single-Region case: multi-Region primaries waiting for their replicas
(PendingReplicaDeletion) and cancelled deletions of keys whose imported material is gone."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import error_code, error_message, http_status
from tests.service.kms.test_import_kms import import_material
from tests.support.server import ServerProcess

ACCOUNT = "780000000001"
EAST, WEST, EU, AP = "us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"
DAY = 86_400


@pytest.fixture(scope="module")
def clients(make_client: Any) -> dict[str, Any]:
    return {region: make_client("kms", region=region, access_key=ACCOUNT) for region in (EAST, WEST, EU, AP)}


@pytest.fixture
def kms(clients: dict[str, Any]) -> Any:
    return clients[EAST]


@pytest.fixture
def mrk(clients: dict[str, Any]) -> dict[str, Any]:
    """A multi-Region primary key in us-east-1 with replicas in us-west-2 and eu-west-1."""
    primary: dict[str, Any] = clients[EAST].create_key(MultiRegion=True)["KeyMetadata"]
    for region in (WEST, EU):
        clients[EAST].replicate_key(KeyId=primary["KeyId"], ReplicaRegion=region)
    return primary


def describe(client: Any, key_id: str) -> dict[str, Any]:
    metadata: dict[str, Any] = client.describe_key(KeyId=key_id)["KeyMetadata"]
    return metadata


def refused(call: Callable[[], Any]) -> pytest.ExceptionInfo[ClientError]:
    with pytest.raises(ClientError) as err:
        call()
    return err


def close_to(value: datetime, expected: datetime) -> bool:
    return abs(value - expected) < timedelta(seconds=5)


# -- multi-Region primary keys ------------------------------------------------------------------


def test_a_primary_with_replicas_waits_for_them_in_pending_replica_deletion(
    clients: dict[str, Any], mrk: dict[str, Any], server: ServerProcess, server_now: Callable[[], datetime]
) -> None:
    east, key_id, arn = clients[EAST], mrk["KeyId"], mrk["Arn"]
    scheduled = east.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    # No DeletionDate: "The deletion date for the primary key isn't known until its last replica
    # key is deleted."
    assert scheduled["KeyId"] == arn and "DeletionDate" not in scheduled
    assert scheduled["KeyState"] == "PendingReplicaDeletion" and scheduled["PendingWindowInDays"] == 7
    meta = describe(east, key_id)
    assert meta["KeyState"] == "PendingReplicaDeletion" and meta["Enabled"] is False
    assert meta["PendingDeletionWindowInDays"] == 7 and "DeletionDate" not in meta

    # The replicas are not affected: they keep working and decrypt what they made.
    blob = clients[WEST].encrypt(KeyId=key_id, Plaintext=b"west")["CiphertextBlob"]
    assert clients[EU].decrypt(CiphertextBlob=blob)["Plaintext"] == b"west"

    # The last replica goes after the first: the primary still waits in between.
    clients[WEST].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clients[EU].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=14)
    server.advance_clock(7 * DAY + 60)
    assert error_code(refused(lambda: describe(clients[WEST], key_id))) == "NotFoundException"
    meta = describe(east, key_id)
    assert meta["KeyState"] == "PendingReplicaDeletion"
    assert meta["MultiRegionConfiguration"]["ReplicaKeys"] == [{"Arn": arn.replace(EAST, EU), "Region": EU}]

    server.advance_clock(7 * DAY)
    assert error_code(refused(lambda: describe(clients[EU], key_id))) == "NotFoundException"
    meta = describe(east, key_id)
    assert meta["KeyState"] == "PendingDeletion" and "PendingDeletionWindowInDays" not in meta
    assert close_to(meta["DeletionDate"], server_now() + timedelta(days=7))
    assert meta["MultiRegionConfiguration"]["ReplicaKeys"] == []
    assert (
        error_code(refused(lambda: east.encrypt(KeyId=key_id, Plaintext=b"x"))) == "KMSInvalidStateException"
    )

    server.advance_clock(7 * DAY + 60)
    err = refused(lambda: describe(east, key_id))
    assert error_code(err) == "NotFoundException" and http_status(err) == 400


def test_a_primary_pending_replica_deletion_refuses_use_and_changes(
    clients: dict[str, Any], mrk: dict[str, Any]
) -> None:
    east, key_id, arn = clients[EAST], mrk["KeyId"], mrk["Arn"]
    east.schedule_key_deletion(KeyId=key_id)
    before = describe(east, key_id)
    assert before["PendingDeletionWindowInDays"] == 30  # the default window
    calls: list[Callable[[], Any]] = [
        lambda: east.encrypt(KeyId=key_id, Plaintext=b"x"),
        lambda: east.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        lambda: east.replicate_key(KeyId=key_id, ReplicaRegion=AP),
        lambda: east.update_primary_region(KeyId=key_id, PrimaryRegion=WEST),
        lambda: east.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7),
        lambda: east.enable_key(KeyId=key_id),
        lambda: east.disable_key(KeyId=key_id),
        lambda: east.update_key_description(KeyId=key_id, Description="changed"),
        lambda: east.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "b"}]),
        lambda: east.create_alias(AliasName=f"alias/prd-{os.urandom(4).hex()}", TargetKeyId=key_id),
    ]
    for call in calls:
        err = refused(call)
        assert error_code(err) == "KMSInvalidStateException" and http_status(err) == 400
        assert error_message(err) == f"{arn} is pending replica deletion."
    assert describe(east, key_id) == before
    assert east.list_resource_tags(KeyId=key_id)["Tags"] == []
    assert error_code(refused(lambda: describe(clients[AP], key_id))) == "NotFoundException"
    assert describe(clients[WEST], key_id)["MultiRegionConfiguration"]["PrimaryKey"]["Region"] == EAST


def test_cancel_deletion_of_a_primary_pending_replica_deletion(
    clients: dict[str, Any], mrk: dict[str, Any], server: ServerProcess
) -> None:
    east, key_id, arn = clients[EAST], mrk["KeyId"], mrk["Arn"]
    east.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert east.cancel_key_deletion(KeyId=key_id)["KeyId"] == arn
    meta = describe(east, key_id)
    assert meta["KeyState"] == "Disabled"
    assert "DeletionDate" not in meta and "PendingDeletionWindowInDays" not in meta
    err = refused(lambda: east.cancel_key_deletion(KeyId=key_id))
    assert error_code(err) == "KMSInvalidStateException" and http_status(err) == 400
    assert error_message(err) == f"{arn} is not pending deletion."

    # Its replicas going later does not bring the cancelled deletion back.
    for region in (WEST, EU):
        clients[region].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    server.advance_clock(14 * DAY + 60)
    assert describe(east, key_id)["KeyState"] == "Disabled"
    east.enable_key(KeyId=key_id)
    blob = east.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


def test_a_replica_cancelled_in_time_keeps_the_primary_waiting(
    clients: dict[str, Any], mrk: dict[str, Any], server: ServerProcess
) -> None:
    east, key_id = clients[EAST], mrk["KeyId"]
    east.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    for region in (WEST, EU):
        clients[region].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clients[EU].cancel_key_deletion(KeyId=key_id)
    server.advance_clock(30 * DAY)
    assert describe(clients[EU], key_id)["KeyState"] == "Disabled"
    meta = describe(east, key_id)
    assert meta["KeyState"] == "PendingReplicaDeletion" and "DeletionDate" not in meta


def test_a_primary_without_replicas_is_scheduled_at_once(
    kms: Any, server_now: Callable[[], datetime]
) -> None:
    key = kms.create_key(MultiRegion=True)["KeyMetadata"]
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=8)
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 8
    assert close_to(scheduled["DeletionDate"], server_now() + timedelta(days=8))
    assert describe(kms, key["KeyId"])["DeletionDate"] == scheduled["DeletionDate"]


def test_replicating_a_key_pending_deletion_is_refused(clients: dict[str, Any]) -> None:
    east = clients[EAST]
    key = east.create_key(MultiRegion=True)["KeyMetadata"]
    east.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    err = refused(lambda: east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=WEST))
    assert error_code(err) == "KMSInvalidStateException"
    assert error_message(err) == f"{key['Arn']} is pending deletion."
    assert error_code(refused(lambda: describe(clients[WEST], key["KeyId"]))) == "NotFoundException"


# -- cancelling the deletion of a key with imported material ------------------------------------


@pytest.fixture
def external(kms: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    return metadata


def test_cancel_with_imported_material_in_place_leaves_the_key_disabled(
    kms: Any, external: dict[str, Any]
) -> None:
    import_material(kms, external["KeyId"], os.urandom(32))
    kms.schedule_key_deletion(KeyId=external["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=external["KeyId"])
    assert describe(kms, external["KeyId"])["KeyState"] == "Disabled"


def test_cancel_after_the_material_was_deleted_returns_the_key_to_pending_import(
    kms: Any, external: dict[str, Any]
) -> None:
    material = os.urandom(32)
    import_material(kms, external["KeyId"], material)
    blob = kms.encrypt(KeyId=external["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=external["KeyId"], PendingWindowInDays=7)
    kms.delete_imported_key_material(KeyId=external["KeyId"])
    assert describe(kms, external["KeyId"])["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=external["KeyId"])
    meta = describe(kms, external["KeyId"])
    assert meta["KeyState"] == "PendingImport" and meta["Enabled"] is False and "DeletionDate" not in meta
    err = refused(lambda: kms.enable_key(KeyId=external["KeyId"]))
    assert error_code(err) == "KMSInvalidStateException"
    assert error_message(err) == f"{external['Arn']} is pending import."
    import_material(kms, external["KeyId"], material)  # the same material brings it back
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


def test_cancel_after_the_material_expired_returns_the_key_to_pending_import(
    kms: Any, external: dict[str, Any], server: ServerProcess, server_now: Callable[[], datetime]
) -> None:
    import_material(
        kms,
        external["KeyId"],
        os.urandom(32),
        ExpirationModel="KEY_MATERIAL_EXPIRES",
        ValidTo=server_now() + timedelta(days=1),
    )
    kms.schedule_key_deletion(KeyId=external["KeyId"], PendingWindowInDays=30)
    server.advance_clock(2 * DAY)
    assert describe(kms, external["KeyId"])["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=external["KeyId"])
    assert describe(kms, external["KeyId"])["KeyState"] == "PendingImport"


def test_cancel_before_any_import_returns_the_key_to_pending_import(
    kms: Any, external: dict[str, Any]
) -> None:
    kms.schedule_key_deletion(KeyId=external["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=external["KeyId"])
    assert describe(kms, external["KeyId"])["KeyState"] == "PendingImport"


def test_a_replica_pending_deletion_or_disabled_cannot_become_the_primary(
    clients: dict[str, Any], mrk: dict[str, Any]
) -> None:
    east, key_id = clients[EAST], mrk["KeyId"]
    clients[WEST].schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clients[EU].disable_key(KeyId=key_id)
    for region, code, words in (
        (WEST, "KMSInvalidStateException", "is pending deletion."),
        (EU, "DisabledException", "is disabled."),
    ):
        with pytest.raises(ClientError) as err:
            east.update_primary_region(KeyId=key_id, PrimaryRegion=region)
        assert error_code(err) == code and http_status(err) == 400
        assert error_message(err) == f"{mrk['Arn'].replace(EAST, region)} {words}"
    config = describe(east, key_id)["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "PRIMARY" and config["PrimaryKey"]["Region"] == EAST
