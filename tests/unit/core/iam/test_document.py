"""Parsing and validating policy documents (what IAM accepts and refuses, with its messages)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from strongroom.core.iam import (
    MalformedPolicy,
    Policy,
    PolicyTooLarge,
    combine_policies,
    parse_policy,
    policy_size,
)

ALLOW_ALL: dict[str, object] = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def doc(*statements: Mapping[str, object], version: str | None = "2012-10-17", **top: object) -> str:
    body: dict[str, object] = {}
    if version is not None:
        body["Version"] = version
    body.update(top)
    body["Statement"] = list(statements) if len(statements) != 1 else statements[0]
    return json.dumps(body)


# --- documents IAM accepts -----------------------------------------------------------------
# "IAM JSON policy element reference": Version, Id, Statement as object or list.


def test_single_statement_object_and_list_forms() -> None:
    one = parse_policy(doc(ALLOW_ALL))
    many = parse_policy(doc(ALLOW_ALL, {**ALLOW_ALL, "Effect": "Deny", "Sid": "Two"}))
    assert isinstance(one, Policy)
    assert len(one.statements) == 1 and len(many.statements) == 2
    assert many.statements[1].sid == "Two" and not many.statements[1].allow


def test_version_defaults_to_2008_and_id_is_kept() -> None:
    policy = parse_policy(doc(ALLOW_ALL, version=None, Id="my-policy"))
    assert policy.version == "2008-10-17"
    assert policy.id == "my-policy"


def test_policy_objects_are_immutable() -> None:
    policy = parse_policy(doc(ALLOW_ALL))
    with pytest.raises(AttributeError):
        policy.version = "x"  # type: ignore[misc]


def test_kms_default_key_policy_parses_as_resource_policy() -> None:
    # "Default key policy" (AWS KMS Developer Guide): "Enable IAM User Permissions".
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    policy = parse_policy(text, kind="resource")
    assert policy.statements[0].principals is not None
    assert policy.statements[0].principals.accounts == frozenset({"111122223333"})


def test_trust_policy_with_service_and_federated_principals() -> None:
    text = doc(
        {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"},
        {
            "Effect": "Allow",
            "Principal": {
                "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
            },
            "Action": "sts:AssumeRoleWithWebIdentity",
        },
    )
    policy = parse_policy(text, kind="trust")
    assert policy.statements[0].principals is not None
    assert policy.statements[0].principals.services == frozenset({"ec2.amazonaws.com"})


def test_combine_policies_concatenates_statements() -> None:
    a = parse_policy(doc(ALLOW_ALL))
    b = parse_policy(doc({**ALLOW_ALL, "Effect": "Deny"}))
    assert len(combine_policies([a, b]).statements) == 2


def test_policy_size_ignores_whitespace_outside_strings() -> None:
    assert policy_size('{ "a" : "b c" }') == len('{"a":"b c"}')


def test_max_size_is_enforced_with_iam_quota_wording() -> None:
    text = doc(ALLOW_ALL)
    parse_policy(text, max_size=policy_size(text))
    with pytest.raises(PolicyTooLarge) as caught:
        parse_policy(text, max_size=policy_size(text) - 1)
    assert caught.value.message == f"Cannot exceed quota for PolicySize: {policy_size(text) - 1}"


# --- documents IAM refuses -----------------------------------------------------------------
# Messages: IAM's MalformedPolicyDocument wording ("IAM JSON policy grammar", IAM API errors).

SYNTAX = "Syntax errors in policy."
NO_PRINCIPAL = "Policy document should not specify a principal."

INVALID: list[tuple[str, str, str, str]] = [
    # (case id, kind, document, expected message)
    ("not json", "identity", "{not json", SYNTAX),
    ("json array", "identity", "[]", SYNTAX),
    ("trailing garbage", "identity", doc(ALLOW_ALL) + "x", SYNTAX),
    ("bad version", "identity", doc(ALLOW_ALL, version="2020-01-01"), SYNTAX),
    ("unknown top field", "identity", doc(ALLOW_ALL, Foo=1), SYNTAX),
    ("unknown top field resource", "resource", doc(ALLOW_ALL, Foo=1), "Unknown field Foo"),
    ("no statement", "identity", json.dumps({"Version": "2012-10-17"}), SYNTAX),
    ("empty statement list", "identity", json.dumps({"Version": "2012-10-17", "Statement": []}), SYNTAX),
    ("statement is a string", "identity", json.dumps({"Statement": "x"}), SYNTAX),
    ("unknown statement field", "identity", doc({**ALLOW_ALL, "Foo": "x"}), SYNTAX),
    (
        "unknown statement field resource",
        "resource",
        doc({**ALLOW_ALL, "Principal": "*", "Foo": 1}),
        "Unknown field Foo",
    ),
    ("no effect", "identity", doc({"Action": "*", "Resource": "*"}), SYNTAX),
    (
        "no effect resource",
        "resource",
        doc({"Action": "*", "Resource": "*", "Principal": "*"}),
        "Missing required field Effect",
    ),
    ("bad effect", "identity", doc({**ALLOW_ALL, "Effect": "Permit"}), SYNTAX),
    (
        "effect lower case",
        "identity",
        doc({**ALLOW_ALL, "Effect": "allow"}),
        "The policy failed legacy parsing",
    ),
    (
        "no action",
        "identity",
        doc({"Effect": "Allow", "Resource": "*"}),
        "Policy statement must contain actions.",
    ),
    (
        "no action resource",
        "resource",
        doc({"Effect": "Allow", "Resource": "*", "Principal": "*"}),
        "Missing required field Action",
    ),
    (
        "empty action list",
        "identity",
        doc({**ALLOW_ALL, "Action": []}),
        "Policy statement must contain actions.",
    ),
    ("action and notaction", "identity", doc({**ALLOW_ALL, "NotAction": "s3:*"}), SYNTAX),
    ("action not string", "identity", doc({**ALLOW_ALL, "Action": 5}), SYNTAX),
    (
        "action without vendor",
        "identity",
        doc({**ALLOW_ALL, "Action": "GetObject"}),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    (
        "action two colons",
        "identity",
        doc({**ALLOW_ALL, "Action": "s3:Get:Object"}),
        "Actions/Condition can contain only one colon.",
    ),
    (
        "action bad vendor",
        "identity",
        doc({**ALLOW_ALL, "Action": "s 3:GetObject"}),
        "Vendor s 3 is not valid",
    ),
    (
        "no resource",
        "identity",
        doc({"Effect": "Allow", "Action": "s3:*"}),
        "Policy statement must contain resources.",
    ),
    (
        "no resource resource",
        "resource",
        doc({"Effect": "Allow", "Action": "s3:*", "Principal": "*"}),
        "Missing required field Resource",
    ),
    ("resource and notresource", "identity", doc({**ALLOW_ALL, "NotResource": "*"}), SYNTAX),
    (
        "resource not arn",
        "identity",
        doc({**ALLOW_ALL, "Resource": "mybucket"}),
        'Resource mybucket must be in ARN format or "*".',
    ),
    ("principal in identity", "identity", doc({**ALLOW_ALL, "Principal": "*"}), NO_PRINCIPAL),
    (
        "notprincipal in identity",
        "identity",
        doc({**ALLOW_ALL, "NotPrincipal": {"AWS": "111122223333"}}),
        NO_PRINCIPAL,
    ),
    ("principal in session", "session", doc({**ALLOW_ALL, "Principal": "*"}), NO_PRINCIPAL),
    ("principal in scp", "scp", doc({**ALLOW_ALL, "Principal": "*"}), NO_PRINCIPAL),
    ("no principal resource", "resource", doc(ALLOW_ALL), "Missing required field Principal"),
    (
        "no principal trust",
        "trust",
        doc({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        "Missing required field Principal",
    ),
    (
        "resource in trust",
        "trust",
        doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*", "Resource": "*"}),
        "Has prohibited field Resource.",
    ),
    (
        "non-sts action in trust",
        "trust",
        doc({"Effect": "Allow", "Action": "s3:GetObject", "Principal": "*"}),
        "Trust Policy statement actions can only be sts:AssumeRole, "
        "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
    ),
    (
        "notprincipal with allow",
        "resource",
        doc({**ALLOW_ALL, "NotPrincipal": {"AWS": "111122223333"}}),
        'NotPrincipal must be used with "Effect":"Deny".',
    ),
    (
        "principal and notprincipal",
        "resource",
        doc({**ALLOW_ALL, "Principal": "*", "NotPrincipal": "*"}),
        SYNTAX,
    ),
    (
        "principal plain arn string",
        "resource",
        doc({**ALLOW_ALL, "Principal": "arn:aws:iam::111122223333:root"}),
        SYNTAX,
    ),
    (
        "principal bad aws value",
        "resource",
        doc({**ALLOW_ALL, "Principal": {"AWS": "alice"}}),
        'Invalid principal in policy: "AWS":"alice"',
    ),
    (
        "principal partial wildcard",
        "resource",
        doc({**ALLOW_ALL, "Principal": {"AWS": "arn:aws:iam::111122223333:user/*"}}),
        'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"',
    ),
    (
        "principal group",
        "resource",
        doc({**ALLOW_ALL, "Principal": {"AWS": "arn:aws:iam::111122223333:group/admins"}}),
        'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:group/admins"',
    ),
    (
        "principal bad service",
        "trust",
        doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2"}}),
        'Invalid principal in policy: "SERVICE":"ec2"',
    ),
    ("principal unknown type", "resource", doc({**ALLOW_ALL, "Principal": {"Users": "x"}}), SYNTAX),
    (
        "duplicate sid",
        "identity",
        doc({**ALLOW_ALL, "Sid": "A"}, {**ALLOW_ALL, "Sid": "A"}),
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    (
        "sid not alphanumeric",
        "identity",
        doc({**ALLOW_ALL, "Sid": "my sid"}),
        "Statement IDs (SID) must be alpha-numeric. "
        "Check that your input satisfies the regular expression [0-9A-Za-z]*",
    ),
    (
        "duplicate key",
        "identity",
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}',
        SYNTAX,
    ),
    (
        "unknown condition operator",
        "identity",
        doc({**ALLOW_ALL, "Condition": {"StringEqualz": {"aws:username": "a"}}}),
        SYNTAX,
    ),
    ("condition not object", "identity", doc({**ALLOW_ALL, "Condition": {"StringEquals": "x"}}), SYNTAX),
    (
        "condition nested value",
        "identity",
        doc({**ALLOW_ALL, "Condition": {"StringEquals": {"aws:username": {"a": 1}}}}),
        SYNTAX,
    ),
    (
        "condition key without vendor",
        "identity",
        doc({**ALLOW_ALL, "Condition": {"StringEquals": {"username": "a"}}}),
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    (
        "bad date",
        "identity",
        doc({**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": "yesterday"}}}),
        "The policy failed legacy parsing",
    ),
    (
        "bad number",
        "identity",
        doc({**ALLOW_ALL, "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}),
        SYNTAX,
    ),
    (
        "bad cidr",
        "identity",
        doc({**ALLOW_ALL, "Condition": {"IpAddress": {"aws:SourceIp": "300.1.1.1/8"}}}),
        SYNTAX,
    ),
    (
        "null with ifexists",
        "identity",
        doc({**ALLOW_ALL, "Condition": {"NullIfExists": {"aws:TokenIssueTime": "true"}}}),
        SYNTAX,
    ),
    (
        "null bad value",
        "identity",
        doc({**ALLOW_ALL, "Condition": {"Null": {"aws:TokenIssueTime": "maybe"}}}),
        SYNTAX,
    ),
    (
        "NaN constant",
        "identity",
        '{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"a:b":NaN}}}}',
        SYNTAX,
    ),
]


@pytest.mark.parametrize(
    ("kind", "text", "message"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_documents_are_refused_with_aws_message(kind: str, text: str, message: str) -> None:
    with pytest.raises(MalformedPolicy) as caught:
        parse_policy(text, kind=kind)  # type: ignore[arg-type]
    assert caught.value.message == message
    assert caught.value.detail


def test_condition_operator_forms_are_accepted() -> None:
    condition = {
        "ForAllValues:StringEqualsIgnoreCaseIfExists": {"aws:TagKeys": ["a"]},
        "ForAnyValue:ArnNotLike": {"aws:CalledVia": "*"},
        "NumericGreaterThanEqualsIfExists": {"s3:max-keys": 5},
        "Bool": {"aws:SecureTransport": True},
        "Null": {"aws:TokenIssueTime": False},
        "BinaryEquals": {"a:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
        "DateGreaterThan": {"aws:CurrentTime": ["2020-04-01T00:00:00Z", "1585699200"]},
    }
    policy = parse_policy(doc({**ALLOW_ALL, "Condition": condition}))
    assert len(policy.statements[0].conditions) == len(condition)


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown policy kind"):
        parse_policy(doc(ALLOW_ALL), kind="bucket")  # type: ignore[arg-type]
