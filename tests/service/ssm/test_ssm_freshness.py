"""GetParameter(s) read through a per-process cache: every change is seen by the very next read.

The session server runs two workers, each with its own cache; every read is repeated so that
both workers serve it (and each first serves the old value from its cache), then the change
goes through another path and the next reads must all see it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.service.ssm.conftest import (
    UserClients,
    allow,
    assert_error,
    error_of,
    policy,
)
from tests.support.server import ServerProcess

READS = 8


def spread(client: Any) -> Any:
    """Each request on a new connection: a kept-alive one stays with the worker that accepted it,
    and the reads must reach both workers (8 fresh connections all to one worker: p < 1%)."""

    def close_after(request: Any, **_: Any) -> None:
        request.headers["Connection"] = "close"

    client.meta.events.register("before-send", close_after, unique_id="freshness-spread")
    return client


def values(ssm: Any, name: str, *, decrypt: bool = True) -> set[str]:
    spread(ssm)
    return {ssm.get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]["Value"] for _ in range(READS)}


def error_codes(call: Any, **kwargs: Any) -> set[str]:
    spread(call.__self__)
    return {error_of(call, **kwargs).response["Error"]["Code"] for _ in range(READS)}


def test_overwrite_is_seen_at_once(ssm: Any, prefix: str) -> None:
    secure, plain = f"{prefix}/secure", f"{prefix}/plain"
    ssm.put_parameter(Name=secure, Value="first", Type="SecureString")
    ssm.put_parameter(Name=plain, Value="first", Type="String")
    assert values(ssm, secure) == {"first"} and values(ssm, plain) == {"first"}
    ssm.put_parameter(Name=secure, Value="second", Overwrite=True)
    ssm.put_parameter(Name=plain, Value="second", Overwrite=True)
    assert values(ssm, secure) == {"second"} and values(ssm, plain) == {"second"}
    versions = {ssm.get_parameter(Name=secure)["Parameter"]["Version"] for _ in range(READS)}
    assert versions == {2}
    found = ssm.get_parameters(Names=[secure, plain, f"{secure}:1"], WithDecryption=True)["Parameters"]
    assert sorted((p["Name"], p.get("Selector", ""), p["Value"]) for p in found) == [
        (plain, "", "second"),
        (secure, "", "second"),
        (secure, ":1", "first"),
    ]


def test_label_moves_are_seen_at_once(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/labelled"
    ssm.put_parameter(Name=name, Value="one", Type="SecureString")
    ssm.put_parameter(Name=name, Value="two", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["live"])
    assert values(ssm, f"{name}:live") == {"one"}
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["live"])
    assert values(ssm, f"{name}:live") == {"two"}
    ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["live"])
    assert error_codes(ssm.get_parameter, Name=f"{name}:live") == {"ParameterVersionNotFound"}
    for _ in range(READS):
        result = ssm.get_parameters(Names=[f"{name}:live"])
        assert result["Parameters"] == [] and result["InvalidParameters"] == [f"{name}:live"]


def test_a_new_version_is_found_at_once(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/versioned"
    ssm.put_parameter(Name=name, Value="one", Type="String")
    assert error_codes(ssm.get_parameter, Name=f"{name}:2") == {"ParameterVersionNotFound"}
    ssm.put_parameter(Name=name, Value="two", Overwrite=True)
    assert values(ssm, f"{name}:2") == {"two"}


def test_deletion_is_seen_at_once(ssm: Any, prefix: str) -> None:
    one, two = f"{prefix}/gone", f"{prefix}/gone-too"
    ssm.put_parameter(Name=one, Value="here", Type="SecureString")
    ssm.put_parameter(Name=two, Value="here", Type="String")
    assert values(ssm, one) == {"here"} and values(ssm, two) == {"here"}
    ssm.delete_parameter(Name=one)
    assert error_codes(ssm.get_parameter, Name=one, WithDecryption=True) == {"ParameterNotFound"}
    ssm.delete_parameters(Names=[two])
    for _ in range(READS):
        assert ssm.get_parameters(Names=[one, two])["InvalidParameters"] == [one, two]
    ssm.put_parameter(Name=one, Value="back", Type="String")
    assert values(ssm, one) == {"back"}


def test_a_disabled_key_refuses_the_next_read(ssm: Any, kms: Any, prefix: str) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"{prefix}/under-cmk"
    ssm.put_parameter(Name=name, Value="guarded", Type="SecureString", KeyId=key_id)
    assert values(ssm, name) == {"guarded"}
    kms.disable_key(KeyId=key_id)
    try:
        assert error_codes(ssm.get_parameter, Name=name, WithDecryption=True) == {"InvalidKeyId"}
        # Without decryption the ciphertext is all there is to show, as on AWS.
        assert len(values(ssm, name, decrypt=False)) == 1
    finally:
        kms.enable_key(KeyId=key_id)
    assert values(ssm, name) == {"guarded"}


def test_tag_changes_are_seen_by_the_next_authorization(
    ssm: Any, user_client: UserClients, prefix: str
) -> None:
    name = f"{prefix}/tagged"
    ssm.put_parameter(Name=name, Value="team-only", Type="String", Tags=[{"Key": "team", "Value": "blue"}])
    statement = allow("ssm:GetParameter")
    statement["Condition"] = {"StringEquals": {"aws:ResourceTag/team": "blue"}}
    reader = user_client("ssm", policy(statement))
    assert values(reader, name) == {"team-only"}
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "team", "Value": "red"}]
    )
    assert error_codes(reader.get_parameter, Name=name) == {"AccessDeniedException"}
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["team"])
    assert error_codes(reader.get_parameter, Name=name) == {"AccessDeniedException"}
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "team", "Value": "blue"}]
    )
    assert values(reader, name) == {"team-only"}


def test_expiration_is_seen_at_once(ssm: Any, server: ServerProcess, server_now: Any, prefix: str) -> None:
    name = f"{prefix}/expiring"
    expires = server_now() + timedelta(hours=1)
    expiration = {
        "Type": "Expiration",
        "Version": "1.0",
        "Attributes": {"Timestamp": expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
    }
    ssm.put_parameter(
        Name=name, Value="brief", Type="SecureString", Tier="Advanced", Policies=json.dumps([expiration])
    )
    assert values(ssm, name) == {"brief"}
    server.advance_clock(3600 + 60)
    assert error_codes(ssm.get_parameter, Name=name, WithDecryption=True) == {"ParameterNotFound"}
    assert_error(error_of(ssm.get_parameter, Name=name), "ParameterNotFound")
