"""Smithy RPC v2 CBOR: `POST /service/<Service>/operation/<Operation>`, CBOR bodies both ways.

Requests and responses carry `smithy-protocol: rpc-v2-cbor`. Blobs are CBOR byte strings and
timestamps are epoch seconds under CBOR tag 1. Errors put `__type` and `message` in the CBOR body
and keep the json protocol's rules for the model's `error` trait and `awsQueryCompatible`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.aws.errors import AWSError, SerializationError, UnknownOperation
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols import Protocol
from strongroom.aws.protocols.json_ import parse_timestamp, wire_error

__all__ = ["RpcV2CborProtocol"]

_OPERATION_PATH = re.compile(r"(?:^|/)service/([^/]+)/operation/([^/?]+)$")
_EPOCH_TAG = 1


class RpcV2CborProtocol(Protocol):
    """Smithy RPC v2 CBOR, the compact protocol newer AWS SDKs prefer where a model offers it."""

    name = "smithy-rpc-v2-cbor"

    def find_operation(self, service: ServiceModel, request: HttpRequest) -> OperationModel:
        path = request.raw_path.split("?", 1)[0]
        match = _OPERATION_PATH.search(path)
        if request.method != "POST" or match is None:
            raise UnknownOperation(f"No operation at {path}")
        service_name, operation_name = match.groups()
        if not _names_service(service, service_name) or operation_name not in service.operation_names:
            raise UnknownOperation(f"Operation {service_name}.{operation_name} is not supported")
        return service.operation_model(operation_name)

    def parse_request(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        if not request.body:
            return {}
        try:
            document = cbor2.loads(request.body)
        except Exception as exc:  # cbor2 raises several types for malformed input
            raise SerializationError("The request body is not valid CBOR") from exc
        if not isinstance(document, dict):
            raise SerializationError("Expected a CBOR map for the request body")
        shape = operation.input_shape
        if shape is None:
            return {}
        parsed = _parse_value(shape, document, "")
        assert isinstance(parsed, dict)
        return parsed

    def serialize_response(
        self, operation: OperationModel, result: dict[str, Any], request_id: str
    ) -> HttpResponse:
        shape = operation.output_shape
        headers = _headers(request_id)
        if shape is None:
            return HttpResponse(200, headers, b"")
        headers["Content-Type"] = "application/cbor"
        return HttpResponse(200, headers, cbor2.dumps(_serialize_value(shape, result)))

    def serialize_error(
        self,
        service: ServiceModel,
        operation: OperationModel | None,
        error: AWSError,
        request_id: str,
    ) -> HttpResponse:
        wire = wire_error(service, operation, error)
        headers = _headers(request_id)
        headers["Content-Type"] = "application/cbor"
        if wire.query_error is not None:
            headers["x-amzn-query-error"] = wire.query_error
        body: dict[str, Any] = {}
        if error.extra:
            extra = _serialize_value(wire.shape, error.extra) if wire.shape is not None else error.extra
            body.update(_plain_extra(extra))
        body["__type"] = wire.code
        body[wire.message_key] = error.message
        return HttpResponse(wire.status, headers, cbor2.dumps(body))


def _names_service(service: ServiceModel, name: str) -> bool:
    # botocore sends the model's targetPrefix; Smithy names the service shape, which AWS models
    # make equal to it. Accept the unqualified form of a dotted prefix as well.
    prefix = str(service.metadata.get("targetPrefix", ""))
    return name in (prefix, prefix.rsplit(".", 1)[-1])


def _headers(request_id: str) -> Headers:
    return Headers([("smithy-protocol", "rpc-v2-cbor"), ("x-amzn-RequestId", request_id)])


def _plain_extra(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        key: cbor2.CBORTag(_EPOCH_TAG, value.timestamp()) if isinstance(value, datetime) else value
        for key, value in extra.items()
    }


# --- request: CBOR → plain values ---------------------------------------------------------------


def _type_error(expected: str, value: Any, path: str) -> SerializationError:
    where = f" for '{path}'" if path else ""
    return SerializationError(f"Expected {expected}{where} but found {type(value).__name__}")


def _parse_value(shape: Shape, value: Any, path: str) -> Any:
    type_name = shape.type_name
    if type_name == "structure":
        if shape.metadata.get("document"):
            return value
        if not isinstance(value, dict):
            raise _type_error("structure", value, path)
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            raw = value.get(name)
            if raw is None:
                # botocore writes a member's locationName when the model gives one.
                raw = value.get(member.serialization.get("name", name))
            if raw is not None and raw is not cbor2.undefined:
                result[name] = _parse_value(member, raw, f"{path}.{name}" if path else name)
        return result
    if type_name == "list":
        if not isinstance(value, list):
            raise _type_error("list", value, path)
        return [None if item is None else _parse_value(shape.member, item, path) for item in value]
    if type_name == "map":
        if not isinstance(value, dict):
            raise _type_error("map", value, path)
        return {
            key: _parse_value(shape.value, item, f"{path}.{key}")
            for key, item in value.items()
            if item is not None
        }
    return _parse_scalar(shape, value, path)


def _parse_scalar(shape: Shape, value: Any, path: str) -> Any:
    type_name = shape.type_name
    if type_name == "string":
        if not isinstance(value, str):
            raise _type_error("string", value, path)
        return value
    if type_name == "boolean":
        if not isinstance(value, bool):
            raise _type_error("boolean", value, path)
        return value
    if type_name in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error("integer", value, path)
        return value
    if type_name in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error("number", value, path)
        return float(value)
    if type_name == "blob":
        if not isinstance(value, bytes | bytearray):
            raise _type_error("byte string", value, path)
        return bytes(value)
    if type_name == "timestamp":
        return _parse_timestamp(value, path)
    return value


def _parse_timestamp(value: Any, path: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, cbor2.CBORTag) and value.tag == _EPOCH_TAG:
        value = value.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return parse_timestamp(value, path)
    raise _type_error("timestamp (CBOR tag 1)", value, path)


# --- response: plain values → CBOR --------------------------------------------------------------


def _serialize_value(shape: Shape, value: Any) -> Any:
    type_name = shape.type_name
    if type_name == "structure":
        if shape.metadata.get("document"):
            return value
        return {
            name: _serialize_value(member, value[name])
            for name, member in shape.members.items()
            if value.get(name) is not None
        }
    if type_name == "list":
        return [None if item is None else _serialize_value(shape.member, item) for item in value]
    if type_name == "map":
        return {
            str(key): _serialize_value(shape.value, item) for key, item in value.items() if item is not None
        }
    if type_name == "blob":
        return value.encode() if isinstance(value, str) else bytes(value)
    if type_name == "timestamp":
        moment = value if isinstance(value, datetime) else parse_timestamp(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp()
        return cbor2.CBORTag(_EPOCH_TAG, int(seconds) if seconds.is_integer() else seconds)
    if type_name in ("float", "double"):
        return float(value)
    if type_name in ("integer", "long"):
        return int(value)
    if type_name == "boolean":
        return bool(value)
    return value


# Imported last: the registry imports every protocol module, this one included.
from strongroom.aws.protocols.registry import PROTOCOLS  # noqa: E402

PROTOCOLS["smithy-rpc-v2-cbor"] = RpcV2CborProtocol()
