"""GetSecretValue's condition keys on repeated reads: each read is authorized with the keys of
the version and stage it asks for, though the secret comes from the read cache."""

from __future__ import annotations

from typing import Any

from tests.service.secretsmanager.conftest import UserClients, code_of, error_of, policy

READS = 4


def allowed(sm: Any, name: str, **selector: str) -> set[str]:
    return {sm.get_secret_value(SecretId=name, **selector)["SecretString"] for _ in range(READS)}


def refused(sm: Any, name: str, **selector: str) -> set[str]:
    return {code_of(error_of(sm.get_secret_value, SecretId=name, **selector)) for _ in range(READS)}


def test_version_stage_and_id_conditions_hold_on_every_read(
    sm: Any, name: str, user_clients: UserClients
) -> None:
    first = sm.create_secret(Name=name, SecretString="first")["VersionId"]
    second = sm.put_secret_value(SecretId=name, SecretString="second")["VersionId"]
    reader = user_clients(
        policy(
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringEquals": {"secretsmanager:VersionStage": "AWSPREVIOUS"}},
            },
            {
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringEquals": {"secretsmanager:VersionId": second}},
            },
        )
    )["sm"]
    for _ in range(2):  # the second round reads every entry from the cache
        assert allowed(reader, name, VersionStage="AWSPREVIOUS") == {"first"}
        assert refused(reader, name) == {"AccessDeniedException"}
        assert refused(reader, name, VersionStage="AWSCURRENT") == {"AccessDeniedException"}
        assert refused(reader, name, VersionId=first) == {"AccessDeniedException"}
        assert allowed(reader, name, VersionId=first, VersionStage="AWSPREVIOUS") == {"first"}
        assert allowed(reader, name, VersionId=second) == {"second"}


def test_stages_returned_are_the_versions_own(sm: Any, name: str) -> None:
    sm.create_secret(Name=name, SecretString="one")
    second = sm.put_secret_value(SecretId=name, SecretString="two", VersionStages=["AWSCURRENT", "blue"])
    for _ in range(2):
        current = sm.get_secret_value(SecretId=name)
        assert current["VersionId"] == second["VersionId"]
        assert current["VersionStages"] == ["AWSCURRENT", "blue"]
        previous = sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
        assert previous["VersionStages"] == ["AWSPREVIOUS"]
