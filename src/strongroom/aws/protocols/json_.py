"""The AWS `json` protocol (1.0 and 1.1): `X-Amz-Target` names the operation, the body is JSON.

Request bodies carry blobs as base64 and timestamps as epoch seconds (or ISO 8601 strings);
responses do the same, following the output shape's `timestampFormat` traits. Errors are
`{"__type": code, "message": ...}` with the `x-amzn-ErrorType` header; services the model marks
`awsQueryCompatible` also get `x-amzn-query-error: <query code>;Sender|Receiver`, which is how
botocore finds the exception class of an error that once belonged to the query protocol.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.aws.errors import AWSError, SerializationError, UnknownOperation
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols import Protocol

__all__ = ["JsonProtocol", "error_shape_for", "parse_timestamp", "wire_error"]


class JsonProtocol(Protocol):
    """AWS JSON 1.0/1.1: the protocol of KMS, Secrets Manager, SSM, ACM and most newer services."""

    name = "json"

    def find_operation(self, service: ServiceModel, request: HttpRequest) -> OperationModel:
        target = request.headers.get("X-Amz-Target") or ""
        targets: dict[str, OperationModel] | None = service.__dict__.get(_TARGETS_KEY)
        if targets is None:
            targets = service.__dict__[_TARGETS_KEY] = _operations_by_target(service)
        operation = targets.get(target) if request.method == "POST" else None
        if operation is None:
            raise UnknownOperation(f"Operation {target!r} is not supported by this service" if target else "")
        return operation

    def parse_request(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        shape = operation.input_shape
        body = request.body.strip()
        if not body:
            return {}
        document = _loads(body)
        if not isinstance(document, dict):
            raise SerializationError("Start of structure or map expected for the request body")
        if shape is None:
            return {}
        try:
            parsed = _parser(shape)(document)
        except Exception:
            # The compiled parser only knows that something is wrong: the walk says what and where,
            # from the standard library's reading (orjson reads integers beyond 64 bits as floats).
            parsed = _parse_value(shape, _std_loads(body), "")
        assert isinstance(parsed, dict)
        return parsed

    def serialize_response(
        self, operation: OperationModel, result: dict[str, Any], request_id: str
    ) -> HttpResponse:
        shape = operation.output_shape
        body = _serializer(shape)(result) if shape is not None else {}
        headers = _headers(operation.service_model, request_id)
        return HttpResponse(200, headers, _dumps_compiled(body))

    def serialize_error(
        self,
        service: ServiceModel,
        operation: OperationModel | None,
        error: AWSError,
        request_id: str,
    ) -> HttpResponse:
        wire = wire_error(service, operation, error)
        headers = _headers(service, request_id)
        headers["x-amzn-ErrorType"] = wire.code
        if wire.query_error is not None:
            headers["x-amzn-query-error"] = wire.query_error
        body: dict[str, Any] = {}
        if error.extra:
            extra = _serialize_value(wire.shape, error.extra) if wire.shape is not None else error.extra
            body.update(extra)
        body["__type"] = wire.code
        body[wire.message_key] = error.message
        return HttpResponse(wire.status, headers, _dumps(body))


_TARGETS_KEY = "_strongroom_json_targets"


def _operations_by_target(service: ServiceModel) -> dict[str, OperationModel]:
    """Each `X-Amz-Target` the service answers (`<targetPrefix>.<operation>`), kept on the model."""
    prefix = service.metadata.get("targetPrefix")
    if not isinstance(prefix, str):
        return {}
    return {f"{prefix}.{name}": service.operation_model(name) for name in service.operation_names}


class WireError:
    """How an error appears on the wire for json-like protocols (shared with rpcv2-cbor)."""

    __slots__ = ("code", "message_key", "query_error", "shape", "status")

    def __init__(
        self, code: str, status: int, shape: Shape | None, query_error: str | None, message_key: str
    ) -> None:
        self.code = code
        self.status = status
        self.shape = shape
        self.query_error = query_error
        self.message_key = message_key


def error_shape_for(service: ServiceModel, operation: OperationModel | None, code: str) -> Shape | None:
    """The model's error shape for `code`, found by its shape name or by its declared `error.code`."""
    candidates = list(operation.error_shapes) if operation is not None else []
    for shape in candidates:
        if code in (shape.name, shape.error_code):
            return shape
    shape = service.shape_for_error_code(code)
    if shape is not None:
        return shape
    if code in service.shape_names:
        named = service.shape_for(code)
        if named.metadata.get("exception"):
            return named
    return None


