"""Round trips through botocore's own client code for every operation of the json services.

Requests: botocore's serializer writes them, `JsonProtocol` parses them back to the same values.
Responses and errors: `JsonProtocol` writes them, botocore's parser reads the same values back.
"""

from __future__ import annotations

import copy
import functools
import json
from datetime import UTC, datetime
from typing import Any

import botocore.loaders
import pytest
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from shape_examples import example_input, example_output, example_value

from strongroom.aws.errors import (
    AccessDenied,
    AWSError,
    SerializationError,
    ServiceError,
    UnknownOperation,
    ValidationError,
)
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols.json_ import JsonProtocol
from strongroom.aws.protocols.registry import PROTOCOLS

SERVICES = (
    "kms",
    "secretsmanager",
    "ssm",
    "acm",
    "cloudtrail",
    "events",
    "organizations",
    "wafv2",
    "shield",
    "fms",
)
PROTOCOL = JsonProtocol()


@functools.cache
def service_model(name: str, protocol: str = "json") -> ServiceModel:
    model = copy.deepcopy(botocore.loaders.create_loader().load_service_model(name, "service-2"))
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    return ServiceModel(model, service_name=name)


def operation_ids() -> list[tuple[str, str]]:
    return [(svc, op) for svc in SERVICES for op in service_model(svc).operation_names]


def request_from(serialized: dict[str, Any]) -> HttpRequest:
    return HttpRequest(
        method=serialized["method"],
        raw_path=serialized["url_path"],
        query_string=serialized["query_string"] if isinstance(serialized["query_string"], str) else "",
        headers=Headers([("host", "localhost"), *serialized["headers"].items()]),
        body=serialized["body"],
    )


def response_dict(response: HttpResponse) -> dict[str, Any]:
    return {
        "status_code": response.status,
        "headers": {k.lower(): v for k, v in response.headers.items()},
        "body": response.body,
    }


def modeled_error_extra(shape: Any, seed: int) -> dict[str, Any]:
    extra = example_value(shape, seed)
    assert isinstance(extra, dict)
    return {k: v for k, v in extra.items() if k.lower() != "message"}


def expected_status(shape: Any) -> int:
    return int(shape.metadata.get("error", {}).get("httpStatusCode", 400))


@pytest.mark.parametrize(("service", "operation"), operation_ids(), ids=lambda v: v)
def test_round_trip(service: str, operation: str) -> None:
    model = service_model(service)
    op = model.operation_model(operation)
    serializer = create_serializer("json", include_validation=True)
    parser = create_parser("json")

    for seed, fill in ((0, True), (1, False)):
        params = example_input(op, seed, fill_optional=fill)
        request = request_from(serializer.serialize_to_request(params, op))
        assert PROTOCOL.find_operation(model, request).name == operation
        assert PROTOCOL.parse_request(op, request) == params

    result = example_output(op, seed=2)
    response = PROTOCOL.serialize_response(op, result, "req-out")
    assert response.status == 200
    assert response.headers["Content-Type"] == f"application/x-amz-json-{model.metadata['jsonVersion']}"
    parsed = parser.parse(response_dict(response), op.output_shape)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["RequestId"] == "req-out"
    assert parsed == result

    for index, shape in enumerate(op.error_shapes):
        message = f"{shape.name} happened"
        extra = modeled_error_extra(shape, index)
        error = ServiceError(shape.name, message, extra=extra)
        wire = response_dict(PROTOCOL.serialize_error(model, op, error, "req-err"))
        assert wire["status_code"] == expected_status(shape)
        parsed_error = parser.parse(wire, op.output_shape)
        assert parsed_error["Error"]["Code"] == shape.error_code
        assert parsed_error["Error"]["Message"] == message
        assert parsed_error["ResponseMetadata"]["RequestId"] == "req-err"
        modeled = parser.parse(wire, shape)
        assert {k: v for k, v in modeled.items() if k.lower() != "message"} == extra


def _kms() -> tuple[ServiceModel, OperationModel]:
    model = service_model("kms")
    return model, model.operation_model("Encrypt")


def _request(target: str | None, body: bytes) -> HttpRequest:
    headers = Headers([("Content-Type", "application/x-amz-json-1.1")])
    if target is not None:
        headers["X-Amz-Target"] = target
    return HttpRequest("POST", "/", headers=headers, body=body)


def test_registered_under_json() -> None:
    assert isinstance(PROTOCOLS["json"], JsonProtocol)


@pytest.mark.parametrize(
    "target", [None, "", "TrentService.NoSuchThing", "WrongPrefix.Encrypt", "Encrypt", "TrentService."]
)
def test_unknown_target_is_unknown_operation(target: str | None) -> None:
    model, _ = _kms()
    with pytest.raises(UnknownOperation) as caught:
        PROTOCOL.find_operation(model, _request(target, b"{}"))
    assert caught.value.code == "UnknownOperationException"
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'"text"',
        b'{"KeyId": 5, "Plaintext": "AAAA"}',
        b'{"KeyId": "k", "Plaintext": "***"}',
        b'{"KeyId": "k", "Plaintext": "AAAA", "EncryptionContext": []}',
        b'{"KeyId": "k", "Plaintext": "AAAA", "GrantTokens": "t"}',
        b"\xff\xfe",
    ],
)
def test_malformed_body_is_serialization_error(body: bytes) -> None:
    _, op = _kms()
    with pytest.raises(SerializationError) as caught:
        PROTOCOL.parse_request(op, _request("TrentService.Encrypt", body))
    assert caught.value.code == "SerializationException"
    assert caught.value.status == 400


