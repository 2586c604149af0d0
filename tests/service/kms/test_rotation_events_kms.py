"""The EventBridge events KMS sends: automatic rotation, imported material expiring, key deletion."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.service.events.receiver import Receiver, running_receiver
from tests.support.server import ServerProcess

ACCOUNT = "760000000010"
DAY = 86_400


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


def route_kms_events(events: Any, receiver: Receiver, detail_type: str) -> None:
    """A rule on the default bus sending `aws.kms` events of one type to the receiver."""
    name = f"kms-{uuid.uuid4().hex[:8]}"
    connection = events.create_connection(
        Name=name,
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "v"}},
    )
    destination = events.create_api_destination(
        Name=name,
        ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=receiver.url + "/kms",
        HttpMethod="POST",
    )
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.kms"], "detail-type": [detail_type]}))
    events.put_targets(Rule=name, Targets=[{"Id": "r", "Arn": destination["ApiDestinationArn"]}])


def test_automatic_and_on_demand_rotations_send_kms_cmk_rotation(
    make_client: Any, receiver: Receiver, server: ServerProcess
) -> None:
    """AWS: "Whenever AWS KMS rotates key material, it sends a KMS CMK Rotation event" (both kinds)."""
    kms = make_client("kms", access_key=ACCOUNT)
    route_kms_events(make_client("events", access_key=ACCOUNT), receiver, "KMS CMK Rotation")
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    server.advance_clock(0)
    [on_demand] = [r.json() for r in receiver.wait_for(1, timeout=15)]
    assert receiver.quiet_for(0.5) == 0  # one event per rotation
    server.advance_clock(91 * DAY)
    delivered = [r.json() for r in receiver.wait_for(2, timeout=15)][1]
    for event in (on_demand, delivered):
        assert event["source"] == "aws.kms" and event["detail-type"] == "KMS CMK Rotation"
        assert event["detail"] == {"key-id": key["KeyId"]}
        assert event["resources"] == [key["Arn"]] and event["account"] == ACCOUNT


def test_expiring_imported_material_sends_its_event(
    make_client: Any, receiver: Receiver, server: ServerProcess
) -> None:
    kms = make_client("kms", access_key=ACCOUNT)
    route_kms_events(
        make_client("events", access_key=ACCOUNT), receiver, "KMS Imported Key Material Expiration"
    )
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    params = kms.get_parameters_for_import(
        KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    public = serialization.load_der_public_key(params["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    kms.import_key_material(
        KeyId=key["KeyId"],
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=public.encrypt(os.urandom(32), oaep),
        ExpirationModel="KEY_MATERIAL_EXPIRES",
        ValidTo=params["ParametersValidTo"],
    )
    server.advance_clock(DAY + 60)
    [delivered] = [r.json() for r in receiver.wait_for(1, timeout=15)]
    assert delivered["detail-type"] == "KMS Imported Key Material Expiration"
    assert delivered["detail"] == {"key-id": key["KeyId"]}
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"


def test_deleting_a_key_at_the_end_of_its_waiting_period_sends_kms_cmk_deletion(
    make_client: Any, receiver: Receiver, server: ServerProcess
) -> None:
    kms = make_client("kms", access_key=ACCOUNT)
    route_kms_events(make_client("events", access_key=ACCOUNT), receiver, "KMS CMK Deletion")
    key = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    server.advance_clock(0)
    assert receiver.quiet_for(1.0) == 0  # scheduling sends nothing; the deletion does
    server.advance_clock(7 * DAY + 60)
    [delivered] = [r.json() for r in receiver.wait_for(1, timeout=15)]
    assert delivered["source"] == "aws.kms" and delivered["detail-type"] == "KMS CMK Deletion"
    assert delivered["detail"] == {"key-id": key["KeyId"]}
    assert delivered["resources"] == [key["Arn"]] and delivered["account"] == ACCOUNT
