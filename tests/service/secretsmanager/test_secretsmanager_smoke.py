"""The basic life of a secret, end to end with boto3."""

from __future__ import annotations

from typing import Any

from tests.service.secretsmanager.conftest import code_of, error_of


def test_create_get_put_describe(sm: Any, name: str) -> None:
    created = sm.create_secret(Name=name, SecretString="s3cr3t-one")
    assert created["Name"] == name
    assert created["ARN"].startswith("arn:aws:secretsmanager:us-east-1:") and created["ARN"][-7] == "-"
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretString"] == "s3cr3t-one"
    assert got["VersionStages"] == ["AWSCURRENT"]
    assert got["VersionId"] == created["VersionId"]
    put = sm.put_secret_value(SecretId=created["ARN"], SecretString="s3cr3t-two")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "s3cr3t-two"
    previous = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "s3cr3t-one"
    described = sm.describe_secret(SecretId=name)
    assert described["VersionIdsToStages"] == {
        created["VersionId"]: ["AWSPREVIOUS"],
        put["VersionId"]: ["AWSCURRENT"],
    }
    assert "KmsKeyId" not in described


def test_binary_and_missing(sm: Any, name: str) -> None:
    sm.create_secret(Name=name, SecretBinary=b"\x00\x01binary\xff")
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\x01binary\xff"
    assert code_of(error_of(sm.get_secret_value, SecretId=name + "-nope")) == "ResourceNotFoundException"
