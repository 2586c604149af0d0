"""Replication under KMS throttling, on a server of its own whose eu-west-1 KMS quota is tiny.

The destination's KMS (eu-west-1) admits 2 symmetric cryptographic requests per second, so the
replication worker's Encrypt calls are throttled. Throttled tasks wait on the business clock,
which the test moves (it never sleeps out a backoff); the token bucket refills in real time, so
the whole run takes a few real seconds. Every object must still end COMPLETED, and the trail must
show that the worker really was throttled on the way.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.service.s3.conftest import ACCOUNT, policy_document, unique_bucket
from tests.support.server import ServerProcess, boto_config

OBJECTS = 16
DESTINATION_REGION = "eu-west-1"
S3_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture(scope="module")
def throttled_server(
    tmp_path_factory: pytest.TempPathFactory, database_url_factory: Callable[[], str | None]
) -> Iterator[ServerProcess]:
    quotas = {"regions": {DESTINATION_REGION: {"kms:CryptographicOperationsSymmetric": 2}}}
    server = ServerProcess(
        tmp_path_factory.mktemp("s3-throttled") / "data",
        database_url=database_url_factory(),
        workers=1,
        env={"STRONGROOM_QUOTAS": json.dumps(quotas), "STRONGROOM_QUOTA_FILE": ""},
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(throttled_server: ServerProcess) -> Callable[..., Any]:
    def make(service: str, region: str = "us-east-1", **config: Any) -> Any:
        if service == "s3":
            config["signature_version"] = "s3v4"
        return boto3.client(
            service,
            endpoint_url=throttled_server.endpoint,
            region_name=region,
            aws_access_key_id=ACCOUNT,
            aws_secret_access_key="test",
            config=boto_config().merge(Config(**config)),
        )

    return make


def versioned_bucket(s3: Any, region: str) -> str:
    name = unique_bucket("throttle")
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def replication_statuses(s3: Any, bucket: str, keys: list[str]) -> dict[str, str]:
    return {key: s3.head_object(Bucket=bucket, Key=key).get("ReplicationStatus", "") for key in keys}


def throttled_encrypts(trail: Any, role_arn: str) -> list[dict[str, Any]]:
    """The replication role's Encrypt calls in the destination region that KMS throttled."""
    records = []
    for page in trail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}]
    ):
        records += [json.loads(event["CloudTrailEvent"]) for event in page["Events"]]
    role_name = role_arn.rsplit("/", 1)[1]
    return [
        r
        for r in records
        if r.get("errorCode") == "ThrottlingException"
        and role_name in json.dumps(r["userIdentity"])
        and r["userIdentity"].get("invokedBy") == "s3.amazonaws.com"
    ]


def test_kms_throttling_is_retried_until_every_object_replicates(
    client: Callable[..., Any], throttled_server: ServerProcess
) -> None:
    s3, s3_eu = client("s3"), client("s3", DESTINATION_REGION)
    kms, kms_eu, iam = client("kms"), client("kms", DESTINATION_REGION), client("iam")
    trail_eu = client("cloudtrail", DESTINATION_REGION)
    source_key = kms.create_key()["KeyMetadata"]["Arn"]
    replica_key = kms_eu.create_key()["KeyMetadata"]["Arn"]
    source = versioned_bucket(s3, "us-east-1")
    destination = versioned_bucket(s3_eu, DESTINATION_REGION)
    role_name = f"throttled-repl-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=S3_TRUST)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="replication",
        PolicyDocument=policy_document(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObjectVersionForReplication", "s3:ReplicateObject", "s3:ReplicateDelete"],
                "Resource": "*",
            },
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": source_key},
            {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": replica_key},
        ),
    )
    s3.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": role,
            "Rules": [
                {
                    "ID": "all",
                    "Priority": 1,
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {
                        "Bucket": f"arn:aws:s3:::{destination}",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key},
                    },
                    "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                }
            ],
        },
    )
    keys = [f"object-{n:02d}" for n in range(OBJECTS)]
    for key in keys:
        s3.put_object(
            Bucket=source,
            Key=key,
            Body=f"payload of {key}".encode(),
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=source_key,
        )

    deadline = time.monotonic() + 90
    statuses = replication_statuses(s3, source, keys)
    while time.monotonic() < deadline and set(statuses.values()) != {"COMPLETED"}:
        assert "FAILED" not in statuses.values(), statuses
        throttled_server.advance_clock(120)  # every backoff so far is now due
        time.sleep(0.3)
        statuses = replication_statuses(s3, source, keys)
    assert statuses == dict.fromkeys(keys, "COMPLETED")

    for key in keys:
        replica = s3_eu.head_object(Bucket=destination, Key=key)
        assert replica["ReplicationStatus"] == "REPLICA"
        assert replica["SSEKMSKeyId"] == replica_key
    # Reading a replica decrypts under the throttled key too (SlowDown past the quota): retry as SDKs do.
    patient_s3_eu = client("s3", DESTINATION_REGION, retries={"max_attempts": 20, "mode": "standard"})
    for key in keys[:: OBJECTS // 4]:
        body = patient_s3_eu.get_object(Bucket=destination, Key=key)["Body"].read()
        assert body == f"payload of {key}".encode()
    deadline = time.monotonic() + 10
    throttled = throttled_encrypts(trail_eu, role)
    while not throttled and time.monotonic() < deadline:
        time.sleep(0.2)
        throttled = throttled_encrypts(trail_eu, role)
    assert throttled, "the worker was never throttled: the quota did not bite"
    assert all(r["awsRegion"] == DESTINATION_REGION for r in throttled)
