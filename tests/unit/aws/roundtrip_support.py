"""Drive our protocols with botocore's own serializers and parsers, for the round-trip tests.

Request: botocore's client serializer → `prepare_request_dict` → `AWSRequest.prepare()` → our
`HttpRequest` → our parser. Response: our serializer → botocore's response parser.
"""

from __future__ import annotations

import functools
import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer

from strongroom.aws.errors import ServiceError
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols import Protocol
from strongroom.aws.protocols.registry import PROTOCOLS

ERROR_MESSAGE = "Something <went> & \"wrong\" — 'here'"


@functools.cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


def operations(service: str) -> list[str]:
    return list(service_model(service).operation_names)


def protocol_of(service: ServiceModel) -> Protocol:
    return PROTOCOLS[service.metadata["protocol"]]


def botocore_request(operation: OperationModel, params: dict[str, Any], endpoint: str) -> HttpRequest:
    """The HTTP request boto3 sends for `params` (before signing)."""
    serializer = create_serializer(operation.metadata["protocol"], include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=endpoint)
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    headers = Headers([("Host", url.netloc)])
    for name, value in prepared.headers.items():
        headers.add(name, value.decode("latin-1") if isinstance(value, bytes) else value)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):
        body = body.read()
    return HttpRequest(
        method=prepared.method,
        raw_path=url.path or "/",
        query_string=url.query,
        headers=headers,
        body=body,
    )


def botocore_parse(protocol: str, response: HttpResponse, shape: Shape | None) -> dict[str, Any]:
    headers = HeadersDict()
    for name, value in response.headers.items():
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    body: Any = response.body
    payload = shape.serialization.get("payload") if shape is not None else None
    streamed = payload is not None and shape.members[payload].type_name == "blob"
    if streamed and response.status < 300:
        # What the real client hands the parser: a stream, read by the caller as bytes.
        body = StreamingBody(io.BytesIO(response.body), len(response.body))
    parsed = create_parser(protocol).parse(
        {"body": body, "headers": headers, "status_code": response.status, "context": {}},
        shape,
    )
    if streamed and isinstance(parsed.get(payload), StreamingBody):
        parsed[payload] = parsed[payload].read()
    parsed.pop("ResponseMetadata", None)
    return parsed  # type: ignore[no-any-return]


def normalize(shape: Shape | None, value: Any, drop_empty: bool = False) -> Any:
    """A value reduced to what every protocol preserves (bytes for blobs, UTC datetimes).

    `drop_empty` also drops empty lists and maps, which some request encodings cannot carry.
    """
    if shape is None or value is None:
        return value
    if isinstance(shape, StructureShape):
        if shape.metadata.get("document"):
            return value
        result = {}
        for name, item in value.items():
            if name not in shape.members:
                continue
            normalized = normalize(shape.members[name], item, drop_empty)
            if normalized is None or (drop_empty and normalized in ([], {})):
                continue
            result[name] = normalized
        return result
    if isinstance(shape, ListShape):
        items = [normalize(shape.member, item, drop_empty) for item in value]
        items = [item for item in items if not (drop_empty and item == {})]
        # An empty flattened XML list writes no element at all, so it reads back as absent.
        return None if not items and shape.serialization.get("flattened") else items
    if isinstance(shape, MapShape):
        return {normalize(shape.key, k): normalize(shape.value, v, drop_empty) for k, v in value.items()}
    if shape.type_name == "blob" and isinstance(value, str):
        return value.encode("utf-8")
    if shape.type_name == "timestamp" and isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if shape.type_name in ("float", "double"):
        return float(value)
    return value


def error_shapes(operation: OperationModel) -> list[StructureShape]:
    return list(operation.error_shapes)


def raise_error_for(shape: StructureShape, extra: dict[str, Any]) -> ServiceError:
    status = int((shape.metadata.get("error") or {}).get("httpStatusCode", 400))
    return ServiceError(shape.name, ERROR_MESSAGE, status=status, extra=extra)


def error_extras(shape: StructureShape, example: dict[str, Any]) -> dict[str, Any]:
    """The members of an error example other than its message and code."""
    return {k: v for k, v in example.items() if k.lower() not in ("message", "code")}


def check_request(
    service: str,
    operation_name: str,
    endpoint: str,
    seed: int = 0,
    routed_as: str | None = None,
    compare_values: bool = True,
) -> None:
    """botocore serializes example input; we find the operation and read the same values back.

    `routed_as` names the operation expected from routing when the wire cannot tell two apart.
    """
    from shape_examples import example_input

    model = service_model(service)
    operation = model.operation_model(operation_name)
    protocol = protocol_of(model)
    params = example_input(operation, seed=seed)
    request = botocore_request(operation, params, endpoint)
    assert protocol.find_operation(model, request).name == (routed_as or operation_name)
    parsed = protocol.parse_request(operation, request)
    if not compare_values:
        return
    expected = normalize(operation.input_shape, params, drop_empty=True)
    assert normalize(operation.input_shape, parsed, drop_empty=True) == expected


def check_response(service: str, operation_name: str, seed: int = 0) -> None:
    """We serialize an example result; botocore's parser reads the same values back."""
    from shape_examples import example_output

    model = service_model(service)
    operation = model.operation_model(operation_name)
    protocol = protocol_of(model)
    output = example_output(operation, seed=seed)
    response = protocol.serialize_response(operation, output, "req-7f3a")
    assert 200 <= response.status < 300
    parsed = botocore_parse(model.metadata["protocol"], response, operation.output_shape)
    assert parsed == normalize(operation.output_shape, output)


def check_errors(service: str, operation_name: str, head_has_no_body: bool = False) -> None:
    """Every declared error comes back from botocore's parser with its code, message and members."""
    from shape_examples import example_value

    model = service_model(service)
    operation = model.operation_model(operation_name)
    protocol = protocol_of(model)
    wire_protocol = model.metadata["protocol"]
    for shape in operation.error_shapes:
        extra = error_extras(shape, example_value(shape))
        error = raise_error_for(shape, extra)
        response = protocol.serialize_error(model, operation, error, "req-err-1")
        assert response.status == error.status, shape.name
        parsed = botocore_parse(wire_protocol, response, operation.output_shape)
        if head_has_no_body and operation.http["method"] == "HEAD":
            assert response.body == b""
            assert parsed["Error"]["Code"] == str(error.status)
            continue
        assert parsed["Error"]["Code"] == shape.error_code, shape.name
        assert parsed["Error"]["Message"] == ERROR_MESSAGE, shape.name
        modeled = botocore_parse(wire_protocol, response, shape)
        modeled.pop("Error", None)
        assert normalize(shape, error_extras(shape, modeled)) == normalize(shape, extra), shape.name
