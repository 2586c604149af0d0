"""Aliases end to end: naming rules, the reserved prefix, updates, listings, quotas."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import ACCOUNT, REGION, UserFactory, error_code, error_message


def _name() -> str:
    return f"alias/t-{uuid.uuid4().hex[:10]}"


def test_create_list_update_delete(kms: Any, key: dict[str, Any]) -> None:
    other = kms.create_key()["KeyMetadata"]
    name = _name()
    kms.create_alias(AliasName=name, TargetKeyId=key["Arn"])
    listed = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in listed] == [name]
    entry = listed[0]
    assert entry["AliasArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:{name}"
    assert entry["TargetKeyId"] == key["KeyId"]
    assert entry["CreationDate"] <= entry["LastUpdatedDate"]
    kms.update_alias(AliasName=name, TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other["KeyId"]
    assert kms.list_aliases(KeyId=key["KeyId"])["Aliases"] == []
    kms.delete_alias(AliasName=name)
    with pytest.raises(ClientError) as err:
        kms.describe_key(KeyId=name)
    assert error_code(err) == "NotFoundException"
    assert kms.describe_key(KeyId=other["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_duplicate_alias(kms: Any, key: dict[str, Any]) -> None:
    name = _name()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert error_code(err) == "AlreadyExistsException"
    assert (
        error_message(err) == f"An alias with the name arn:aws:kms:{REGION}:{ACCOUNT}:{name} already exists"
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("no-prefix", "ValidationException"),
        ("alias/", "InvalidAliasNameException"),
        ("alias/has:colon", "InvalidAliasNameException"),
        ("alias/bad name", "ValidationException"),
        ("alias/aws/mine", "AccessDeniedException"),
    ],
)
def test_alias_naming_rules(kms: Any, key: dict[str, Any], name: str, code: str) -> None:
    with pytest.raises(ClientError) as err:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert error_code(err) == code


def test_prefix_message(kms: Any, key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as err:
        kms.create_alias(AliasName="mykey", TargetKeyId=key["KeyId"])
    assert error_message(err).startswith('Alias must start with the prefix "alias/".')


def test_an_alias_cannot_point_at_an_alias(kms: Any, key: dict[str, Any]) -> None:
    name = _name()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        kms.create_alias(AliasName=_name(), TargetKeyId=name)
    assert error_code(err) == "ValidationException"


def test_missing_targets_and_aliases(kms: Any) -> None:
    with pytest.raises(ClientError) as err:
        kms.create_alias(AliasName=_name(), TargetKeyId="11111111-2222-3333-4444-555555555555")
    assert error_code(err) == "NotFoundException"
    with pytest.raises(ClientError) as err:
        kms.delete_alias(AliasName="alias/never-made")
    assert error_code(err) == "NotFoundException"
    assert error_message(err) == f"Alias 'arn:aws:kms:{REGION}:{ACCOUNT}:alias/never-made' is not found."
    with pytest.raises(ClientError) as err:
        kms.update_alias(AliasName="alias/never-made", TargetKeyId="11111111-2222-3333-4444-555555555555")
    assert error_code(err) == "NotFoundException"


def test_update_alias_needs_a_key_of_the_same_kind(kms: Any, key: dict[str, Any]) -> None:
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    name = _name()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        kms.update_alias(AliasName=name, TargetKeyId=hmac["KeyId"])
    assert error_code(err) == "ValidationException"
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_alias_of_a_key_pending_deletion(kms: Any, key: dict[str, Any]) -> None:
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as err:
        kms.create_alias(AliasName=_name(), TargetKeyId=key["KeyId"])
    assert error_code(err) == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key["KeyId"])


def test_predefined_aws_aliases_are_listed(make_client: Any) -> None:
    fresh = make_client("kms", access_key="700000000009", region="eu-west-3")
    aliases = fresh.get_paginator("list_aliases").paginate().build_full_result()["Aliases"]
    by_name = {a["AliasName"]: a for a in aliases}
    assert "alias/aws/ssm" in by_name and "TargetKeyId" not in by_name["alias/aws/ssm"]
    assert [a["AliasName"] for a in aliases] == sorted(by_name)


def test_aliases_per_key_quota(kms: Any, key: dict[str, Any]) -> None:
    for _ in range(50):
        kms.create_alias(AliasName=_name(), TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        kms.create_alias(AliasName=_name(), TargetKeyId=key["KeyId"])
    assert error_code(err) == "LimitExceededException"
    first = kms.list_aliases(KeyId=key["KeyId"], Limit=20)
    assert len(first["Aliases"]) == 20 and first["Truncated"] is True
    rest = kms.get_paginator("list_aliases").paginate(KeyId=key["KeyId"]).build_full_result()["Aliases"]
    assert len(rest) == 50


def test_alias_permissions_need_alias_and_key(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    name = _name()
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{name}"
    only_key = make_user({"Effect": "Allow", "Action": "kms:CreateAlias", "Resource": key["Arn"]})
    with pytest.raises(ClientError) as err:
        only_key["kms"].create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert error_code(err) == "AccessDeniedException"
    assert f"on resource: {alias_arn}" in error_message(err)
    only_alias = make_user({"Effect": "Allow", "Action": "kms:CreateAlias", "Resource": alias_arn})
    with pytest.raises(ClientError) as err:
        only_alias["kms"].create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert f"on resource: {key['Arn']}" in error_message(err)
    both = make_user({"Effect": "Allow", "Action": "kms:CreateAlias", "Resource": [alias_arn, key["Arn"]]})
    both["kms"].create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]
