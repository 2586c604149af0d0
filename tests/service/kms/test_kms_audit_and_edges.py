"""What KMS records in CloudTrail (never a plaintext), and edge cases of names and listings."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import ACCOUNT, OTHER_ACCOUNT, UserFactory, error_code, policy_document


def _events_for(cloudtrail: Any, key_arn: str, timeout: float = 3.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events: list[dict[str, Any]] = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key_arn}]
        )["Events"]
        names = {e["EventName"] for e in events}
        if {"Encrypt", "Decrypt", "GenerateDataKey"} <= names or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def test_cloudtrail_records_kms_calls_without_secrets(
    make_client: Any, kms: Any, key: dict[str, Any]
) -> None:
    secret = b"the-plaintext-must-never-be-logged"
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=secret, EncryptionContext={"app": "audit"})[
        "CiphertextBlob"
    ]
    kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "audit"})
    data_key = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")["Plaintext"]
    cloudtrail = make_client("cloudtrail", access_key=ACCOUNT, parameter_validation=False)
    events = _events_for(cloudtrail, key["Arn"])
    assert {"Encrypt", "Decrypt", "GenerateDataKey"} <= {e["EventName"] for e in events}
    text = " ".join(e["CloudTrailEvent"] for e in events)
    for value in (secret, data_key):
        assert value.decode("latin-1") not in text
        assert base64.b64encode(value).decode() not in text
    encrypt = next(json.loads(e["CloudTrailEvent"]) for e in events if e["EventName"] == "Encrypt")
    assert encrypt["eventSource"] == "kms.amazonaws.com"
    assert encrypt["requestParameters"]["encryptionContext"] == {"app": "audit"}
    assert encrypt["resources"][0]["ARN"] == key["Arn"]


def test_list_aliases_by_an_alias_is_an_invalid_arn(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.list_aliases(KeyId="alias/anything")
    assert error_code(err) == "InvalidArnException"


def test_list_retirable_grants_needs_a_valid_principal(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.list_retirable_grants(RetiringPrincipal="not a principal")
    assert error_code(err) in ("InvalidArnException", "ValidationException")


def test_cross_account_grant(kms: Any, key: dict[str, Any], make_other_user: UserFactory) -> None:
    outsider = make_other_user()
    with pytest.raises(ClientError):
        outsider["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    kms.create_grant(KeyId=key["Arn"], GranteePrincipal=outsider["arn"], Operations=["Encrypt", "Decrypt"])
    blob = outsider["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"granted across")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"granted across"
    assert outsider["kms"].decrypt(CiphertextBlob=blob)["Plaintext"] == b"granted across"


def test_another_account_can_describe_a_shared_key_but_not_list_it(
    kms: Any, other_kms: Any, make_other_user: UserFactory
) -> None:
    admin = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    share = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
        "Action": "kms:DescribeKey",
        "Resource": "*",
    }
    shared = kms.create_key(Policy=policy_document(admin, share))["KeyMetadata"]
    assert other_kms.describe_key(KeyId=shared["Arn"])["KeyMetadata"]["AWSAccountId"] == ACCOUNT
    with pytest.raises(ClientError) as err:
        other_kms.get_key_policy(KeyId=shared["Arn"], PolicyName="default")
    assert error_code(err) == "AccessDeniedException"
    listed = other_kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]
    assert shared["KeyId"] not in {k["KeyId"] for k in listed}
