"""Wildcards ("IAM JSON policy elements: Resource") and policy-variable templates."""

from __future__ import annotations

import pytest

from strongroom.core.iam import glob_match
from strongroom.core.iam.variables import Template, Variable, parse_template

GLOBS = [
    ("*", "anything:at/all", True),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
    ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-logs", True),
    ("arn:aws:iam::*:user/*", "arn:aws:iam::111122223333:user/a/b", True),
    ("arn:aws:iam::*:user/*", "arn:aws:iam::1111:2222:user/a", False),
    ("arn:aws:ec2:us-east-?:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", True),
    ("arn:aws:ec2:us-east-?:*:instance/*", "arn:aws:ec2:us-east-10:111122223333:instance/i-1", False),
    ("arn:aws:logs:*:*:log-group:*", "arn:aws:logs:eu-west-1:1:log-group:g:log-stream:s", True),
    ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", False),
    ("arn:*", "arn:aws:kms:us-east-1:1:key/k", True),
    ("a.b+c(d)", "a.b+c(d)", True),
    ("a.b", "axb", False),
]


@pytest.mark.parametrize(("pattern", "value", "expected"), GLOBS)
def test_glob(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected


def test_template_pieces_and_defaults() -> None:
    template = parse_template("home/${aws:username}/${ aws:PrincipalTag/team , 'it''s' }/${*}")
    assert isinstance(template, Template)
    assert template.parts[1] == Variable("aws:username", None)
    assert template.parts[3] == Variable("aws:principaltag/team", "it's")
    assert template.resolve({"aws:username": "carlos"}) == (
        ("home/", False),
        ("carlos", True),
        ("/", False),
        ("it's", True),
        ("/", False),
        ("*", True),
    )
    assert template.resolve({}) is None


def test_text_without_variables_stays_a_string() -> None:
    assert parse_template("arn:aws:s3:::bucket/*") == "arn:aws:s3:::bucket/*"
    assert parse_template("${unclosed") == "${unclosed"
