"""Create, describe, list, update, delete, restore, tags, versions and labels, with AWS's errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.service.secretsmanager.conftest import code_of, error_of, message_of
from tests.support.server import ServerProcess


def test_create_is_idempotent_by_token(sm: Any, name: str) -> None:
    token = str(uuid.uuid4())
    first = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    again = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    assert again["ARN"] == first["ARN"] and again["VersionId"] == token
    error = error_of(sm.create_secret, Name=name, SecretString="other", ClientRequestToken=token)
    assert code_of(error) == "ResourceExistsException"
    error = error_of(sm.create_secret, Name=name, SecretString="v")
    assert code_of(error) == "ResourceExistsException"
    assert message_of(error) == f"The operation failed because the secret {name} already exists."


def test_bad_inputs(sm: Any, raw_sm: Any, name: str) -> None:
    assert code_of(error_of(sm.create_secret, Name="bad name!#")) == "InvalidParameterException"
    both = error_of(raw_sm.create_secret, Name=name, SecretString="a", SecretBinary=b"b")
    assert code_of(both) == "InvalidParameterException"
    long_value = error_of(raw_sm.create_secret, Name=name, SecretString="x" * 65537)
    assert code_of(long_value) == "ValidationException"
    reserved = error_of(sm.create_secret, Name=name, SecretString="a", Tags=[{"Key": "aws:x", "Value": "y"}])
    assert code_of(reserved) == "InvalidParameterException"
    assert code_of(error_of(sm.describe_secret, SecretId=name)) == "ResourceNotFoundException"


def test_secret_without_value_and_partial_arn(sm: Any, name: str) -> None:
    created = sm.create_secret(Name=name, Description="no value yet")
    assert "VersionId" not in created
    error = error_of(sm.get_secret_value, SecretId=name)
    assert code_of(error) == "ResourceNotFoundException"
    assert "AWSCURRENT" in message_of(error)
    partial = created["ARN"][:-7]
    assert sm.describe_secret(SecretId=partial)["ARN"] == created["ARN"]
    sm.put_secret_value(SecretId=partial, SecretString="now")
    assert sm.get_secret_value(SecretId=created["ARN"])["SecretString"] == "now"


def test_list_filters_sort_and_pages(sm: Any) -> None:
    prefix = f"list{uuid.uuid4().hex[:6]}"
    for i in range(5):
        sm.create_secret(
            Name=f"{prefix}/s{i}",
            SecretString="x",
            Description="even" if i % 2 == 0 else "odd",
            Tags=[{"Key": "team", "Value": f"t{i}"}],
        )

    def names(entries: list[dict[str, Any]]) -> list[str]:
        return [e["Name"] for e in entries]

    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}], SortBy="name")["SecretList"]
    assert names(listed) == [f"{prefix}/s{i}" for i in range(5)]
    desc = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}], SortBy="name", SortOrder="desc")
    assert names(desc["SecretList"]) == [f"{prefix}/s{i}" for i in reversed(range(5))]
    even = sm.list_secrets(
        Filters=[{"Key": "name", "Values": [prefix]}, {"Key": "description", "Values": ["even"]}]
    )
    assert sorted(names(even["SecretList"])) == [f"{prefix}/s0", f"{prefix}/s2", f"{prefix}/s4"]
    negated = sm.list_secrets(
        Filters=[{"Key": "name", "Values": [prefix]}, {"Key": "tag-value", "Values": ["!t1"]}]
    )
    assert f"{prefix}/s1" not in names(negated["SecretList"]) and len(negated["SecretList"]) == 4
    pages, token, seen = 0, None, []
    while True:
        kwargs: dict[str, Any] = {
            "Filters": [{"Key": "all", "Values": [prefix]}],
            "MaxResults": 2,
            "SortBy": "name",
        }
        if token:
            kwargs["NextToken"] = token
        page = sm.list_secrets(**kwargs)
        seen += names(page["SecretList"])
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3 and seen == [f"{prefix}/s{i}" for i in range(5)]
    assert code_of(error_of(sm.list_secrets, NextToken="garbage")) == "InvalidNextTokenException"
    paginator = sm.get_paginator("list_secrets")
    found = [
        e["Name"]
        for p in paginator.paginate(Filters=[{"Key": "name", "Values": [prefix]}], MaxResults=1)
        for e in p["SecretList"]
    ]
    assert sorted(found) == [f"{prefix}/s{i}" for i in range(5)]


def test_update_and_versions(sm: Any, name: str) -> None:
    created = sm.create_secret(Name=name, SecretString="one")
    updated = sm.update_secret(SecretId=name, Description="described", SecretString="two")
    assert updated["VersionId"] != created["VersionId"]
    assert sm.describe_secret(SecretId=name)["Description"] == "described"
    meta_only = sm.update_secret(SecretId=name, Description="again")
    assert "VersionId" not in meta_only
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert {v["VersionId"]: v["VersionStages"] for v in versions} == {
        created["VersionId"]: ["AWSPREVIOUS"],
        updated["VersionId"]: ["AWSCURRENT"],
    }
    third = sm.put_secret_value(SecretId=name, SecretString="three")
    # The first version lost its last label: deprecated, shown only on request.
    listed = {v["VersionId"] for v in sm.list_secret_version_ids(SecretId=name)["Versions"]}
    assert listed == {updated["VersionId"], third["VersionId"]}
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert created["VersionId"] in {v["VersionId"] for v in everything}
    assert sm.get_secret_value(SecretId=name, VersionId=created["VersionId"])["SecretString"] == "one"


def test_put_secret_value_token_rules(sm: Any, raw_sm: Any, name: str) -> None:
    sm.create_secret(Name=name, SecretString="one")
    token = str(uuid.uuid4())
    sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert again["VersionId"] == token
    clash = error_of(sm.put_secret_value, SecretId=name, SecretString="three", ClientRequestToken=token)
    assert code_of(clash) == "ResourceExistsException"
    assert code_of(error_of(raw_sm.put_secret_value, SecretId=name)) == "InvalidRequestException"
    custom = sm.put_secret_value(SecretId=name, SecretString="blue", VersionStages=["blue"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    assert sm.get_secret_value(SecretId=name, VersionStage="blue")["VersionId"] == custom["VersionId"]


def test_update_secret_version_stage(sm: Any, name: str) -> None:
    first = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    second = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    missing_remove = error_of(
        sm.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=first
    )
    assert code_of(missing_remove) == "InvalidParameterException"
    assert second in message_of(missing_remove)
    remove_current = error_of(
        sm.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=second
    )
    assert code_of(remove_current) == "InvalidParameterException"
    wrong = error_of(
        sm.update_secret_version_stage,
        SecretId=name,
        VersionStage="AWSCURRENT",
        RemoveFromVersionId=first,
        MoveToVersionId=first,
    )
    assert code_of(wrong) == "InvalidParameterException"
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=second, MoveToVersionId=first
    )
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "one"
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        first: ["AWSCURRENT"],
        second: ["AWSPREVIOUS"],
    }
    unknown = error_of(
        sm.update_secret_version_stage, SecretId=name, VersionStage="x", MoveToVersionId=str(uuid.uuid4())
    )
    assert code_of(unknown) == "InvalidParameterException"


def test_delete_restore_and_purge(sm: Any, raw_sm: Any, server: ServerProcess, name: str) -> None:
    arn = sm.create_secret(Name=name, SecretString="doomed")["ARN"]
    assert (
        code_of(error_of(raw_sm.delete_secret, SecretId=name, RecoveryWindowInDays=6))
        == "InvalidParameterException"
    )
    assert (
        code_of(error_of(raw_sm.delete_secret, SecretId=name, RecoveryWindowInDays=31))
        == "InvalidParameterException"
    )
    both = error_of(
        raw_sm.delete_secret, SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True
    )
    assert code_of(both) == "InvalidParameterException"
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert (deleted["DeletionDate"] - sm.describe_secret(SecretId=name)["DeletedDate"]).days == 7
    gone = error_of(sm.get_secret_value, SecretId=name)
    assert code_of(gone) == "InvalidRequestException" and "marked for deletion" in message_of(gone)
    assert (
        code_of(error_of(sm.put_secret_value, SecretId=name, SecretString="x")) == "InvalidRequestException"
    )
    assert code_of(error_of(sm.create_secret, Name=name, SecretString="x")) == "InvalidRequestException"
    assert code_of(error_of(sm.delete_secret, SecretId=name)) == "InvalidRequestException"
    assert name not in [
        s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    ]
    planned = sm.list_secrets(IncludePlannedDeletion=True, Filters=[{"Key": "name", "Values": [name]}])[
        "SecretList"
    ]
    assert [s["ARN"] for s in planned] == [arn]
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "doomed"
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    server.advance_clock(7 * 86400 + 60)
    assert code_of(error_of(sm.describe_secret, SecretId=arn)) == "ResourceNotFoundException"
    sm.create_secret(Name=name, SecretString="reborn")  # the name is free again, with a new ARN
    assert sm.describe_secret(SecretId=name)["ARN"] != arn


def test_force_delete(sm: Any, name: str) -> None:
    sm.create_secret(Name=name, SecretString="x")
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert code_of(error_of(sm.describe_secret, SecretId=name)) == "ResourceNotFoundException"
    sm.create_secret(Name=name, SecretString="y")


def test_tags(sm: Any, name: str) -> None:
    sm.create_secret(Name=name, SecretString="x", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}])
    assert sm.describe_secret(SecretId=name)["Tags"] == [
        {"Key": "a", "Value": "one"},
        {"Key": "b", "Value": "2"},
    ]
    sm.untag_resource(SecretId=name, TagKeys=["a"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert code_of(error_of(sm.tag_resource, SecretId=name, Tags=many)) == "InvalidParameterException"


def test_random_password(sm: Any, raw_sm: Any) -> None:
    assert len(sm.get_random_password()["RandomPassword"]) == 32
    digits = sm.get_random_password(
        PasswordLength=50, ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True
    )
    assert digits["RandomPassword"].isdigit() and len(digits["RandomPassword"]) == 50
    assert code_of(error_of(raw_sm.get_random_password, PasswordLength=0)) == "ValidationException"
    assert code_of(error_of(sm.get_random_password, PasswordLength=2)) == "InvalidParameterException"


def test_batch_get_secret_value(sm: Any, raw_sm: Any) -> None:
    prefix = f"batch{uuid.uuid4().hex[:6]}"
    arns = [sm.create_secret(Name=f"{prefix}/{i}", SecretString=f"value-{i}")["ARN"] for i in range(3)]
    result = sm.batch_get_secret_value(SecretIdList=[*arns, f"{prefix}/missing"])
    assert sorted(v["SecretString"] for v in result["SecretValues"]) == ["value-0", "value-1", "value-2"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in result["Errors"]] == [
        (f"{prefix}/missing", "ResourceNotFoundException")
    ]
    by_filter = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [prefix]}], MaxResults=2)
    assert len(by_filter["SecretValues"]) == 2 and by_filter["NextToken"]
    rest = sm.batch_get_secret_value(
        Filters=[{"Key": "name", "Values": [prefix]}], MaxResults=2, NextToken=by_filter["NextToken"]
    )
    assert len(rest["SecretValues"]) == 1
    neither = error_of(raw_sm.batch_get_secret_value)
    assert code_of(neither) == "InvalidParameterException"


@pytest.mark.parametrize("stage", ["AWSCURRENT", "AWSPREVIOUS"])
def test_get_by_version_and_stage_must_agree(sm: Any, name: str, stage: str) -> None:
    first = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    sm.put_secret_value(SecretId=name, SecretString="two")
    if stage == "AWSPREVIOUS":
        assert (
            sm.get_secret_value(SecretId=name, VersionId=first, VersionStage=stage)["SecretString"] == "one"
        )
    else:
        error = error_of(sm.get_secret_value, SecretId=name, VersionId=first, VersionStage=stage)
        assert code_of(error) == "ResourceNotFoundException"
