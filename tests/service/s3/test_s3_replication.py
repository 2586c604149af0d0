"""Replication across regions and accounts by background workers, as the configuration's role."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.s3.conftest import ACCOUNT, OTHER_ACCOUNT, error_code, policy_document, unique_bucket

S3_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def wait_status(s3: Any, bucket: str, key: str, wanted: set[str], timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = str(s3.head_object(Bucket=bucket, Key=key).get("ReplicationStatus", ""))
        if status in wanted:
            return status
        time.sleep(0.2)
    return status


def make_role(iam: Any, *statements: dict[str, Any]) -> str:
    name = f"s3-repl-{uuid.uuid4().hex[:8]}"
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=S3_TRUST)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="replication", PolicyDocument=policy_document(*statements))
    return arn


def versioned(s3: Any, region: str | None = None) -> str:
    name = unique_bucket("repl")
    if region and region != "us-east-1":
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    else:
        s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def rule(destination: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "ID": "all",
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "Destination": destination,
        **extra,
    }


REPLICATION_ACTIONS = [
    {
        "Effect": "Allow",
        "Action": ["s3:GetObjectVersionForReplication", "s3:ReplicateObject", "s3:ReplicateDelete"],
        "Resource": "*",
    },
]


def test_configuration_validation(s3: Any, iam: Any) -> None:
    source = unique_bucket("repl")
    s3.create_bucket(Bucket=source)
    destination = versioned(s3)
    role = make_role(iam, *REPLICATION_ACTIONS)
    config = {"Role": role, "Rules": [rule({"Bucket": f"arn:aws:s3:::{destination}"})]}
    with pytest.raises(ClientError) as err:
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    assert error_code(err) == "InvalidRequest"  # source not versioned
    s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Enabled"})
    without_marker_rule = rule({"Bucket": f"arn:aws:s3:::{destination}"})
    without_marker_rule.pop("DeleteMarkerReplication")
    bad = {"Role": role, "Rules": [without_marker_rule]}
    with pytest.raises(ClientError) as err:
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=bad)
    assert error_code(err) == "InvalidRequest"
    kms_without_key = {
        "Role": role,
        "Rules": [
            rule(
                {"Bucket": f"arn:aws:s3:::{destination}"},
                SourceSelectionCriteria={"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            )
        ],
    }
    with pytest.raises(ClientError) as err:
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=kms_without_key)
    assert error_code(err) == "InvalidRequest"
    with pytest.raises(ClientError) as err:
        s3.get_bucket_replication(Bucket=source)
    assert error_code(err) == "ReplicationConfigurationNotFoundError"
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    assert s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]["Role"] == role


def test_cross_region_replication_of_each_encryption(
    s3: Any, s3_eu: Any, iam: Any, kms: Any, make_client: Any
) -> None:
    kms_eu = make_client("kms", access_key=ACCOUNT, region="eu-west-1")
    source_key = kms.create_key()["KeyMetadata"]
    replica_key = kms_eu.create_key()["KeyMetadata"]
    other_key = kms.create_key()["KeyMetadata"]
    source = versioned(s3)
    destination = versioned(s3_eu, "eu-west-1")
    role = make_role(
        iam,
        *REPLICATION_ACTIONS,
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": source_key["Arn"]},
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": replica_key["Arn"]},
    )
    s3.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": role,
            "Rules": [
                rule(
                    {
                        "Bucket": f"arn:aws:s3:::{destination}",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key["Arn"]},
                    },
                    SourceSelectionCriteria={"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                )
            ],
        },
    )
    s3.put_bucket_encryption(
        Bucket=source,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]},
                }
            ]
        },
    )
    s3_eu.put_bucket_encryption(
        Bucket=destination,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]},
                }
            ]
        },
    )
    customer_key = os.urandom(32)
    s3.put_object(Bucket=source, Key="sse-s3", Body=b"s3 managed")
    s3.put_object(
        Bucket=source,
        Key="sse-kms",
        Body=b"kms",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=source_key["Arn"],
    )
    s3.put_object(
        Bucket=source,
        Key="dsse",
        Body=b"dsse",
        ServerSideEncryption="aws:kms:dsse",
        SSEKMSKeyId=source_key["Arn"],
    )
    s3.put_object(
        Bucket=source,
        Key="sse-c",
        Body=b"customer",
        SSECustomerAlgorithm="AES256",
        SSECustomerKey=customer_key,
    )
    s3.put_object(
        Bucket=source,
        Key="no-decrypt",
        Body=b"other key",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=other_key["Arn"],
    )
    assert wait_status(s3, source, "sse-s3", {"COMPLETED", "FAILED"}) == "COMPLETED"
    assert wait_status(s3, source, "sse-kms", {"COMPLETED", "FAILED"}) == "COMPLETED"
    assert wait_status(s3, source, "dsse", {"COMPLETED", "FAILED"}) == "COMPLETED"
    assert wait_status(s3, source, "no-decrypt", {"COMPLETED", "FAILED"}) == "FAILED"
    replica = s3_eu.get_object(Bucket=destination, Key="sse-kms")
    assert replica["Body"].read() == b"kms"
    assert replica["ReplicationStatus"] == "REPLICA"
    assert replica["SSEKMSKeyId"] == replica_key["Arn"]
    assert s3_eu.get_object(Bucket=destination, Key="dsse")["ServerSideEncryption"] == "aws:kms:dsse"
    assert s3_eu.get_object(Bucket=destination, Key="sse-s3")["Body"].read() == b"s3 managed"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = s3.head_object(
            Bucket=source, Key="sse-c", SSECustomerAlgorithm="AES256", SSECustomerKey=customer_key
        ).get("ReplicationStatus")
        if status in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.2)
    assert status == "COMPLETED"
    copy = s3_eu.get_object(
        Bucket=destination, Key="sse-c", SSECustomerAlgorithm="AES256", SSECustomerKey=customer_key
    )
    assert copy["Body"].read() == b"customer"
    source_version = s3.head_object(Bucket=source, Key="sse-s3")["VersionId"]
    assert s3_eu.head_object(Bucket=destination, Key="sse-s3")["VersionId"] == source_version
    s3.delete_object(Bucket=source, Key="sse-s3")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            s3_eu.head_object(Bucket=destination, Key="sse-s3")
        except ClientError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the delete marker was not replicated")


def test_sse_kms_objects_not_replicated_unless_enabled(s3: Any, iam: Any) -> None:
    source, destination = versioned(s3), versioned(s3)
    role = make_role(iam, *REPLICATION_ACTIONS)
    s3.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={"Role": role, "Rules": [rule({"Bucket": f"arn:aws:s3:::{destination}"})]},
    )
    s3.put_object(Bucket=source, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")
    s3.put_object(Bucket=source, Key="plain", Body=b"x")
    assert wait_status(s3, source, "plain", {"COMPLETED", "FAILED"}) == "COMPLETED"
    assert "ReplicationStatus" not in s3.head_object(Bucket=source, Key="kms")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=destination, Key="kms")


def test_cross_account_needs_destination_bucket_policy(s3: Any, other_s3: Any, iam: Any) -> None:
    source = versioned(s3)
    destination = versioned(other_s3)
    role = make_role(iam, *REPLICATION_ACTIONS)
    s3.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": role,
            "Rules": [rule({"Bucket": f"arn:aws:s3:::{destination}", "Account": OTHER_ACCOUNT})],
        },
    )
    s3.put_object(Bucket=source, Key="denied", Body=b"x")
    assert wait_status(s3, source, "denied", {"COMPLETED", "FAILED"}) == "FAILED"
    other_s3.put_bucket_policy(
        Bucket=destination,
        Policy=policy_document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": ["s3:ReplicateObject", "s3:ReplicateDelete"],
                "Resource": f"arn:aws:s3:::{destination}/*",
            }
        ),
    )
    s3.put_object(Bucket=source, Key="allowed", Body=b"cross account")
    assert wait_status(s3, source, "allowed", {"COMPLETED", "FAILED"}) == "COMPLETED"
    assert other_s3.get_object(Bucket=destination, Key="allowed")["Body"].read() == b"cross account"


def test_role_without_permissions_fails(s3: Any, iam: Any) -> None:
    source, destination = versioned(s3), versioned(s3)
    role = make_role(iam, {"Effect": "Allow", "Action": "s3:GetObjectVersionForReplication", "Resource": "*"})
    s3.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={"Role": role, "Rules": [rule({"Bucket": f"arn:aws:s3:::{destination}"})]},
    )
    s3.put_object(Bucket=source, Key="x", Body=b"x")
    assert wait_status(s3, source, "x", {"COMPLETED", "FAILED"}) == "FAILED"
