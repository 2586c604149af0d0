"""Replicas in other regions: encrypted under that region's keys, readable there, following the
primary, refusing writes; removal and promotion."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ClientFactory
from tests.service.secretsmanager.conftest import code_of, error_of, message_of


@pytest.fixture(scope="module")
def sm_eu(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("secretsmanager", access_key=account_id, region="eu-west-1")


@pytest.fixture(scope="module")
def sm_ap(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("secretsmanager", access_key=account_id, region="ap-south-1")


@pytest.fixture(scope="module")
def kms_ap(make_client: ClientFactory, account_id: str) -> Any:
    return make_client("kms", access_key=account_id, region="ap-south-1")


def test_replica_reads_in_its_region_and_follows(sm: Any, sm_eu: Any, name: str) -> None:
    created = sm.create_secret(Name=name, SecretString="v1", AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert [(s["Region"], s["Status"]) for s in created["ReplicationStatus"]] == [("eu-west-1", "InSync")]
    replica = sm_eu.get_secret_value(SecretId=name)
    assert replica["SecretString"] == "v1"
    assert replica["ARN"] == created["ARN"].replace(":us-east-1:", ":eu-west-1:")
    described = sm_eu.describe_secret(SecretId=name)
    assert described["PrimaryRegion"] == "us-east-1"
    key_ids = sm_eu.list_secret_version_ids(SecretId=name)["Versions"][0]["KmsKeyIds"]
    assert ":eu-west-1:" in key_ids[0]
    assert sm.describe_secret(SecretId=name)["ReplicationStatus"][0]["Status"] == "InSync"

    sm.put_secret_value(SecretId=name, SecretString="v2")
    sm.update_secret(SecretId=name, Description="follows")
    sm.tag_resource(SecretId=name, Tags=[{"Key": "env", "Value": "prod"}])
    assert sm_eu.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert sm_eu.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    described = sm_eu.describe_secret(SecretId=name)
    assert described["Description"] == "follows" and described["Tags"] == [{"Key": "env", "Value": "prod"}]

    refused = error_of(sm_eu.put_secret_value, SecretId=name, SecretString="nope")
    assert code_of(refused) == "InvalidRequestException"
    assert "replica" in message_of(refused)
    still_there = error_of(sm.delete_secret, SecretId=name)
    assert code_of(still_there) == "InvalidRequestException"

    removed = sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-1"])
    assert removed["ReplicationStatus"] == []
    assert code_of(error_of(sm_eu.describe_secret, SecretId=name)) == "ResourceNotFoundException"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_replica_under_customer_key_and_promotion(sm: Any, sm_ap: Any, kms_ap: Any, name: str) -> None:
    key = kms_ap.create_key(Description="replica key")["KeyMetadata"]
    sm.create_secret(Name=name, SecretString="regional")
    status = sm.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": "ap-south-1", "KmsKeyId": key["Arn"]}]
    )["ReplicationStatus"]
    assert status == [
        {
            "Region": "ap-south-1",
            "KmsKeyId": key["Arn"],
            "Status": "InSync",
            "StatusMessage": "Replication succeeded",
        }
    ]
    assert sm_ap.list_secret_version_ids(SecretId=name)["Versions"][0]["KmsKeyIds"] == [key["Arn"]]
    assert sm_ap.get_secret_value(SecretId=name)["SecretString"] == "regional"

    kms_ap.disable_key(KeyId=key["KeyId"])
    sm.put_secret_value(SecretId=name, SecretString="cannot-follow")
    failed = sm.describe_secret(SecretId=name)["ReplicationStatus"][0]
    assert failed["Status"] == "Failed" and failed["StatusMessage"]
    kms_ap.enable_key(KeyId=key["KeyId"])
    sm.put_secret_value(SecretId=name, SecretString="follows-again")
    assert sm.describe_secret(SecretId=name)["ReplicationStatus"][0]["Status"] == "InSync"
    assert sm_ap.get_secret_value(SecretId=name)["SecretString"] == "follows-again"

    assert code_of(error_of(sm.stop_replication_to_replica, SecretId=name)) == "InvalidRequestException"
    sm_ap.stop_replication_to_replica(SecretId=name)
    assert "PrimaryRegion" not in sm_ap.describe_secret(SecretId=name)
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    sm_ap.put_secret_value(SecretId=name, SecretString="standalone")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "follows-again"


def test_replication_errors(sm: Any, sm_eu: Any, raw_sm: Any, name: str) -> None:
    sm_eu.create_secret(Name=name, SecretString="already here")
    sm.create_secret(Name=name, SecretString="primary")
    status = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert status["ReplicationStatus"][0]["Status"] == "Failed"
    assert sm_eu.get_secret_value(SecretId=name)["SecretString"] == "already here"
    same = error_of(
        sm.replicate_secret_to_regions, SecretId=name, AddReplicaRegions=[{"Region": "us-east-1"}]
    )
    assert code_of(same) == "InvalidParameterException"
    unknown = error_of(sm.remove_regions_from_replication, SecretId=name, RemoveReplicaRegions=["sa-east-1"])
    assert code_of(unknown) == "InvalidParameterException"
