"""KMS reads keys, aliases, tags and material through a per-process cache: every change is seen by
the very next request, on every worker.

The session server runs two workers, each with its own cache. Every request is repeated on fresh
connections so that both workers serve it (and first cache the old state), then the change goes
through and every following request must see it.
"""

from __future__ import annotations

import uuid
from typing import Any

from botocore.exceptions import ClientError

from tests.service.kms.conftest import ACCOUNT, policy_document
from tests.support.server import ServerProcess

READS = 8


def spread(client: Any) -> Any:
    """Each request on a new connection: a kept-alive one stays with the worker that accepted it."""

    def close_after(request: Any, **_: Any) -> None:
        request.headers["Connection"] = "close"

    client.meta.events.register("before-send", close_after, unique_id="kms-freshness-spread")
    return client


def outcomes(call: Any, **kwargs: Any) -> set[str]:
    """What READS identical requests answered: "ok" or the error code."""
    spread(call.__self__)
    seen = set()
    for _ in range(READS):
        try:
            call(**kwargs)
            seen.add("ok")
        except ClientError as err:
            seen.add(str(err.response["Error"]["Code"]))
    return seen


def test_disabling_and_enabling_a_key_is_seen_at_once(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert outcomes(kms.encrypt, KeyId=key_id, Plaintext=b"x") == {"ok"}
    assert outcomes(kms.decrypt, CiphertextBlob=blob) == {"ok"}
    assert outcomes(kms.generate_data_key, KeyId=key_id, KeySpec="AES_256") == {"ok"}
    kms.disable_key(KeyId=key_id)
    assert outcomes(kms.encrypt, KeyId=key_id, Plaintext=b"x") == {"DisabledException"}
    assert outcomes(kms.decrypt, CiphertextBlob=blob) == {"DisabledException"}
    assert outcomes(kms.generate_data_key, KeyId=key_id, KeySpec="AES_256") == {"DisabledException"}
    kms.enable_key(KeyId=key_id)
    assert outcomes(kms.decrypt, CiphertextBlob=blob) == {"ok"}
    assert outcomes(kms.encrypt, KeyId=key_id, Plaintext=b"x") == {"ok"}


def test_moving_an_alias_is_seen_at_once(kms: Any) -> None:
    first = kms.create_key()["KeyMetadata"]["Arn"]
    second = kms.create_key()["KeyMetadata"]["Arn"]
    alias = f"alias/fresh-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=first)
    spread(kms)
    assert {kms.encrypt(KeyId=alias, Plaintext=b"x")["KeyId"] for _ in range(READS)} == {first}
    kms.update_alias(AliasName=alias, TargetKeyId=second)
    assert {kms.encrypt(KeyId=alias, Plaintext=b"x")["KeyId"] for _ in range(READS)} == {second}
    kms.delete_alias(AliasName=alias)
    assert outcomes(kms.encrypt, KeyId=alias, Plaintext=b"x") == {"NotFoundException"}


def test_tagging_a_key_is_seen_by_its_policy_at_once(kms: Any) -> None:
    locked = policy_document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/locked": "yes"}},
        },
    )
    key_id = kms.create_key(Policy=locked)["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    assert outcomes(kms.decrypt, CiphertextBlob=blob) == {"ok"}
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "locked", "TagValue": "yes"}])
    assert outcomes(kms.encrypt, KeyId=key_id, Plaintext=b"x") == {"AccessDeniedException"}
    assert outcomes(kms.decrypt, CiphertextBlob=blob) == {"AccessDeniedException"}
    kms.untag_resource(KeyId=key_id, TagKeys=["locked"])
    assert outcomes(kms.decrypt, CiphertextBlob=blob) == {"ok"}


def test_rotation_is_seen_at_once_and_old_blobs_still_open(kms: Any, server: ServerProcess) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    spread(kms)
    before = {kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["KeyMaterialId"] for _ in range(READS)}
    assert len(before) == 1
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    assert {kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] for _ in range(READS)} == {b"old"}
    kms.rotate_key_on_demand(KeyId=key_id)
    server.advance_clock(0)  # the rotation job runs in one process; every worker must see it
    after = {kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["KeyMaterialId"] for _ in range(READS)}
    assert len(after) == 1 and after != before
    opened = [kms.decrypt(CiphertextBlob=old_blob) for _ in range(READS)]
    assert {(o["Plaintext"], o["KeyMaterialId"]) for o in opened} == {(b"old", before.pop())}
