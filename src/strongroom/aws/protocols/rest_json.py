"""The `rest-json` protocol (GuardDuty, Inspector2, Macie2, …): REST routing with JSON bodies.

Errors carry their code in `x-amzn-ErrorType` and `{"message": ...}` in the body, which is what
botocore's RestJSONParser reads.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from strongroom.aws.errors import AWSError, SerializationError, UnknownOperation
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols import values
from strongroom.aws.protocols.error_shapes import extra_members, resolve_error
from strongroom.aws.protocols.rest import RestProtocol, body_members

JSON_CONTENT_TYPE = "application/json"


def load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SerializationError("The request body is not valid JSON") from None


def read_json(shape: Shape, value: Any) -> Any:
    """A JSON value as plain values, following the shape."""
    if value is None:
        return None
    if isinstance(shape, StructureShape):
        if shape.metadata.get("document"):
            return value
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object for {shape.name}")
        return read_json_members(shape.members, value)
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise SerializationError(f"Expected a list for {shape.name}")
        return [read_json(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object for {shape.name}")
        return {key: read_json(shape.value, item) for key, item in value.items()}
    return _read_scalar(shape, value)


def read_json_members(members: dict[str, Shape], value: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, member in members.items():
        item = value.get(str(member.serialization.get("name", name)))
        if item is not None:
            result[name] = read_json(member, item)
    return result


def _read_scalar(shape: Shape, value: Any) -> Any:
    type_name = shape.type_name
    if type_name == "timestamp" and isinstance(value, str | int | float) and not isinstance(value, bool):
        return values.parse_timestamp(value)
    if type_name == "blob" and isinstance(value, str):
        return values.decode_blob(value)
    if type_name == "boolean" and isinstance(value, bool):
        return value
    if (
        type_name in ("integer", "long", "short", "byte")
        and isinstance(value, int)
        and not isinstance(value, bool)
    ):
        return value
    if type_name in ("float", "double"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if value in ("NaN", "Infinity", "-Infinity"):
            return float(value)
    if type_name == "string" and isinstance(value, str):
        return value
    raise SerializationError(f"Invalid value for {shape.name}: expected {type_name}")


def write_json(shape: Shape, value: Any) -> Any:
    """Plain values as a JSON value, following the shape."""
    if isinstance(shape, StructureShape):
        if shape.metadata.get("document"):
            return value
        return write_json_members(shape.members, value)
    if isinstance(shape, ListShape):
        return [write_json(shape.member, item) for item in value]
    if isinstance(shape, MapShape):
        return {key: write_json(shape.value, item) for key, item in value.items() if item is not None}
    type_name = shape.type_name
    if type_name == "timestamp":
        stamp = value if isinstance(value, datetime) else values.parse_timestamp(value)
        return values.format_timestamp(
            stamp, shape.serialization.get("timestampFormat", values.UNIX_TIMESTAMP)
        )
    if type_name == "blob":
        return values.encode_blob(value)
    if type_name in ("float", "double"):
        return values.json_float(value)
    return value


def write_json_members(members: dict[str, Shape], value: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, member in members.items():
        item = value.get(name)
        if item is not None:
            result[str(member.serialization.get("name", name))] = write_json(member, item)
    return result


def dump_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class RestJsonProtocol(RestProtocol):
    """restJson1: REST-style routes, JSON bodies, `x-amzn-ErrorType` errors."""

    name = "rest-json"
    content_type = JSON_CONTENT_TYPE

    def unknown_operation(self, request: HttpRequest) -> AWSError:
        return UnknownOperation(f"No operation matches {request.method} {request.raw_path}", status=404)

    def read_payload(self, shape: Shape, body: bytes) -> Any:
        return read_json(shape, load_json(body))

    def read_body(self, shape: StructureShape, body: bytes) -> dict[str, Any]:
        document = load_json(body)
        if not isinstance(document, dict):
            raise SerializationError("The request body must be a JSON object")
        return read_json_members(body_members(shape), document)

    def write_payload(self, operation: OperationModel, name: str, shape: Shape, value: Any) -> bytes:
        return dump_json(write_json(shape, value))

    def write_body(self, operation: OperationModel, shape: StructureShape, result: dict[str, Any]) -> bytes:
        return dump_json(write_json_members(body_members(shape), result))

    def request_id_headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("x-amzn-RequestId", request_id)]

    def serialize_error(
        self,
        service: ServiceModel,
        operation: OperationModel | None,
        error: AWSError,
        request_id: str,
    ) -> HttpResponse:
        wire = resolve_error(service, operation, error)
        document: dict[str, Any] = {"message": wire.message}
        for name, shape, value in extra_members(wire):
            document[name] = write_json(shape, value) if shape is not None else value
        headers = Headers(
            [
                ("Content-Type", JSON_CONTENT_TYPE),
                ("x-amzn-RequestId", request_id),
                ("x-amzn-ErrorType", wire.code),
            ]
        )
        return HttpResponse(status=wire.status, headers=headers, body=dump_json(document))


# Imported last: the registry imports every protocol module (see query.py).
from strongroom.aws.protocols.registry import PROTOCOLS  # noqa: E402

PROTOCOLS["rest-json"] = RestJsonProtocol()
