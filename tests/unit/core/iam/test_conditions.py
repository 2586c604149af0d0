"""Condition operators, IfExists, Null and the set operators, case by case from the AWS docs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from strongroom.core.iam import parse_policy
from strongroom.core.iam.context import normalize_context


def holds(condition: dict[str, Any], context: dict[str, Any], version: str = "2012-10-17") -> bool:
    """Whether a statement's Condition element is met by the request context."""
    text = json.dumps(
        {
            "Version": version,
            "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition},
        }
    )
    statement = parse_policy(text).statements[0]
    normalized = normalize_context(context)
    return all(clause.evaluate(normalized) for clause in statement.conditions)


CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # --- "IAM JSON policy elements: Condition operators" — String condition operators ---
    (
        "StringEquals tag match",
        {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        {"aws:PrincipalTag/job-category": "iamuser-admin"},
        True,
    ),
    (
        "StringEquals is case-sensitive",
        {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        {"aws:PrincipalTag/job-category": "IAMUser-Admin"},
        False,
    ),
    (
        "StringEquals key missing",
        {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        {},
        False,
    ),
    (
        "condition key name case-insensitive",
        {"StringEquals": {"AWS:PRINCIPALTAG/JOB-CATEGORY": "iamuser-admin"}},
        {"aws:principaltag/job-category": "iamuser-admin"},
        True,
    ),
    (
        "StringEquals values are ORed",
        {"StringEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}},
        {"aws:RequestedRegion": "eu-west-1"},
        True,
    ),
    (
        "StringNotEquals other value",
        {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}},
        {"aws:RequestedRegion": "us-east-1"},
        True,
    ),
    (
        "StringNotEquals listed value",
        {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}},
        {"aws:RequestedRegion": "eu-central-1"},
        False,
    ),
    (
        "StringNotEquals key missing is true",
        {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
        {},
        True,
    ),
    (
        "StringEqualsIgnoreCase",
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/department": "Finance"}},
        {"aws:PrincipalTag/department": "FINANCE"},
        True,
    ),
    (
        "StringNotEqualsIgnoreCase",
        {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/department": "Finance"}},
        {"aws:PrincipalTag/department": "finance"},
        False,
    ),
    (
        "StringLike prefix wildcard",
        {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}},
        {"s3:prefix": "home/alice/photos/", "aws:username": "alice"},
        True,
    ),
    (
        "StringLike other user's folder",
        {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}},
        {"s3:prefix": "home/bob/", "aws:username": "alice"},
        False,
    ),
    ("StringLike empty prefix", {"StringLike": {"s3:prefix": ["", "home/"]}}, {"s3:prefix": ""}, True),
    (
        "StringLike ? matches one char",
        {"StringLike": {"ec2:InstanceType": "t?.micro"}},
        {"ec2:InstanceType": "t3.micro"},
        True,
    ),
    (
        "StringLike * spans slashes and colons",
        {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}},
        {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/a/b"},
        True,
    ),
    ("StringNotLike", {"StringNotLike": {"s3:prefix": "private/*"}}, {"s3:prefix": "public/x"}, True),
    ("StringNotLike key missing is true", {"StringNotLike": {"s3:prefix": "private/*"}}, {}, True),
    ("JSON number compared as string", {"StringEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, True),
    # --- Numeric condition operators ---
    (
        "NumericLessThanEquals 10",
        {"NumericLessThanEquals": {"s3:max-keys": "10"}},
        {"s3:max-keys": "10"},
        True,
    ),
    (
        "NumericLessThanEquals 11",
        {"NumericLessThanEquals": {"s3:max-keys": "10"}},
        {"s3:max-keys": 11},
        False,
    ),
    ("NumericEquals", {"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 10}, True),
    ("NumericNotEquals", {"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 9}, True),
    ("NumericLessThan", {"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "9.5"}, True),
    (
        "NumericGreaterThan",
        {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}},
        {"aws:MultiFactorAuthAge": 3601},
        True,
    ),
    (
        "NumericGreaterThanEquals",
        {"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "3600"}},
        {"aws:MultiFactorAuthAge": 3599},
        False,
    ),
    (
        "Numeric non-number context",
        {"NumericLessThan": {"s3:max-keys": "10"}},
        {"s3:max-keys": "many"},
        False,
    ),
    # --- Date condition operators (ISO 8601 and epoch) ---
    (
        "DateGreaterThan token issued after",
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {"aws:TokenIssueTime": "2020-01-02T00:00:00Z"},
        True,
    ),
    (
        "DateGreaterThan token issued before",
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {"aws:TokenIssueTime": datetime(2019, 12, 31, tzinfo=UTC)},
        False,
    ),
    (
        "DateLessThan epoch policy value",
        {"DateLessThan": {"aws:CurrentTime": "1609459200"}},
        {"aws:CurrentTime": datetime(2020, 6, 1, tzinfo=UTC)},
        True,
    ),
    (
        "DateEquals date-only",
        {"DateEquals": {"aws:CurrentTime": "2020-06-01"}},
        {"aws:CurrentTime": "2020-06-01T00:00:00Z"},
        True,
    ),
    (
        "DateNotEquals",
        {"DateNotEquals": {"aws:CurrentTime": "2020-06-01T00:00:00Z"}},
        {"aws:CurrentTime": "2020-06-01T00:00:01Z"},
        True,
    ),
    (
        "DateLessThanEquals offset",
        {"DateLessThanEquals": {"aws:CurrentTime": "2020-06-01T02:00:00+02:00"}},
        {"aws:CurrentTime": "2020-06-01T00:00:00Z"},
        True,
    ),
    (
        "DateGreaterThanEquals epoch context",
        {"DateGreaterThanEquals": {"aws:EpochTime": "2020-01-01T00:00:00Z"}},
        {"aws:EpochTime": 1577836800},
        True,
    ),
    # --- Boolean ---
    (
        "Bool SecureTransport true",
        {"Bool": {"aws:SecureTransport": "true"}},
        {"aws:SecureTransport": True},
        True,
    ),
    (
        "Bool SecureTransport false",
        {"Bool": {"aws:SecureTransport": "true"}},
        {"aws:SecureTransport": False},
        False,
    ),
    (
        "Bool JSON boolean and string context",
        {"Bool": {"aws:SecureTransport": False}},
        {"aws:SecureTransport": "false"},
        True,
    ),
    ("Bool key missing", {"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    # --- Binary ---
    (
        "BinaryEquals",
        {"BinaryEquals": {"a:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
        {"a:key": b"BinaryValueInBase64"},
        True,
    ),
    (
        "BinaryEquals base64 context",
        {"BinaryEquals": {"a:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
        {"a:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
        True,
    ),
    (
        "BinaryEquals differs",
        {"BinaryEquals": {"a:key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}},
        {"a:key": b"other"},
        False,
    ),
    # --- IP address ---
    (
        "IpAddress in CIDR",
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "203.0.113.45"},
        True,
    ),
    (
        "IpAddress outside CIDR",
        {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        {"aws:SourceIp": "198.51.100.1"},
        False,
    ),
    (
        "IpAddress IPv6",
        {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
        {"aws:SourceIp": "2001:db8:1234:5678::1"},
        True,
    ),
    (
        "IpAddress single address",
        {"IpAddress": {"aws:SourceIp": "192.0.2.7"}},
        {"aws:SourceIp": "192.0.2.7"},
        True,
    ),
    (
        "NotIpAddress",
        {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}},
        {"aws:SourceIp": "198.51.100.1"},
        True,
    ),
    (
        "NotIpAddress inside",
        {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}},
        {"aws:SourceIp": "192.0.2.1"},
        False,
    ),
    # --- ARN operators ---
    (
        "ArnEquals SourceArn",
        {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:my-topic"}},
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:my-topic"},
        True,
    ),
    (
        "ArnLike region wildcard",
        {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}},
        {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:t"},
        True,
    ),
    (
        "ArnLike wildcard stays in its segment",
        {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic"}},
        {"aws:SourceArn": "arn:aws:sns:a:b:123456789012:topic"},
        False,
    ),
    (
        "ArnLike is case-sensitive",
        {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket"}},
        {"aws:SourceArn": "arn:aws:s3:::BUCKET"},
        False,
    ),
    (
        "ArnNotEquals",
        {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/admin"}},
        {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/dev"},
        True,
    ),
    ("ArnNotLike key missing", {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*"}}, {}, True),
    # --- ...IfExists ---
    (
        "StringLikeIfExists present",
        {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}},
        {"ec2:InstanceType": "m5.large"},
        False,
    ),
    (
        "StringLikeIfExists present ok",
        {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}},
        {"ec2:InstanceType": "t2.micro"},
        True,
    ),
    (
        "StringLikeIfExists absent",
        {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}},
        {},
        True,
    ),
    ("BoolIfExists MFA absent", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
    (
        "BoolIfExists MFA true",
        {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        {"aws:MultiFactorAuthPresent": True},
        False,
    ),
    # --- Null ---
    ("Null true: long-term credentials", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    (
        "Null true: temporary credentials",
        {"Null": {"aws:TokenIssueTime": "true"}},
        {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
        False,
    ),
    (
        "Null false: tag present",
        {"Null": {"aws:RequestTag/team": "false"}},
        {"aws:RequestTag/team": "red"},
        True,
    ),
    ("Null false: tag absent", {"Null": {"aws:RequestTag/team": "false"}}, {}, False),
    # --- several keys AND, several operators AND ---
    (
        "two keys both match",
        {"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": "red"}},
        {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": "red"},
        True,
    ),
    (
        "two keys one fails",
        {"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": "red"}},
        {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalTag/team": "blue"},
        False,
    ),
    (
        "date window inside",
        {
            "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
            "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"},
        },
        {"aws:CurrentTime": "2020-05-01T00:00:00Z"},
        True,
    ),
    (
        "date window after",
        {
            "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
            "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"},
        },
        {"aws:CurrentTime": "2020-07-01T00:00:00Z"},
        False,
    ),
    # --- "Set operators for multivalued context keys" ---
    (
        "ForAllValues subset",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["environment"]},
        True,
    ),
    (
        "ForAllValues all listed",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["environment", "cost-center"]},
        True,
    ),
    (
        "ForAllValues extra key",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["environment", "owner"]},
        False,
    ),
    (
        "ForAllValues missing key is true",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {},
        True,
    ),
    (
        "ForAllValues empty set is true",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["environment"]}},
        {"aws:TagKeys": []},
        True,
    ),
    (
        "ForAnyValue one listed",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["owner", "cost-center"]},
        True,
    ),
    (
        "ForAnyValue none listed",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
        {"aws:TagKeys": ["owner"]},
        False,
    ),
    (
        "ForAnyValue missing key is false",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment"]}},
        {},
        False,
    ),
    (
        "ForAnyValue CalledVia",
        {"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}},
        {"aws:CalledVia": ["cloudformation.amazonaws.com", "dynamodb.amazonaws.com"]},
        True,
    ),
    (
        "ForAllValues:StringLike",
        {"ForAllValues:StringLike": {"aws:TagKeys": "Created*"}},
        {"aws:TagKeys": ["CreatedBy", "CreatedAt"]},
        True,
    ),
    (
        "ForAllValues:StringNotEquals none listed",
        {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}},
        {"aws:TagKeys": ["a", "b"]},
        True,
    ),
    (
        "ForAllValues:StringNotEquals one listed",
        {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}},
        {"aws:TagKeys": ["a", "secret"]},
        False,
    ),
    (
        "ForAnyValue:StringNotEquals",
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret"]}},
        {"aws:TagKeys": ["secret", "other"]},
        True,
    ),
    (
        "ForAnyValue:StringNotEquals all listed",
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret"]}},
        {"aws:TagKeys": ["secret"]},
        False,
    ),
    (
        "ForAnyValue:StringNotEquals missing is false",
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["secret"]}},
        {},
        False,
    ),
    (
        "ForAnyValue:StringEqualsIfExists missing",
        {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["x"]}},
        {},
        True,
    ),
    (
        "plain operator on multivalued key = any",
        {"StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}},
        {"aws:CalledVia": ["athena.amazonaws.com", "s3.amazonaws.com"]},
        True,
    ),
    (
        "negated plain operator on multivalued key",
        {"StringNotEquals": {"aws:CalledVia": "athena.amazonaws.com"}},
        {"aws:CalledVia": ["athena.amazonaws.com", "s3.amazonaws.com"]},
        False,
    ),
    (
        "ForAllValues IP addresses",
        {"ForAllValues:IpAddress": {"a:addrs": "10.0.0.0/8"}},
        {"a:addrs": ["10.1.1.1", "10.2.2.2"]},
        True,
    ),
    # --- policy variables in condition values ("IAM policy elements: Variables and tags") ---
    (
        "variable ResourceTag owner",
        {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}},
        {"aws:ResourceTag/Owner": "carlos", "aws:username": "carlos"},
        True,
    ),
    (
        "variable ResourceTag other owner",
        {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}},
        {"aws:ResourceTag/Owner": "maria", "aws:username": "carlos"},
        False,
    ),
    (
        "variable unresolved never matches",
        {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}},
        {"aws:ResourceTag/Owner": "${aws:username}"},
        False,
    ),
    (
        "PrincipalTag matches ResourceTag",
        {"StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}},
        {"aws:ResourceTag/project": "blue", "aws:PrincipalTag/project": "blue"},
        True,
    ),
    (
        "variable default value",
        {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team, 'company-wide'}"}},
        {"aws:ResourceTag/team": "company-wide"},
        True,
    ),
    (
        "variable default ignored when set",
        {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team, 'company-wide'}"}},
        {"aws:ResourceTag/team": "company-wide", "aws:PrincipalTag/team": "red"},
        False,
    ),
    (
        "${*} is a literal asterisk in StringLike",
        {"StringLike": {"s3:prefix": "a${*}"}},
        {"s3:prefix": "abc"},
        False,
    ),
    ("${*} matches an asterisk", {"StringLike": {"s3:prefix": "a${*}"}}, {"s3:prefix": "a*"}, True),
    (
        "substituted value is literal",
        {"StringLike": {"s3:prefix": "home/${aws:username}/*"}},
        {"s3:prefix": "home/xyz/1", "aws:username": "x*"},
        False,
    ),
    (
        "multivalued key is not a variable",
        {"StringEquals": {"a:k": "${aws:TagKeys}"}},
        {"a:k": "a", "aws:TagKeys": ["a"]},
        False,
    ),
]


@pytest.mark.parametrize(
    ("condition", "context", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_condition(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert holds(condition, context) is expected


def test_variables_are_literal_under_2008_version() -> None:
    condition = {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}}
    assert holds(condition, {"aws:ResourceTag/Owner": "${aws:username}"}, "2008-10-17") is True
    assert (
        holds(condition, {"aws:ResourceTag/Owner": "carlos", "aws:username": "carlos"}, "2008-10-17") is False
    )
