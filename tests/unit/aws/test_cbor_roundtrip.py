"""Round trips through botocore's RPC v2 CBOR client code for every operation of the json services.

Each model is copied with its protocol forced to `smithy-rpc-v2-cbor`, so botocore speaks CBOR
to `RpcV2CborProtocol` for operations that were modeled for JSON.
"""

from __future__ import annotations

import copy
import functools
from datetime import UTC, datetime
from typing import Any

import botocore.loaders
import cbor2
import pytest
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from shape_examples import example_input, example_output, example_value

from strongroom.aws.errors import SerializationError, ServiceError, UnknownOperation, ValidationError
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols.registry import PROTOCOLS
from strongroom.aws.protocols.rpcv2_cbor import RpcV2CborProtocol

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
CBOR = "smithy-rpc-v2-cbor"
PROTOCOL = RpcV2CborProtocol()


@functools.cache
def service_model(name: str) -> ServiceModel:
    model = copy.deepcopy(botocore.loaders.create_loader().load_service_model(name, "service-2"))
    model["metadata"]["protocol"] = CBOR
    model["metadata"]["protocols"] = [CBOR]
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


@pytest.mark.parametrize(("service", "operation"), operation_ids(), ids=lambda v: v)
def test_round_trip(service: str, operation: str) -> None:
    model = service_model(service)
    op = model.operation_model(operation)
    serializer = create_serializer(CBOR, include_validation=True)
    parser = create_parser(CBOR)

    for seed, fill in ((0, True), (1, False)):
        params = example_input(op, seed, fill_optional=fill)
        serialized = serializer.serialize_to_request(params, op)
        request = request_from(serialized)
        assert request.headers["smithy-protocol"] == "rpc-v2-cbor"
        assert PROTOCOL.find_operation(model, request).name == operation
        assert PROTOCOL.parse_request(op, request) == params

    result = example_output(op, seed=2)
    response = PROTOCOL.serialize_response(op, result, "req-out")
    assert response.status == 200
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    parsed = parser.parse(response_dict(response), op.output_shape)
    metadata = parsed.pop("ResponseMetadata")
    if op.output_shape is not None:  # botocore reads the request id only when there is an output
        assert metadata["RequestId"] == "req-out"
    assert parsed == result

    for index, shape in enumerate(op.error_shapes):
        message = f"{shape.name} happened"
        extra = {k: v for k, v in example_value(shape, index).items() if k.lower() != "message"}
        wire = response_dict(
            PROTOCOL.serialize_error(model, op, ServiceError(shape.name, message, extra=extra), "req-err")
        )
        assert wire["status_code"] == int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
        assert wire["headers"]["content-type"] == "application/cbor"
        parsed_error = parser.parse(wire, op.output_shape)
        assert parsed_error["Error"]["Code"] == shape.error_code
        assert parsed_error["Error"]["Message"] == message
        assert parsed_error["ResponseMetadata"]["RequestId"] == "req-err"
        modeled = parser.parse(wire, shape)
        assert {k: v for k, v in modeled.items() if k.lower() != "message"} == extra


def _kms() -> tuple[ServiceModel, OperationModel]:
    model = service_model("kms")
    return model, model.operation_model("Encrypt")


def _request(path: str, body: bytes, method: str = "POST") -> HttpRequest:
    headers = Headers([("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor")])
    return HttpRequest(method, path, headers=headers, body=body)


def test_registered_under_its_botocore_name() -> None:
    assert isinstance(PROTOCOLS[CBOR], RpcV2CborProtocol)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/service/TrentService/operation/NoSuchThing"),
        ("POST", "/service/OtherService/operation/Encrypt"),
        ("POST", "/"),
        ("POST", "/service/TrentService"),
        ("GET", "/service/TrentService/operation/Encrypt"),
    ],
)
def test_unknown_operation(method: str, path: str) -> None:
    model, _ = _kms()
    with pytest.raises(UnknownOperation):
        PROTOCOL.find_operation(model, _request(path, b"", method))


def test_operation_path_may_have_a_prefix() -> None:
    model, _ = _kms()
    request = _request("/base/service/TrentService/operation/Encrypt", b"")
    assert PROTOCOL.find_operation(model, request).name == "Encrypt"


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xff\xff",
        cbor2.dumps([1, 2]),
        cbor2.dumps({"KeyId": 5}),
        cbor2.dumps({"KeyId": "k", "Plaintext": "not bytes"}),
        cbor2.dumps({"KeyId": "k", "GrantTokens": "t"}),
    ],
)
def test_malformed_body_is_serialization_error(body: bytes) -> None:
    _, op = _kms()
    with pytest.raises(SerializationError):
        PROTOCOL.parse_request(op, _request("/service/TrentService/operation/Encrypt", body))


def test_timestamps_are_tag_1_both_ways() -> None:
    model = service_model("kms")
    op = model.operation_model("ImportKeyMaterial")
    body = cbor2.dumps({"KeyId": "k", "ValidTo": cbor2.CBORTag(1, 1700000000.5)})
    parsed = PROTOCOL.parse_request(op, _request("/service/TrentService/operation/ImportKeyMaterial", body))
    assert parsed["ValidTo"] == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)

    describe = model.operation_model("DescribeKey")
    created = datetime(2024, 5, 1, tzinfo=UTC)
    response = PROTOCOL.serialize_response(
        describe, {"KeyMetadata": {"KeyId": "k", "CreationDate": created}}, "r"
    )
    tagged_epoch = b"\xc1\x1a" + int(created.timestamp()).to_bytes(4, "big")
    assert tagged_epoch in response.body


def test_error_body() -> None:
    model, op = _kms()
    response = PROTOCOL.serialize_error(model, op, ValidationError("1 validation error detected: x"), "rid")
    assert response.status == 400
    assert cbor2.loads(response.body) == {
        "__type": "ValidationException",
        "message": "1 validation error detected: x",
    }
    assert response.headers["x-amzn-RequestId"] == "rid"
