"""What counts as a public resource policy, and ValidateResourcePolicy's findings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.aws.errors import ServiceError
from strongroom.services.secretsmanager.policies import findings, is_public, parse


def doc(principal: Any, condition: dict[str, Any] | None = None, effect: str = "Allow") -> str:
    statement: dict[str, Any] = {
        "Effect": effect,
        "Principal": principal,
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_public_forms() -> None:
    assert is_public(parse(doc("*")))
    assert is_public(parse(doc({"AWS": "*"})))
    assert not is_public(parse(doc({"AWS": "arn:aws:iam::123456789012:root"})))
    assert not is_public(parse(doc("*", effect="Deny")))
    assert not is_public(parse(doc("*", {"StringEquals": {"aws:PrincipalAccount": "123456789012"}})))
    assert is_public(parse(doc("*", {"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}})))
    assert is_public(parse(doc("*", {"StringLike": {"aws:PrincipalArn": "*"}})))


def test_malformed() -> None:
    with pytest.raises(ServiceError) as info:
        parse('{"Statement": [{"Effect": "Allow"}]}')
    assert info.value.code == "MalformedPolicyDocumentException"
    assert [f.check_name for f in findings("{not json")] == ["MALFORMED_POLICY"]
    assert [f.check_name for f in findings(doc("*"))] == ["BROAD_ACCESS"]
    assert findings(doc({"AWS": "123456789012"})) == []
