"""Grants end to end: CreateGrant, use by the grantee, constraints, tokens, listing, retire, revoke."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.kms.conftest import ACCOUNT, UserFactory, error_code, http_status, policy_document

ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def test_a_grant_lets_its_grantee_use_the_key(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    user = make_user()
    with pytest.raises(ClientError):
        user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    grant = kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=user["arn"], Operations=["Encrypt", "Decrypt"]
    )
    assert len(grant["GrantId"]) == 64
    blob = user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"granted", GrantTokens=[grant["GrantToken"]])
    assert user["kms"].decrypt(CiphertextBlob=blob["CiphertextBlob"])["Plaintext"] == b"granted"
    with pytest.raises(ClientError) as err:  # not a granted operation
        user["kms"].generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    assert error_code(err) == "AccessDeniedException"
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant["GrantId"])
    with pytest.raises(ClientError) as err:
        user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"


def test_grant_constraints(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    user = make_user()
    kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=user["arn"],
        Operations=["Encrypt"],
        Constraints={"EncryptionContextSubset": {"tenant": "blue"}},
    )
    assert user["kms"].encrypt(
        KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "blue", "x": "1"}
    )
    for context in ({}, {"tenant": "red"}):
        with pytest.raises(ClientError):
            user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext=context)
    exact = make_user()
    kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=exact["arn"],
        Operations=["Encrypt"],
        Constraints={"EncryptionContextEquals": {"tenant": "blue"}},
    )
    assert exact["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "blue"})
    with pytest.raises(ClientError):
        exact["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "blue", "x": "1"})


def test_explicit_deny_beats_a_grant(kms: Any, make_user: UserFactory) -> None:
    user = make_user()
    admin = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
    deny = {"Effect": "Deny", "Principal": {"AWS": user["arn"]}, "Action": "kms:Encrypt", "Resource": "*"}
    key = kms.create_key(Policy=policy_document(admin, deny))["KeyMetadata"]
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=user["arn"], Operations=["Encrypt"])
    with pytest.raises(ClientError) as err:
        user["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert error_code(err) == "AccessDeniedException"


def test_list_grants_and_filters(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    first, second = make_user(), make_user()
    g1 = kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=first["arn"], Operations=["Decrypt"], Name="one"
    )
    kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=second["arn"],
        Operations=["Encrypt"],
        RetiringPrincipal=first["arn"],
    )
    grants = kms.list_grants(KeyId=key["Arn"])["Grants"]
    assert len(grants) == 2
    entry = next(g for g in grants if g["GrantId"] == g1["GrantId"])
    assert entry == {
        **entry,
        "KeyId": key["Arn"],
        "GranteePrincipal": first["arn"],
        "Operations": ["Decrypt"],
        "Name": "one",
        "IssuingAccount": ROOT,
    }
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key["KeyId"], GrantId=g1["GrantId"])["Grants"]] == [
        g1["GrantId"]
    ]
    assert len(kms.list_grants(KeyId=key["KeyId"], GranteePrincipal=second["arn"])["Grants"]) == 1
    page = kms.list_grants(KeyId=key["KeyId"], Limit=1)
    assert len(page["Grants"]) == 1 and page["Truncated"] is True
    retirable = kms.list_retirable_grants(RetiringPrincipal=first["arn"])["Grants"]
    assert [g["GranteePrincipal"] for g in retirable] == [second["arn"]]


def test_create_grant_with_the_same_name_is_idempotent(
    kms: Any, key: dict[str, Any], make_user: UserFactory
) -> None:
    user = make_user()
    args = {"KeyId": key["KeyId"], "GranteePrincipal": user["arn"], "Operations": ["Encrypt"], "Name": "same"}
    assert kms.create_grant(**args)["GrantId"] == kms.create_grant(**args)["GrantId"]
    assert (
        kms.create_grant(**{**args, "Operations": ["Decrypt"]})["GrantId"]
        != kms.create_grant(**args)["GrantId"]
    )


def test_retire_by_token_and_by_id(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    retirer, grantee = make_user(), make_user()
    by_token = kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee["arn"],
        RetiringPrincipal=retirer["arn"],
        Operations=["Encrypt"],
    )
    retirer["kms"].retire_grant(GrantToken=by_token["GrantToken"])
    self_retiring = kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=grantee["arn"], Operations=["Encrypt", "RetireGrant"]
    )
    grantee["kms"].retire_grant(KeyId=key["Arn"], GrantId=self_retiring["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_who_may_not_retire(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    grantee, stranger = make_user(), make_user()
    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee["arn"], Operations=["Encrypt"])
    for client in (grantee["kms"], stranger["kms"]):
        with pytest.raises(ClientError) as err:
            client.retire_grant(KeyId=key["Arn"], GrantId=grant["GrantId"])
        assert error_code(err) == "AccessDeniedException"
    kms.retire_grant(KeyId=key["Arn"], GrantId=grant["GrantId"])  # the key policy allows the account


def test_grant_errors(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    user = make_user()
    cases = [
        (
            lambda: kms.create_grant(KeyId=key["KeyId"], GranteePrincipal="nobody", Operations=["Encrypt"]),
            "InvalidArnException",
        ),
        (
            lambda: kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=user["arn"], Operations=["Sign"]),
            "ValidationException",
        ),
        (
            lambda: kms.create_grant(
                KeyId=key["KeyId"], GranteePrincipal=user["arn"], Operations=["Encrypt"], DryRun=True
            ),
            "DryRunOperationException",
        ),
        (lambda: kms.revoke_grant(KeyId=key["KeyId"], GrantId="short"), "InvalidGrantIdException"),
        (lambda: kms.revoke_grant(KeyId=key["KeyId"], GrantId="0" * 64), "NotFoundException"),
        (lambda: kms.retire_grant(GrantToken="@@@not-a-token"), "InvalidGrantTokenException"),
        (lambda: kms.retire_grant(KeyId=key["KeyId"], GrantId="0" * 64), "NotFoundException"),
        (lambda: kms.retire_grant(KeyId=key["KeyId"]), "ValidationException"),
        (
            lambda: kms.create_grant(
                KeyId=key["KeyId"], GranteePrincipal=user["arn"], Operations=["Encrypt"], GrantTokens=["%%%"]
            ),
            "InvalidGrantTokenException",
        ),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == code, code
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_create_grant_on_a_disabled_key(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=make_user()["arn"], Operations=["Encrypt"])
    assert error_code(err) == "DisabledException"
    assert http_status(err) == 400


def test_grant_operations_condition(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    granter = make_user(
        {
            "Effect": "Allow",
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt"]}},
        }
    )
    target = make_user()
    granter["kms"].create_grant(KeyId=key["Arn"], GranteePrincipal=target["arn"], Operations=["Decrypt"])
    with pytest.raises(ClientError) as err:
        granter["kms"].create_grant(KeyId=key["Arn"], GranteePrincipal=target["arn"], Operations=["Encrypt"])
    assert error_code(err) == "AccessDeniedException"


def test_a_grant_passes_on_only_what_it_holds(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    holder, receiver = make_user(), make_user()
    kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=holder["arn"],
        Operations=["Encrypt", "CreateGrant"],
        Constraints={"EncryptionContextSubset": {"tenant": "blue"}},
    )
    passed_on = holder["kms"].create_grant(
        KeyId=key["Arn"],
        GranteePrincipal=receiver["arn"],
        Operations=["Encrypt"],
        Constraints={"EncryptionContextEquals": {"tenant": "blue"}},
    )
    assert len(passed_on["GrantId"]) == 64
    assert receiver["kms"].encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "blue"})
    for operations, constraints in (
        (["Decrypt"], {"EncryptionContextSubset": {"tenant": "blue"}}),  # not held
        (["Encrypt"], None),  # looser than the holder's constraint
        (["Encrypt"], {"EncryptionContextSubset": {"tenant": "red"}}),
    ):
        kwargs: dict[str, Any] = {"Constraints": constraints} if constraints else {}
        with pytest.raises(ClientError) as err:
            holder["kms"].create_grant(
                KeyId=key["Arn"], GranteePrincipal=receiver["arn"], Operations=operations, **kwargs
            )
        assert error_code(err) == "AccessDeniedException"


def test_grants_per_grantee_quota(kms: Any, key: dict[str, Any], make_user: UserFactory) -> None:
    grantee = make_user()["arn"]
    for _ in range(500):
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=["Encrypt"])
    with pytest.raises(ClientError) as err:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=["Encrypt"])
    assert error_code(err) == "LimitExceededException"
    assert (
        len(kms.get_paginator("list_grants").paginate(KeyId=key["KeyId"]).build_full_result()["Grants"])
        == 500
    )
