"""RotateSecret with RotateImmediately=false: AWS only tests the configuration with testSecret.

"If you set RotateImmediately to false, Secrets Manager tests the rotation configuration by
running the testSecret step of the Lambda rotation function. This test creates an AWSPENDING
version of the secret and then removes it." (RotateSecret, AWS API reference)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.secretsmanager.conftest import code_of, error_of, wait_for
from tests.service.secretsmanager.rotation_function import RotationFunction, registered
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def function(sm: Any, account_id: str, server: ServerProcess) -> Iterator[tuple[RotationFunction, str]]:
    rotator = RotationFunction(sm)
    yield from registered(server, account_id, rotator, "trial")


def trial_over(sm: Any, name: str, rotator: RotationFunction, before: int) -> bool:
    if len(rotator.calls) <= before:
        return False
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    return all("AWSPENDING" not in labels for labels in stages.values())


def test_only_test_secret_runs_on_a_pending_version_that_is_removed_again(
    sm: Any, name: str, function: tuple[RotationFunction, str]
) -> None:
    rotator, arn = function
    first = sm.create_secret(Name=name, SecretString="unchanged")["VersionId"]
    before = len(rotator.calls)
    token = str(uuid.uuid4())
    result = sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=arn,
        RotationRules={"AutomaticallyAfterDays": 30},
        RotateImmediately=False,
        ClientRequestToken=token,
    )
    assert "VersionId" not in result and result["Name"] == name
    wait_for(lambda: trial_over(sm, name, rotator, before))
    # The function saw testSecret alone, for an AWSPENDING version (it checks the label itself).
    assert rotator.calls[before:] == [("testSecret", token)]
    described = sm.describe_secret(SecretId=name)
    assert described["VersionIdsToStages"] == {first: ["AWSCURRENT"]}
    assert [v["VersionId"] for v in sm.list_secret_version_ids(SecretId=name)["Versions"]] == [first]
    assert described["RotationEnabled"] is True and "LastRotatedDate" not in described
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "unchanged"
    # Nothing is left pending: an immediate rotation starts at once.
    rotated = sm.rotate_secret(SecretId=name)["VersionId"]
    wait_for(lambda: sm.describe_secret(SecretId=name).get("LastRotatedDate"))
    assert sm.get_secret_value(SecretId=name)["VersionId"] == rotated


def test_a_failing_test_secret_changes_nothing(
    sm: Any, name: str, function: tuple[RotationFunction, str]
) -> None:
    rotator, arn = function
    first = sm.create_secret(Name=name, SecretString="keep")["VersionId"]
    rotator.fail_step = "testSecret"
    try:
        before = len(rotator.calls)
        sm.rotate_secret(SecretId=name, RotationLambdaARN=arn, RotateImmediately=False)
        wait_for(lambda: trial_over(sm, name, rotator, before))
    finally:
        rotator.fail_step = None
    assert [step for step, _ in rotator.calls[before:]] == ["testSecret"]
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {first: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep"


def test_an_unregistered_function_is_refused_before_any_trial(
    sm: Any, name: str, account_id: str, function: tuple[RotationFunction, str]
) -> None:
    rotator, _ = function
    first = sm.create_secret(Name=name, SecretString="x")["VersionId"]
    before = len(rotator.calls)
    unknown = f"arn:aws:lambda:us-east-1:{account_id}:function:nobody-home"
    error = error_of(sm.rotate_secret, SecretId=name, RotationLambdaARN=unknown, RotateImmediately=False)
    assert code_of(error) == "AccessDeniedException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    described = sm.describe_secret(SecretId=name)
    assert described["VersionIdsToStages"] == {first: ["AWSCURRENT"]} and "RotationEnabled" not in described
    assert len(rotator.calls) == before
