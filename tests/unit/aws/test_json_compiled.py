"""The json protocol's compiled parsers and serializers against the plain walks they replace.

Bodies must stay byte for byte what the standard library's encoder wrote (float spelling,
`\\uXXXX` escapes of non-ASCII text), and parsed values and parse errors must not change.
"""

from __future__ import annotations

import enum
import functools
import json
import math
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.model import OperationModel, ServiceModel
from shape_examples import example_input, example_output

from strongroom.aws.errors import SerializationError
from strongroom.aws.http import Headers, HttpRequest
from strongroom.aws.protocols import json_
from strongroom.aws.protocols.json_ import JsonProtocol

SERVICES = ("kms", "secretsmanager", "ssm", "acm", "events", "dynamodb", "cloudtrail")
PROTOCOL = JsonProtocol()


@functools.cache
def model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def reference_body(operation: OperationModel, result: dict[str, Any]) -> bytes:
    shape = operation.output_shape
    return json_._dumps(json_._serialize_value(shape, result) if shape is not None else {})


def request(body: bytes) -> HttpRequest:
    return HttpRequest("POST", "/", "", Headers([("Content-Type", "application/x-amz-json-1.1")]), body)


@pytest.mark.parametrize("service", SERVICES)
def test_response_bytes_match_the_standard_encoder(service: str) -> None:
    service_model = model(service)
    for name in service_model.operation_names:
        operation = service_model.operation_model(name)
        for seed in range(3):
            result = example_output(operation, seed=seed)
            body = PROTOCOL.serialize_response(operation, result, "rid").body
            assert body == reference_body(operation, result), name


@pytest.mark.parametrize("service", SERVICES)
def test_requests_parse_as_the_walk_does(service: str) -> None:
    service_model = model(service)
    for name in service_model.operation_names:
        operation = service_model.operation_model(name)
        shape = operation.input_shape
        if shape is None:
            continue
        for seed in range(2):
            document = json.loads(
                json_._dumps(json_._serialize_value(shape, example_input(operation, seed=seed)))
            )
            expected = json_._parse_value(shape, document, "")
            assert PROTOCOL.parse_request(operation, request(json.dumps(document).encode())) == expected


class Color(enum.Enum):
    RED = "red"


class Text(str):
    pass


ODD_TEXT = [
    "caf\u00e9",
    "\x7f",
    '\x00\x1f\b\t\n\r"\\/',
    "\U0001f600",
    "\ud800",
    Text("sub"),
    Color.RED,
    7,
    1e-7,
]


@pytest.mark.parametrize("text", ODD_TEXT, ids=repr)
def test_odd_values_keep_the_standard_encoding(text: Any) -> None:
    operation = model("kms").operation_model("DescribeKey")
    result = {
        "KeyMetadata": {"KeyId": text, "Arn": "arn", "Description": text, "KeyUsage": "ENCRYPT_DECRYPT"}
    }
    assert PROTOCOL.serialize_response(operation, result, "r").body == reference_body(operation, result)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 0, 0, 50, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999990, tzinfo=UTC),
    ],
)
def test_epoch_timestamps_keep_their_spelling(moment: datetime) -> None:
    operation = model("kms").operation_model("DescribeKey")
    result = {"KeyMetadata": {"KeyId": "k", "CreationDate": moment, "DeletionDate": moment}}
    assert PROTOCOL.serialize_response(operation, result, "r").body == reference_body(operation, result)


@pytest.mark.parametrize("number", [0.5, 1e-5, -3e-9, 1e300, math.inf, -math.inf, math.nan, 2.0**70, 0.0, 7])
def test_doubles_and_big_integers_keep_their_spelling(number: float) -> None:
    operation = model("dynamodb").operation_model("GetItem")
    result = {"ConsumedCapacity": {"TableName": "t", "CapacityUnits": number, "ReadCapacityUnits": 1}}
    assert PROTOCOL.serialize_response(operation, result, "r").body == reference_body(operation, result)
    described = model("dynamodb").operation_model("DescribeTable")
    result = {"Table": {"TableName": "t", "ItemCount": 2**70, "TableSizeBytes": True}}
    assert PROTOCOL.serialize_response(described, result, "r").body == reference_body(described, result)


@pytest.mark.parametrize(
    "body",
    [
        b'{"KeyId": 5, "Plaintext": "eA=="}',
        b'{"KeyId": "k", "Plaintext": "not base64!"}',
        b'{"KeyId": "k", "Plaintext": "eA==", "EncryptionContext": {"a": 1}}',
        b'{"KeyId": "k", "Plaintext": "eA==", "GrantTokens": "t"}',
        b'{"KeyId": "k", "Plaintext": "eA==", "GrantTokens": [null, "t"]}',
        b'{"KeyId": "k", "Plaintext": "eA==", "EncryptionContext": {"a": null}}',
        b'{"KeyId": "\\ud800", "Plaintext": "eA=="}',
        b'{"KeyId": "k", "Plaintext": "eA==", "X": 123456789012345678901234567890}',
        b'{"KeyId": "k", "Plaintext": "eA==", "X": NaN}',
        b"\xef\xbb\xbf{}",
        b"[1]",
        b"{nope",
        b"\xff",
    ],
)
def test_parse_results_and_errors_are_unchanged(body: bytes) -> None:
    operation = model("kms").operation_model("Encrypt")
    try:
        document = json.loads(body)
    except ValueError:
        with pytest.raises(SerializationError, match="not valid JSON"):
            PROTOCOL.parse_request(operation, request(body))
        return
    if not isinstance(document, dict):
        with pytest.raises(SerializationError, match="Start of structure"):
            PROTOCOL.parse_request(operation, request(body))
        return
    try:
        expected: Any = json_._parse_value(operation.input_shape, document, "")
    except SerializationError as exc:
        with pytest.raises(SerializationError) as caught:
            PROTOCOL.parse_request(operation, request(body))
        assert caught.value.message == exc.message
    else:
        assert PROTOCOL.parse_request(operation, request(body)) == expected


def test_integers_from_floats_and_timestamps_still_parse() -> None:
    operation = model("kms").operation_model("GenerateRandom")
    assert PROTOCOL.parse_request(operation, request(b'{"NumberOfBytes": 32.0}')) == {"NumberOfBytes": 32}
    big = b'{"NumberOfBytes": 123456789012345678901234567890}'
    assert PROTOCOL.parse_request(operation, request(big)) == {
        "NumberOfBytes": 123456789012345678901234567890
    }