def wire_error(service: ServiceModel, operation: OperationModel | None, error: AWSError) -> WireError:
    """The wire code, status and headers of `error`, honouring the model's `error` trait."""
    shape = error_shape_for(service, operation, error.code)
    trait: dict[str, Any] = shape.metadata.get("error", {}) if shape is not None else {}
    status = int(trait.get("httpStatusCode", error.status))
    sender_fault = bool(trait.get("senderFault", error.sender_fault)) if trait else error.sender_fault
    query_compatible = bool(service.metadata.get("awsQueryCompatible") is not None)
    if shape is None:
        code = error.code
        query_error = f"{code};{'Sender' if sender_fault else 'Receiver'}" if query_compatible else None
    elif query_compatible:
        # The JSON code is the shape's name; the query-era code travels in the header.
        code = shape.name
        query_error = f"{shape.error_code};{'Sender' if sender_fault else 'Receiver'}"
    else:
        code = shape.error_code
        query_error = None
    message_key = "message"
    if shape is not None and "message" not in shape.members and "Message" in shape.members:
        message_key = "Message"
    return WireError(code, status, shape, query_error, message_key)


def _headers(service: ServiceModel, request_id: str) -> Headers:
    version = service.metadata.get("jsonVersion", "1.0")
    return Headers(
        [
            ("Content-Type", f"application/x-amz-json-{version}"),
            ("x-amzn-RequestId", request_id),
        ]
    )


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=_json_fallback).encode()


# The body's bytes stay exactly what `_dumps` writes (tests and clients compare them): orjson
# writes the same bytes for str keys, ASCII text without DEL, ints of 64 bits and floats of at
# least 1e-4 in magnitude. Anything else makes it raise (datetimes, subclasses and dataclasses
# are passed through to an absent default, `_Exact` marks what compiled serializers cannot vouch
# for) or shows in its output, and the standard library writes those bodies instead.
_ORJSON_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _dumps_compiled(body: Any) -> bytes:
    """`_dumps` of a compiled serializer's output."""
    try:
        out = orjson.dumps(body, option=_ORJSON_OPTIONS)
    except TypeError:
        return _dumps(body)
    if out.isascii() and b"\x7f" not in out:
        return out
    return _dumps(body)


