"""The CloudTrail record's redaction and time stamp, against the plain walk they replaced."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.model import ServiceModel, Shape
from shape_examples import example_input, example_output

from strongroom.aws.trail import REDACTED, _event_time, redact

_SECRET_NAMES = frozenset(
    name.lower()
    for name in (
        "Plaintext", "SecretString", "SecretBinary", "Password", "NewPassword", "OldPassword",
        "PrivateKey", "SecretAccessKey", "SessionToken", "Passphrase", "PrivateKeyPlaintext",
        "SharedSecret", "KeyMaterial", "EncryptedKeyMaterial", "Value", "ClientSecret",
        "ApiKeyValue", "SSECustomerKey", "CopySourceSSECustomerKey",
    )
)  # fmt: skip


def reference_redact(shape: Shape | None, value: Any) -> Any:
    """The recursive walk `redact` was first written as."""
    if value is None:
        return None
    if shape is not None and shape.metadata.get("sensitive"):
        return REDACTED
    if isinstance(value, bytes):
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if shape is not None and shape.type_name == "map":
                member_shape = getattr(shape, "value", None)
                name = key
            else:
                members = getattr(shape, "members", None) if shape is not None else None
                member_shape = members.get(key) if members else None
                name = key[:1].lower() + key[1:] if key else key
            if str(key).lower() in _SECRET_NAMES and not isinstance(item, dict | list):
                out[name] = REDACTED
                continue
            cleaned = reference_redact(member_shape, item)
            if cleaned is not None:
                out[name] = cleaned
        return out
    if isinstance(value, list):
        member = getattr(shape, "member", None) if shape is not None else None
        return [reference_redact(member, v) for v in value]
    return value


@functools.cache
def model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@pytest.mark.parametrize("service", ["kms", "secretsmanager", "ssm", "acm", "iam", "s3"])
def test_redaction_matches_the_reference_walk(service: str) -> None:
    service_model = model(service)
    for name in service_model.operation_names:
        operation = service_model.operation_model(name)
        for seed in range(2):
            request = example_input(operation, seed=seed)
            assert redact(operation.input_shape, request) == reference_redact(operation.input_shape, request)
            response = example_output(operation, seed=seed)
            assert redact(operation.output_shape, response) == reference_redact(
                operation.output_shape, response
            )


def test_secret_names_nulls_and_unmodelled_members() -> None:
    shape = model("secretsmanager").operation_model("PutSecretValue").input_shape
    value = {
        "SecretId": "s",
        "SecretString": None,
        "Password": {"nested": "kept"},
        "Unknown": {"Value": "x", "when": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "blob": b"x"},
        "Items": [None, "a", 1.5, True, b"b"],
    }
    assert redact(shape, value) == reference_redact(shape, value)
    assert redact(shape, value)["secretString"] == REDACTED


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 29, 3, 4, 5, 678, tzinfo=UTC),
        datetime(999, 1, 2, tzinfo=UTC),
        datetime(9999, 12, 31),
    ],
)
def test_event_time_is_written_as_strftime_would(moment: datetime) -> None:
    assert _event_time(moment) == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
