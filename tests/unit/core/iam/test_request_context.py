"""The authorizer's request context: built in normal form at once, and only when a statement reads it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from strongroom.core.iam import AuthzRequest, Decision, Policy, evaluate, parse_policy
from strongroom.core.iam.authorizer import Authorizer, RequestFacts, global_context, request_context
from strongroom.core.iam.context import PreparedContext, Scalar, normalize_context
from strongroom.core.iam.principals import Principal, root_principal
from strongroom.core.store import Database

A = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

USER = Principal(
    account_id=A,
    type="IAMUser",
    arn=f"arn:aws:iam::{A}:user/carlos",
    principal_id="AIDAEXAMPLE",
    user_name="carlos",
)
SESSION = Principal(
    account_id=A,
    type="AssumedRole",
    arn=f"arn:aws:sts::{A}:assumed-role/Dev/s1",
    principal_id="AROAEXAMPLE:s1",
    role_name="Dev",
    role_arn=f"arn:aws:iam::{A}:role/Dev",
    session_name="s1",
    session_issued_at=NOW,
    tags=(("Team", "blue"), ("team", "red"), ("Cost", "7")),
    source_identity="carlos",
    mfa_authenticated=True,
    temporary=True,
)
ROOT = root_principal(A)


def facts(**changes: Any) -> RequestFacts:
    values: dict[str, Any] = {
        "region": "us-east-1",
        "now": NOW,
        "source_ip": "203.0.113.9",
        "secure_transport": True,
        "user_agent": "Boto3/1.34",
        "called_via": ("ssm.amazonaws.com", "secretsmanager.amazonaws.com"),
        "via_aws_service": True,
        "request_tags": {"Project": "x", "project": "y"},
    }
    values.update(changes)
    return RequestFacts(**values)


def eager(
    principal: Principal,
    request_facts: RequestFacts,
    tags: tuple[tuple[str, str], ...],
    resource_tags: dict[str, str] | None,
    context_keys: dict[str, Any] | None,
) -> dict[str, Scalar | tuple[Scalar, ...]]:
    """What the authorizer built before: the mixed-case dict, updated, then normalized."""
    context = global_context(principal, request_facts, dict(tags), resource_tags)
    if context_keys:
        context.update(context_keys)
    return normalize_context(context)


KMS_KEYS: dict[str, Any] = {
    "kms:CallerAccount": A,
    "kms:KeySpec": "SYMMETRIC_DEFAULT",
    "kms:MultiRegion": False,
    "kms:EncryptionContext:Department": "IT",
    "kms:EncryptionContextKeys": ["Department"],
    "kms:ResourceAliases": ("alias/a", "alias/b"),
    "kms:ViaService": "ssm.us-east-1.amazonaws.com",
}


@pytest.mark.parametrize(
    ("principal", "request_facts", "tags", "resource_tags", "context_keys"),
    [
        (ROOT, facts(), (), None, None),
        (ROOT, facts(called_via=(), via_aws_service=False, request_tags={}, user_agent=""), (), {}, {}),
        (USER, facts(), (("Dept", "ops"),), {"Owner": "me", "owner": "you"}, KMS_KEYS),
        (SESSION, facts(), (("Team", "green"), *SESSION.tags), {"Env": "prod"}, KMS_KEYS),
        # A service key that differs from a global one only in case: the later spelling wins.
        (USER, facts(), (), None, {"aws:sourceip": "198.51.100.1", "kms:A": 1, "kms:a": 2}),
        # A service key spelled exactly as a global one, after a variant of it: the dict update
        # keeps the global position, so the variant (later in iteration) wins.
        (USER, facts(), (), None, {"aws:sourceip": "198.51.100.1", "aws:SourceIp": "198.51.100.2"}),
        (SESSION, facts(), SESSION.tags, {"Team": "x"}, {"aws:PrincipalTag/TEAM": "y", "aws:TagKeys": ["k"]}),
    ],
)
def test_the_context_is_the_normalized_global_context_updated_with_the_service_keys(
    principal: Principal,
    request_facts: RequestFacts,
    tags: tuple[tuple[str, str], ...],
    resource_tags: dict[str, str] | None,
    context_keys: dict[str, Any] | None,
) -> None:
    built = request_context(principal, request_facts, tags, resource_tags, context_keys)
    expected = eager(principal, request_facts, tags, resource_tags, context_keys)
    assert built == expected
    assert list(built) == list(expected)  # same order, so the same key wins a case collision
    assert all(key == key.lower() for key in built)


def test_a_prepared_context_is_built_once_on_first_read() -> None:
    builds: list[int] = []

    def build() -> dict[str, Scalar | tuple[Scalar, ...]]:
        builds.append(1)
        return {"aws:sourceip": "203.0.113.9"}

    context = PreparedContext(build)
    assert builds == []
    assert context["aws:sourceip"] == "203.0.113.9"
    assert dict(context) == {"aws:sourceip": "203.0.113.9"} and len(context) == 1
    assert normalize_context(context) is context.normalized()
    assert builds == [1]


def policy(statement: dict[str, Any], kind: str = "identity") -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [statement]}), kind=kind)  # type: ignore[arg-type]


KEY_POLICY = policy(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:*", "Resource": "*"},
    "resource",
)
VIA_SSM = policy(
    {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}},
    },
    "resource",
)
OWN_PREFIX = policy(
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}
)


@pytest.mark.parametrize(
    ("action", "resource", "principal", "identity", "resource_policy", "reads", "decision"),
    [
        ("kms:Decrypt", KEY, ROOT, [], KEY_POLICY, False, Decision.ALLOW),
        ("kms:Decrypt", KEY, USER, [], VIA_SSM, True, Decision.ALLOW),
        ("kms:Encrypt", KEY, USER, [], VIA_SSM, False, Decision.IMPLICIT_DENY),  # the action rules it out
        ("s3:GetObject", "arn:aws:s3:::b/carlos/f", USER, [OWN_PREFIX], None, True, Decision.ALLOW),
        ("s3:GetObject", "arn:aws:s3:::b/maria/f", USER, [OWN_PREFIX], None, True, Decision.IMPLICIT_DENY),
    ],
)
def test_the_context_is_built_only_for_a_statement_that_reads_it(
    action: str,
    resource: str,
    principal: Principal,
    identity: list[Policy],
    resource_policy: Policy | None,
    reads: bool,
    decision: Decision,
) -> None:
    builds: list[int] = []
    keys = {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}

    def build() -> dict[str, Scalar | tuple[Scalar, ...]]:
        builds.append(1)
        return request_context(principal, facts(), (), None, keys)

    def decide(context: Any) -> Decision:
        request = AuthzRequest(action, resource, principal.arn, A, A, principal.type == "Root", context)
        return evaluate(request, identity_policies=identity, resource_policy=resource_policy).decision

    assert decide(PreparedContext(build)) is decision
    assert builds == ([1] if reads else [])
    assert decide(eager(principal, facts(), (), None, keys)) is decision


def test_the_authorizer_gathers_the_facts_only_when_a_condition_needs_them(db: Database) -> None:
    gathered: list[int] = []

    def gather() -> RequestFacts:
        gathered.append(1)
        return facts()

    authorizer = Authorizer(db)
    granted = authorizer.evaluate(ROOT, "kms:Decrypt", KEY, gather, resource_policy=KEY_POLICY)
    assert granted.decision is Decision.ALLOW and gathered == []
    via = authorizer.evaluate(
        ROOT,
        "kms:Decrypt",
        KEY,
        gather,
        resource_policy=VIA_SSM,
        resource_policy_required=True,
        context_keys={"kms:ViaService": "ssm.us-east-1.amazonaws.com"},
    )
    assert via.decision is Decision.ALLOW and gathered == [1]
    other = authorizer.evaluate(
        ROOT,
        "kms:Decrypt",
        KEY,
        facts(),
        resource_policy=VIA_SSM,
        resource_policy_required=True,
        context_keys={"kms:ViaService": "s3.us-east-1.amazonaws.com"},
    )
    assert other.decision is Decision.IMPLICIT_DENY


def test_callable_context_keys_are_gathered_only_when_read(db: Database) -> None:
    gathered: list[int] = []

    def keys() -> dict[str, Any]:
        gathered.append(1)
        return {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}

    authorizer = Authorizer(db)
    assert authorizer.evaluate(
        ROOT, "kms:Decrypt", KEY, facts(), resource_policy=KEY_POLICY, context_keys=keys
    ).allowed
    assert gathered == []
    granted = authorizer.evaluate(
        ROOT,
        "kms:Decrypt",
        KEY,
        facts(),
        resource_policy=VIA_SSM,
        resource_policy_required=True,
        context_keys=keys,
    )
    assert granted.allowed and gathered == [1]
