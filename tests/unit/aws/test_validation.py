"""AWS-style input validation against real model shapes, with AWS's exact wording."""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
import pytest
from botocore.model import ServiceModel
from shape_examples import example_input

from strongroom.aws.errors import ValidationError
from strongroom.aws.validation import java_pattern, validate, validation_errors


@functools.cache
def model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def input_shape(service: str, operation: str) -> Any:
    return model(service).operation_model(operation).input_shape


KEY_SPECS = model("kms").shape_for("KeySpec").enum
LONG_KEY_ID = "k" * 2049

CASES = [
    (
        "kms",
        "Encrypt",
        {"KeyId": LONG_KEY_ID, "Plaintext": b"x"},
        [
            f"Value '{LONG_KEY_ID}' at 'keyId' failed to satisfy constraint: "
            "Member must have length less than or equal to 2048"
        ],
    ),
    (
        "kms",
        "Encrypt",
        {"KeyId": "", "Plaintext": b""},
        [
            "Value '' at 'keyId' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
            "Value at 'plaintext' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ],
    ),
    (
        "kms",
        "Encrypt",
        {},
        [
            "Value null at 'keyId' failed to satisfy constraint: Member must not be null",
            "Value null at 'plaintext' failed to satisfy constraint: Member must not be null",
        ],
    ),
    (
        "kms",
        "CreateKey",
        {"KeySpec": "RSA_1024"},
        [
            "Value 'RSA_1024' at 'keySpec' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(KEY_SPECS)}]"
        ],
    ),
    (
        "kms",
        "CreateKey",
        {"Tags": [{"TagKey": "a"}, {"TagKey": "", "TagValue": "v"}]},
        [
            "Value null at 'tags.1.member.tagValue' failed to satisfy constraint: Member must not be null",
            "Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ],
    ),
    (
        "kms",
        "GenerateDataKey",
        {"KeyId": "k", "NumberOfBytes": 0},
        [
            "Value '0' at 'numberOfBytes' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        ],
    ),
    (
        "secretsmanager",
        "GetRandomPassword",
        {"PasswordLength": 4097},
        [
            "Value '4097' at 'passwordLength' failed to satisfy constraint: "
            "Member must have value less than or equal to 4096"
        ],
    ),
    (
        "secretsmanager",
        "GetRandomPassword",
        {"PasswordLength": 0, "ExcludeCharacters": "x" * 4097},
        [
            "Value '0' at 'passwordLength' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
            f"Value '{'x' * 4097}' at 'excludeCharacters' failed to satisfy constraint: "
            "Member must have length less than or equal to 4096",
        ],
    ),
    (
        "secretsmanager",
        "CreateSecret",
        {"Name": "n", "SecretString": "s" * 70000},
        [
            "Value at 'secretString' failed to satisfy constraint: "
            "Member must have length less than or equal to 65536"
        ],
    ),
    (
        "ssm",
        "PutParameter",
        {"Name": "/a", "Value": "v", "Type": "Text", "Tier": "Standard"},
        [
            "Value 'Text' at 'type' failed to satisfy constraint: "
            "Member must satisfy enum value set: [String, StringList, SecureString]"
        ],
    ),
    (
        "kms",
        "ListAliases",
        {"KeyId": "k", "Limit": 1001, "Marker": "\x00"},
        [
            "Value '1001' at 'limit' failed to satisfy constraint: "
            "Member must have value less than or equal to 1000",
            "Value '\x00' at 'marker' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*",
        ],
    ),
    (
        "kms",
        "Encrypt",
        {"KeyId": "k", "Plaintext": b"x", "GrantTokens": ["t"] * 11},
        [
            "Value '[t, t, t, t, t, t, t, t, t, t, t]' at 'grantTokens' failed to satisfy constraint: "
            "Member must have length less than or equal to 10"
        ],
    ),
    (
        "ssm",
        "StartAutomationExecution",
        {"DocumentName": "doc", "Parameters": {"": ["v"]}},
        [
            "Value '{=[v]}' at 'parameters' failed to satisfy constraint: "
            "Map keys must satisfy constraint: [Member must have length greater than or equal to 1]"
        ],
    ),
]


@pytest.mark.parametrize(("service", "operation", "params", "errors"), CASES)
def test_reports_every_broken_constraint(
    service: str, operation: str, params: dict[str, Any], errors: list[str]
) -> None:
    shape = input_shape(service, operation)
    assert validation_errors(shape, params) == errors
    with pytest.raises(ValidationError) as caught:
        validate(shape, params)
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    assert caught.value.message == f"{count} validation {noun} detected: " + "; ".join(errors)
    assert caught.value.code == "ValidationException"
    assert caught.value.status == 400


def test_single_error_message_in_full() -> None:
    with pytest.raises(ValidationError) as caught:
        validate(input_shape("kms", "Encrypt"), {"KeyId": "abc" * 700, "Plaintext": b"x"})
    assert caught.value.message == (
        f"1 validation error detected: Value '{'abc' * 700}' at 'keyId' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    )


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("kms", "Encrypt", {"KeyId": "alias/a", "Plaintext": b"x", "EncryptionContext": {"k": "v"}}),
        ("kms", "CreateKey", {"KeySpec": "RSA_2048", "Tags": [{"TagKey": "a", "TagValue": ""}]}),
        ("secretsmanager", "GetRandomPassword", {"PasswordLength": 4096}),
        ("ssm", "PutParameter", {"Name": "/app/db", "Value": "v", "Type": "SecureString"}),
        ("kms", "ListAliases", {"Limit": 1, "Marker": "abc"}),
    ],
)
def test_valid_input_passes(service: str, operation: str, params: dict[str, Any]) -> None:
    validate(input_shape(service, operation), params)


@pytest.mark.parametrize(
    "params",
    [
        {"KeyId": 5, "Plaintext": "not bytes"},
        {"KeyId": ["x"], "Plaintext": None, "EncryptionContext": "x", "GrantTokens": {"a": 1}},
        {"KeyId": "k", "Plaintext": b"x", "GrantTokens": [None, 3]},
    ],
)
def test_wrong_types_do_not_crash(params: dict[str, Any]) -> None:
    validation_errors(input_shape("kms", "Encrypt"), params)


def test_no_input_shape_is_valid() -> None:
    validate(None, {})


SERVICES = ("kms", "secretsmanager", "ssm", "acm", "cloudtrail", "events", "organizations", "wafv2")


@pytest.mark.parametrize("service", SERVICES)
def test_generated_examples_are_valid(service: str) -> None:
    service_model = model(service)
    for name in service_model.operation_names:
        operation = service_model.operation_model(name)
        assert validation_errors(operation.input_shape, example_input(operation)) == [], name


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        (r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$", "Größe 12 _.:/=+-@", "tab\there"),
        (r"\p{Print}+", "hello world~", "caf\u00e9"),
        (r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*", "ok \U0001f600\t", "\x01"),
        (
            r"^arn:aws[a-z0-9-]*:iam::\d{12}:role\/[\w-\/.@+=,]{1,1017}$",
            "arn:aws:iam::123456789012:role/a-b",
            "x",
        ),
        (r"\A[0-9]{3}\z", "123", "123\n"),
        (r"[^\p{C}]*", "visible", "\x07"),
        (r"^\P{C}*$", "visible", "\x07"),
        (r"\QA.B\E", "A.B", "AxB"),
        (r"^\d+$", "123", "\u0663"),
        (r"(?! )[\p{L}\p{N}\p{Z}-_]*", "a-b_c", " lead"),
    ],
)
def test_java_patterns(pattern: str, matching: str, not_matching: str) -> None:
    compiled = java_pattern(pattern)
    assert compiled is not None
    assert compiled.fullmatch(matching)
    assert not compiled.fullmatch(not_matching)


@pytest.mark.parametrize(
    "pattern",
    [r"[\p{Print}&&[^|:/]]+", r"^(?i)(true|false)$", r"^[-_a-zA-Z0-9]*${2,64}$", r"\p{IsLatin}+", "[a-z"],
)
def test_untranslatable_patterns_are_skipped(pattern: str) -> None:
    assert java_pattern(pattern) is None