class _Exact:
    """A value only the standard library's encoder is trusted to write (see `_dumps_compiled`)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _json_fallback(value: Any) -> Any:
    if isinstance(value, _Exact):
        return value.value
    # Only reached for values outside a modeled shape (document members, unmodeled error extras).
    if isinstance(value, datetime):
        return _epoch_seconds(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    return str(value)


# --- request: JSON → plain values ---------------------------------------------------------------


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson refuses some of what the standard library reads (NaN, lone surrogates, 1E400).
        return _std_loads(body)


def _std_loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationError("The request body is not valid JSON") from exc


_Convert = Callable[[Any], Any]
_PARSER_KEY = "_strongroom_json_parser"
_SERIALIZER_KEY = "_strongroom_json_serializer"


class _Rejected(Exception):
    """A compiled parser met a value `_parse_value` would refuse; it words the error."""


def _compiled(shape: Shape, key: str, compiler: Callable[[Shape], _Convert]) -> _Convert:
    """The converter for `shape`, built once and kept on the shape object.

    botocore caches member shapes on their parents, so a converter lives as long as its model;
    member converters are looked up on first use, which also stops at recursive shapes.
    """
    found: _Convert | None = shape.__dict__.get(key)
    if found is None:
        found = shape.__dict__[key] = compiler(shape)
    return found


def _lazy(shape: Shape, key: str, compiler: Callable[[Shape], _Convert]) -> _Convert:
    converter: _Convert | None = shape.__dict__.get(key)
    if converter is not None:
        return converter

    def convert_later(value: Any) -> Any:
        return _compiled(shape, key, compiler)(value)

    return convert_later


def _parser(shape: Shape) -> _Convert:
    return _compiled(shape, _PARSER_KEY, _compile_parser)


def _parse_document(value: Any) -> Any:
    # A document is taken as read, so it must be read by the standard library (see `_loads`).
    raise _Rejected


def _compile_parser(shape: Shape) -> _Convert:
    """`_parse_value(shape, value, path)` without the path: any refusal raises."""
    type_name = shape.type_name
    if type_name == "structure":
        if shape.metadata.get("document"):
            return _parse_document
        members = tuple(
            (member.serialization.get("name", name), name, _scalar_parser(member))
            for name, member in shape.members.items()
        )

        def parse_structure(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _Rejected
            result: dict[str, Any] = {}
            get = value.get
            for wire, name, convert in members:
                raw = get(wire)
                if raw is not None:
                    result[name] = convert(raw)
            return result

        return parse_structure
    if type_name == "list":
        item = _scalar_parser(shape.member)

        def parse_list(value: Any) -> Any:
            if not isinstance(value, list):
                raise _Rejected
            return [None if entry is None else item(entry) for entry in value]

        return parse_list
    if type_name == "map":
        entry_value = _scalar_parser(shape.value)

        def parse_map(value: Any) -> Any:
            if not isinstance(value, dict):
                raise _Rejected
            return {key: entry_value(entry) for key, entry in value.items() if entry is not None}

        return parse_map
    return _scalar_parser(shape)


def _scalar_parser(shape: Shape) -> _Convert:
    type_name = shape.type_name
    if type_name in ("structure", "list", "map"):
        return _lazy(shape, _PARSER_KEY, _compile_parser)
    if type_name == "string":
        return _parse_string
    if type_name == "boolean":
        return _parse_boolean
    if type_name in ("integer", "long"):
        return _parse_integer
    if type_name == "blob":
        return _parse_blob

    def parse_scalar(value: Any) -> Any:
        return _parse_scalar(shape, value, "")

    return parse_scalar


def _exactly(kind: type) -> Callable[[Any], Any]:
    """A parser taking values of exactly `kind` as they are (True is not an integer here)."""

    def parse(value: Any) -> Any:
        if value.__class__ is not kind:
            raise _Rejected
        return value

    return parse


_parse_string = _exactly(str)
_parse_boolean = _exactly(bool)
_parse_integer = _exactly(int)


def _parse_blob(value: Any) -> Any:
    if value.__class__ is not str:
        raise _Rejected
    return base64.b64decode(value, validate=True)


def _type_error(expected: str, value: Any, path: str) -> SerializationError:
    found = {dict: "structure or map", list: "list", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else "null"
    )
    where = f" for '{path}'" if path else ""
    return SerializationError(f"Expected {expected}{where} but found {found}")


def _parse_value(shape: Shape, value: Any, path: str) -> Any:
    type_name = shape.type_name
    if type_name == "structure":
        if shape.metadata.get("document"):
            return value
        if not isinstance(value, dict):
            raise _type_error("structure", value, path)
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            raw = value.get(member.serialization.get("name", name))
            if raw is not None:
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
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error("integer", value, path)
        if isinstance(value, float):
            if not value.is_integer():
                raise _type_error("integer", value, path)
            return int(value)
        return value
    if type_name in ("float", "double"):
        return _parse_float(value, path)
    if type_name == "blob":
        if not isinstance(value, str):
            raise _type_error("base64-encoded blob", value, path)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SerializationError(f"Value for '{path}' is not valid base64") from exc
    if type_name == "timestamp":
        return parse_timestamp(value, path)
    return value


def _parse_float(value: Any, path: str) -> float:
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error("number", value, path)
    return float(value)


def parse_timestamp(value: Any, path: str = "") -> datetime:
    """A timezone-aware UTC datetime from epoch seconds, ISO 8601 or RFC 822 text."""
    if isinstance(value, bool):
        raise _type_error("timestamp", value, path)
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise SerializationError(f"Timestamp for '{path}' is out of range") from exc
    if isinstance(value, str):
        text = value.strip()
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except (ValueError, OverflowError, OSError):
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError) as exc:
                raise SerializationError(f"Value for '{path}' is not a valid timestamp") from exc
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    raise _type_error("timestamp", value, path)


# --- response: plain values → JSON --------------------------------------------------------------


def _serialize_value(shape: Shape, value: Any) -> Any:
    type_name = shape.type_name
    if type_name == "structure":
        if shape.metadata.get("document"):
            return value
        result: dict[str, Any] = {}
        for name, member in shape.members.items():
            item = value.get(name)
            if item is not None:
                result[member.serialization.get("name", name)] = _serialize_value(member, item)
        return result
    if type_name == "list":
        return [None if item is None else _serialize_value(shape.member, item) for item in value]
    if type_name == "map":
        return {
            str(key): _serialize_value(shape.value, item) for key, item in value.items() if item is not None
        }
    if type_name == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode()
    if type_name == "timestamp":
        return format_timestamp(value, shape.serialization.get("timestampFormat", "unixTimestamp"))
    if type_name in ("float", "double"):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return number
    if type_name in ("integer", "long"):
        return int(value)
    if type_name == "boolean":
        return bool(value)
    return value


def _serializer(shape: Shape) -> _Convert:
    return _compiled(shape, _SERIALIZER_KEY, _compile_serializer)


def _compile_serializer(shape: Shape) -> _Convert:
    """`_serialize_value(shape, value)`, with `_Exact` around what orjson might write differently."""
    type_name = shape.type_name
    if type_name == "structure":
        if shape.metadata.get("document"):
            return _Exact
        members = tuple(
            (name, member.serialization.get("name", name), _member_serializer(member))
            for name, member in shape.members.items()
        )

        def serialize_structure(value: Any) -> Any:
            result: dict[str, Any] = {}
            get = value.get
            for name, wire, convert in members:
                item = get(name)
                if item is not None:
                    result[wire] = convert(item)
            return result

        return serialize_structure
    if type_name == "list":
        item = _member_serializer(shape.member)
        return lambda value: [None if entry is None else item(entry) for entry in value]
    if type_name == "map":
        entry_value = _member_serializer(shape.value)
        return lambda value: {
            str(key): entry_value(entry) for key, entry in value.items() if entry is not None
        }
    if type_name == "blob":
        return _serialize_blob
    if type_name == "timestamp":
        timestamp_format = shape.serialization.get("timestampFormat", "unixTimestamp")
        return lambda value: _orjson_safe(format_timestamp(value, timestamp_format))
    if type_name in ("float", "double"):
        return lambda value: _orjson_safe(_serialize_value(shape, value))
    if type_name in ("integer", "long"):
        return _serialize_integer
    if type_name == "boolean":
        return bool
    return _serialize_text


def _member_serializer(shape: Shape) -> _Convert:
    if shape.type_name in ("structure", "list", "map"):
        return _lazy(shape, _SERIALIZER_KEY, _compile_serializer)
    return _serializer(shape)


def _serialize_blob(value: Any) -> str:
    raw = value.encode() if isinstance(value, str) else bytes(value)
    return binascii.b2a_base64(raw, newline=False).decode()


def _serialize_integer(value: Any) -> Any:
    number = int(value)
    return number if number.__class__ is int else _Exact(number)


def _serialize_text(value: Any) -> Any:
    return value if value.__class__ is str else _Exact(value)


def _orjson_safe(value: Any) -> Any:
    if value.__class__ is float and value != 0 and -1e-4 < value < 1e-4:
        return _Exact(value)
    return value


def format_timestamp(value: Any, timestamp_format: str) -> Any:
    """A timestamp in the model's `timestampFormat`: epoch seconds, ISO 8601 or RFC 822."""
    moment = value if isinstance(value, datetime) else parse_timestamp(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    fmt = timestamp_format.lower()
    if fmt == "iso8601":
        utc = moment.astimezone(UTC)
        if utc.microsecond:
            return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "rfc822":
        return formatdate(moment.timestamp(), usegmt=True)
    return _epoch_seconds(moment)


def _epoch_seconds(moment: datetime) -> float | int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = moment.timestamp()
    return int(seconds) if seconds.is_integer() else round(seconds, 6)


# Imported last: the registry imports every protocol module, this one included.
from strongroom.aws.protocols.registry import PROTOCOLS  # noqa: E402

PROTOCOLS["json"] = JsonProtocol()
