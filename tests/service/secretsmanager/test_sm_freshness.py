"""GetSecretValue reads through a per-process cache: every change is seen by the very next read.

The session server runs two workers, each with its own cache; every read is repeated so that
both workers serve it (and each first serves the old value from its cache), then the change
goes through another path — another operation, a rotation running in the background, KMS —
and the next reads must all see it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.service.secretsmanager.conftest import UserClients, code_of, error_of, policy, wait_for
from tests.service.secretsmanager.rotation_function import RotationFunction, registered
from tests.support.server import ServerProcess

READS = 8


def spread(client: Any) -> Any:
    """Each request on a new connection: a kept-alive one stays with the worker that accepted it,
    and the reads must reach both workers (8 fresh connections all to one worker: p < 1%)."""

    def close_after(request: Any, **_: Any) -> None:
        request.headers["Connection"] = "close"

    client.meta.events.register("before-send", close_after, unique_id="freshness-spread")
    return client


def strings(sm: Any, name: str, **selector: str) -> set[str]:
    spread(sm)
    return {sm.get_secret_value(SecretId=name, **selector)["SecretString"] for _ in range(READS)}


def stages_of_reads(sm: Any, name: str, **selector: str) -> set[tuple[str, tuple[str, ...]]]:
    spread(sm)
    results = [sm.get_secret_value(SecretId=name, **selector) for _ in range(READS)]
    return {(r["SecretString"], tuple(sorted(r["VersionStages"]))) for r in results}


def error_codes(call: Any, **kwargs: Any) -> set[str]:
    spread(call.__self__)
    return {code_of(error_of(call, **kwargs)) for _ in range(READS)}


def test_a_new_value_is_seen_at_once(sm: Any, name: str) -> None:
    sm.create_secret(Name=name, SecretString="first")
    assert strings(sm, name) == {"first"}
    sm.put_secret_value(SecretId=name, SecretString="second")
    assert stages_of_reads(sm, name) == {("second", ("AWSCURRENT",))}
    assert stages_of_reads(sm, name, VersionStage="AWSPREVIOUS") == {("first", ("AWSPREVIOUS",))}
    sm.update_secret(SecretId=name, SecretString="third")
    assert strings(sm, name) == {"third"}
    assert strings(sm, name, VersionStage="AWSPREVIOUS") == {"second"}


def test_stage_moves_are_seen_at_once(sm: Any, name: str) -> None:
    first = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    second = sm.put_secret_value(SecretId=name, SecretString="two", VersionStages=["staged"])["VersionId"]
    assert stages_of_reads(sm, name) == {("one", ("AWSCURRENT",))}
    assert strings(sm, name, VersionStage="staged") == {"two"}
    assert error_codes(sm.get_secret_value, SecretId=name, VersionId=first, VersionStage="staged") == {
        "ResourceNotFoundException"
    }
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=second, RemoveFromVersionId=first
    )
    assert stages_of_reads(sm, name) == {("two", ("AWSCURRENT", "staged"))}
    assert stages_of_reads(sm, name, VersionStage="AWSPREVIOUS") == {("one", ("AWSPREVIOUS",))}
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="staged", MoveToVersionId=first, RemoveFromVersionId=second
    )
    assert strings(sm, name, VersionStage="staged") == {"one"}
    assert strings(sm, name, VersionId=first, VersionStage="staged") == {"one"}
    sm.update_secret_version_stage(SecretId=name, VersionStage="staged", RemoveFromVersionId=first)
    assert error_codes(sm.get_secret_value, SecretId=name, VersionStage="staged") == {
        "ResourceNotFoundException"
    }


def test_deletion_and_restoration_are_seen_at_once(sm: Any, name: str) -> None:
    arn = sm.create_secret(Name=name, SecretString="kept")["ARN"]
    assert strings(sm, name) == {"kept"} and strings(sm, arn) == {"kept"}
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert error_codes(sm.get_secret_value, SecretId=name) == {"InvalidRequestException"}
    assert error_codes(sm.get_secret_value, SecretId=arn) == {"InvalidRequestException"}
    sm.restore_secret(SecretId=name)
    assert strings(sm, name) == {"kept"}
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert error_codes(sm.get_secret_value, SecretId=arn) == {"ResourceNotFoundException"}
    sm.create_secret(Name=name, SecretString="a new secret of that name")
    assert strings(sm, name) == {"a new secret of that name"}


def test_a_disabled_key_refuses_the_next_read(sm: Any, kms: Any, name: str) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name=name, SecretString="guarded", KmsKeyId=key_id)
    assert strings(sm, name) == {"guarded"}
    kms.disable_key(KeyId=key_id)
    try:
        assert error_codes(sm.get_secret_value, SecretId=name) == {"DecryptionFailure"}
    finally:
        kms.enable_key(KeyId=key_id)
    assert strings(sm, name) == {"guarded"}


def test_a_resource_policy_applies_to_the_next_read(sm: Any, name: str, user_clients: UserClients) -> None:
    reader = user_clients(
        policy(
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}
        )
    )
    sm.create_secret(Name=name, SecretString="shared")
    assert strings(reader["sm"], name) == {"shared"}
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": reader["arn"]},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }
    sm.put_resource_policy(SecretId=name, ResourcePolicy=policy(deny))
    assert error_codes(reader["sm"].get_secret_value, SecretId=name) == {"AccessDeniedException"}
    sm.delete_resource_policy(SecretId=name)
    assert strings(reader["sm"], name) == {"shared"}


def test_tag_changes_are_seen_by_the_next_authorization(
    sm: Any, name: str, user_clients: UserClients
) -> None:
    statement = {
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
        "Resource": "*",
        "Condition": {"StringEqualsIfExists": {"secretsmanager:ResourceTag/team": "blue"}},
    }
    reader = user_clients(policy(statement))
    sm.create_secret(Name=name, SecretString="team-only", Tags=[{"Key": "team", "Value": "blue"}])
    assert strings(reader["sm"], name) == {"team-only"}
    sm.tag_resource(SecretId=name, Tags=[{"Key": "team", "Value": "red"}])
    assert error_codes(reader["sm"].get_secret_value, SecretId=name) == {"AccessDeniedException"}


class WatchingRotation(RotationFunction):
    """A rotation function that reads AWSPENDING from every worker once it has finished, so that
    each worker caches the version while it still holds AWSPENDING."""

    def handle(self, event: dict[str, str]) -> None:
        super().handle(event)
        if event["Step"] == "finishSecret":
            spread(self.client)
            name = self.client.describe_secret(SecretId=event["SecretId"])["Name"]
            for secret_id in (event["SecretId"], name):
                for _ in range(READS):
                    self.client.get_secret_value(SecretId=secret_id, VersionStage="AWSPENDING")


@pytest.fixture(scope="module")
def watching_function(
    sm: Any, account_id: str, server: ServerProcess
) -> Iterator[tuple[WatchingRotation, str]]:
    rotator = WatchingRotation(sm)
    yield from registered(server, account_id, rotator, "watcher")


def test_the_end_of_a_rotation_is_seen_at_once(
    sm: Any, name: str, watching_function: tuple[WatchingRotation, str]
) -> None:
    _, function_arn = watching_function
    arn = sm.create_secret(Name=name, SecretString="before")["ARN"]
    assert strings(sm, name) == {"before"}
    token = sm.rotate_secret(SecretId=name, RotationLambdaARN=function_arn)["VersionId"]
    # The run removes AWSPENDING in the background, after finishSecret: once DescribeSecret (read
    # from the database) shows the rotation done, no worker may still serve AWSPENDING.
    wait_for(lambda: "LastRotatedDate" in sm.describe_secret(SecretId=name))
    for secret_id in (arn, name):
        assert error_codes(sm.get_secret_value, SecretId=secret_id, VersionStage="AWSPENDING") == {
            "ResourceNotFoundException"
        }
        assert stages_of_reads(sm, secret_id, VersionId=token) == {(f"rotated-{token}", ("AWSCURRENT",))}
    assert stages_of_reads(sm, name) == {(f"rotated-{token}", ("AWSCURRENT",))}
    assert strings(sm, name, VersionStage="AWSPREVIOUS") == {"before"}


def test_the_day_of_access_is_recorded_once_read(sm: Any, name: str) -> None:
    sm.create_secret(Name=name, SecretString="read me")
    assert "LastAccessedDate" not in sm.describe_secret(SecretId=name)
    assert strings(sm, name) == {"read me"}
    # Written off the request path (a read must not wait on the database's write lock).
    described = wait_for(lambda: sm.describe_secret(SecretId=name).get("LastAccessedDate"))
    assert (described.hour, described.minute, described.second) == (0, 0, 0)
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["LastAccessedDate"] for v in versions] == [described]