def test_empty_body_and_unknown_members() -> None:
    _, op = _kms()
    assert PROTOCOL.parse_request(op, _request("TrentService.Encrypt", b"")) == {}
    parsed = PROTOCOL.parse_request(
        op, _request("TrentService.Encrypt", b'{"KeyId": "alias/a", "Surprise": 1, "GrantTokens": null}')
    )
    assert parsed == {"KeyId": "alias/a"}


def test_integer_and_timestamp_forms() -> None:
    model = service_model("secretsmanager")
    op = model.operation_model("GetRandomPassword")
    parsed = PROTOCOL.parse_request(
        op, _request("secretsmanager.GetRandomPassword", b'{"PasswordLength": 32.0}')
    )
    assert parsed == {"PasswordLength": 32}
    with pytest.raises(SerializationError):
        PROTOCOL.parse_request(op, _request("secretsmanager.GetRandomPassword", b'{"PasswordLength": 3.5}'))
    with pytest.raises(SerializationError):
        PROTOCOL.parse_request(op, _request("secretsmanager.GetRandomPassword", b'{"PasswordLength": true}'))

    kms = service_model("kms").operation_model("ImportKeyMaterial")
    for text in (
        b"1700000000",
        b"1700000000.5",
        b'"2023-11-14T22:13:20Z"',
        b'"2023-11-14T22:13:20.500+00:00"',
    ):
        body = b'{"KeyId":"k","ImportToken":"AA==","EncryptedKeyMaterial":"AA==","ValidTo":' + text + b"}"
        parsed = PROTOCOL.parse_request(kms, _request("TrentService.ImportKeyMaterial", body))
        assert parsed["ValidTo"].tzinfo is not None
        assert int(parsed["ValidTo"].timestamp()) == 1700000000


def test_response_drops_unknown_members_and_none() -> None:
    _, op = _kms()
    response = PROTOCOL.serialize_response(
        op,
        {"KeyId": "arn:k", "CiphertextBlob": b"\x00\x01", "EncryptionAlgorithm": None, "Secret": "x"},
        "rid",
    )
    assert json.loads(response.body) == {"KeyId": "arn:k", "CiphertextBlob": "AAE="}
    assert response.headers["x-amzn-RequestId"] == "rid"


def test_response_timestamps_are_epoch_seconds() -> None:
    op = service_model("kms").operation_model("DescribeKey")
    created = datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)
    response = PROTOCOL.serialize_response(op, {"KeyMetadata": {"KeyId": "k", "CreationDate": created}}, "r")
    assert json.loads(response.body)["KeyMetadata"]["CreationDate"] == created.timestamp()


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (ValidationError("1 validation error detected: x"), "ValidationException", 400),
        (AccessDenied("no"), "AccessDeniedException", 403),
        (UnknownOperation(""), "UnknownOperationException", 400),
        (ServiceError("NotFoundException", "Key 'k' does not exist"), "NotFoundException", 400),
        (ServiceError("KMSInternalException", "boom", status=500), "KMSInternalException", 500),
    ],
)
def test_error_wire_form(error: AWSError, code: str, status: int) -> None:
    model, op = _kms()
    response = PROTOCOL.serialize_error(model, op, error, "rid")
    assert response.status == status
    assert response.headers["x-amzn-ErrorType"] == code
    assert response.headers["x-amzn-RequestId"] == "rid"
    assert "x-amzn-query-error" not in response.headers
    assert json.loads(response.body) == {"__type": code, "message": error.message}
    parsed = create_parser("json").parse(response_dict(response), op.output_shape)
    assert parsed["Error"] == {"Code": code, "Message": error.message}


def _query_compatible_model() -> ServiceModel:
    return ServiceModel(
        {
            "metadata": {
                "protocol": "json",
                "jsonVersion": "1.0",
                "targetPrefix": "Legacy",
                "awsQueryCompatible": {},
                "serviceId": "Legacy",
                "apiVersion": "2020-01-01",
            },
            "operations": {
                "Get": {
                    "name": "Get",
                    "http": {"method": "POST", "requestUri": "/"},
                    "input": {"shape": "GetInput"},
                    "errors": [{"shape": "ThingMissing"}],
                }
            },
            "shapes": {
                "GetInput": {"type": "structure", "members": {"Name": {"shape": "String"}}},
                "String": {"type": "string"},
                "ThingMissing": {
                    "type": "structure",
                    "members": {"Message": {"shape": "String"}},
                    "error": {"code": "Legacy.ThingMissing", "httpStatusCode": 404, "senderFault": True},
                    "exception": True,
                },
            },
        },
        service_name="legacy",
    )


@pytest.mark.parametrize("raised_code", ["ThingMissing", "Legacy.ThingMissing"])
def test_query_compatible_error_names_the_query_code(raised_code: str) -> None:
    model = _query_compatible_model()
    op = model.operation_model("Get")
    response = PROTOCOL.serialize_error(model, op, ServiceError(raised_code, "gone"), "rid")
    assert response.status == 404
    assert response.headers["x-amzn-query-error"] == "Legacy.ThingMissing;Sender"
    assert response.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert json.loads(response.body) == {"__type": "ThingMissing", "Message": "gone"}
    parsed = create_parser("json").parse(response_dict(response), None)
    assert parsed["Error"]["Code"] == "Legacy.ThingMissing"
    assert parsed["Error"]["Message"] == "gone"
    assert parsed["Error"]["Type"] == "Sender"


def test_query_compatible_unmodeled_error_still_carries_header() -> None:
    model = _query_compatible_model()
    response = PROTOCOL.serialize_error(model, None, ValidationError("bad"), "rid")
    assert response.headers["x-amzn-query-error"] == "ValidationException;Sender"
