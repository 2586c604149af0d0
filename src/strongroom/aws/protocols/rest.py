"""What rest-json and rest-xml share: routing by method and URI template, and the members bound to
the URI, query string, headers, host prefix and status code.

Routing picks, among the operations whose method, path template and literal query keys
(`?uploads`, `?list-type=2`) match, the most specific one: more literal path, then more literal
query keys, then more of its required query/header members present (S3's `x-amz-copy-source`
turns PutObject into CopyObject), then more of the request's query keys known to it, then the
non-deprecated one. Label values are percent-decoded once; a greedy `{Key+}` label spans slashes.
"""

from __future__ import annotations

import base64
import json
import re
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from strongroom.aws.errors import AWSError, SerializationError
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols import Protocol, values

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class UriTemplate:
    """A `requestUri` such as `/{Bucket}/{Key+}?uploads`, compiled for matching."""

    regex: re.Pattern[str]
    labels: tuple[str, ...]
    literal_segments: int
    literal_length: int
    query_literals: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, request_uri: str) -> UriTemplate:
        path, _, query = request_uri.partition("?")
        pattern: list[str] = []
        labels: list[str] = []
        position = 0
        for match in _LABEL.finditer(path):
            pattern.append(re.escape(path[position : match.start()]))
            name = match.group(1)
            greedy = name.endswith("+")
            labels.append(name.rstrip("+"))
            pattern.append("(.+)" if greedy else "([^/]+)")
            position = match.end()
        tail = path[position:]
        pattern.append(re.escape(tail))
        if not (path.endswith("/") or path.endswith("+}")):
            pattern.append("/?")  # `/bucket/` is the bucket, as S3 and API Gateway treat it
        literal = _LABEL.sub("", path)
        literal_segments = sum(1 for segment in path.split("/") if segment and not _LABEL.search(segment))
        query_literals = tuple(
            (key, value if sep else None)
            for key, sep, value in (part.partition("=") for part in query.split("&") if part)
        )
        return cls(
            regex=re.compile("".join(pattern)),
            labels=tuple(labels),
            literal_segments=literal_segments,
            literal_length=len(literal.replace("/", "")),
            query_literals=query_literals,
        )

    def match(self, raw_path: str) -> dict[str, str] | None:
        """The decoded label values if `raw_path` fits the template."""
        found = self.regex.fullmatch(raw_path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in zip(self.labels, found.groups(), strict=True)}

    def query_matches(self, query: dict[str, list[str]]) -> bool:
        return all(
            key in query and (value is None or value in query[key]) for key, value in self.query_literals
        )


@dataclass(frozen=True)
class Route:
    """One operation's place in the URI space and the members that must accompany it."""

    operation: OperationModel
    template: UriTemplate
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    query_names: frozenset[str]
    deprecated: bool

    @classmethod
    def build(cls, operation: OperationModel) -> Route:
        shape = operation.input_shape
        required_query: list[str] = []
        required_headers: list[str] = []
        query_names: set[str] = set()
        if shape is not None:
            required = set(shape.required_members)
            for name, member in shape.members.items():
                location = member.serialization.get("location")
                wire = str(member.serialization.get("name", name))
                if location == "querystring":
                    query_names.add(wire)
                    if name in required and not isinstance(member, MapShape):
                        required_query.append(wire)
                elif location == "header" and name in required:
                    required_headers.append(wire.lower())
        return cls(
            operation=operation,
            template=template_for(operation),
            required_query=tuple(required_query),
            required_headers=tuple(required_headers),
            query_names=frozenset(query_names),
            deprecated=bool(operation.deprecated),
        )

    def has_required(self, query: dict[str, list[str]], header_names: set[str]) -> bool:
        return all(k in query for k in self.required_query) and all(
            h in header_names for h in self.required_headers
        )

    def rank(self, query: dict[str, list[str]]) -> tuple[int, ...]:
        return (
            self.template.literal_segments,
            self.template.literal_length,
            len(self.template.query_literals),
            len(self.required_query) + len(self.required_headers),
            sum(1 for key in query if key in self.query_names),
            0 if self.deprecated else 1,
        )


_TEMPLATES: dict[tuple[str, str, str], UriTemplate] = {}


def template_for(operation: OperationModel) -> UriTemplate:
    key = (operation.service_model.service_name, operation.service_model.api_version, operation.name)
    template = _TEMPLATES.get(key)
    if template is None:
        template = _TEMPLATES[key] = UriTemplate.parse(operation.http["requestUri"])
    return template


class Router:
    """The operations of one REST service, grouped by HTTP method."""

    def __init__(self, service: ServiceModel) -> None:
        self._routes: dict[str, list[Route]] = {}
        for name in service.operation_names:
            operation = service.operation_model(name)
            method = operation.http.get("method", "POST").upper()
            self._routes.setdefault(method, []).append(Route.build(operation))

    def find(
        self, method: str, paths: Iterable[str], query: dict[str, list[str]], headers: Headers
    ) -> tuple[OperationModel, str] | None:
        """The operation a request names and the path form it was matched on.

        Each candidate path (S3 tries its virtual-host form first) is tried in turn; the first
        whose match has all its required query/header members wins, else the best partial match.
        """
        header_names = {name.lower() for name, _ in headers.items()}
        routes = self._routes.get(method.upper(), [])
        wanted = query.get("x-id")  # S3 clients may name the operation outright
        fallback: tuple[OperationModel, str] | None = None
        for path in paths:
            matched = [
                r for r in routes if r.template.query_matches(query) and r.template.match(path) is not None
            ]
            if wanted:
                matched = [r for r in matched if r.operation.name in wanted] or matched
            complete = [r for r in matched if r.has_required(query, header_names)]
            if complete:
                return max(complete, key=lambda r: r.rank(query)).operation, path
            if matched and fallback is None:
                fallback = max(matched, key=lambda r: r.rank(query)).operation, path
        return fallback


def query_dict(request: HttpRequest) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, value in request.query_params():
        result.setdefault(key, []).append(value)
    return result


# --- reading bound members ---------------------------------------------------------------------


def split_header_list(text: str) -> list[str]:
    """A comma-separated header value, honouring double-quoted items with backslash escapes."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = was_quoted = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            else:
                current.append(char)
        elif char == '"':
            quoted = was_quoted = True
            current = []  # whitespace before the opening quote is not part of the item
        elif char == ",":
            items.append("".join(current) if was_quoted else "".join(current).strip())
            current, was_quoted = [], False
        elif not was_quoted:
            current.append(char)
    items.append("".join(current) if was_quoted else "".join(current).strip())
    return items


def _header_value(shape: Shape, text: str) -> Any:
    if isinstance(shape, ListShape):
        return [_header_value(shape.member, item) for item in split_header_list(text)]
    if shape.serialization.get("jsonvalue"):
        try:
            return json.loads(base64.b64decode(text))
        except ValueError:
            raise SerializationError("Invalid JSON value in header") from None
    return values.parse_scalar(shape.type_name, text.strip())


def host_labels(operation: OperationModel, host: str) -> dict[str, str]:
    """Members bound to the endpoint's host prefix (`{RequestRoute}.`) read back from the host."""
    prefix = (operation.endpoint or {}).get("hostPrefix")
    if not prefix:
        return {}
    names = _LABEL.findall(prefix)
    pattern = _LABEL.sub("([A-Za-z0-9.-]+?)", re.escape(prefix).replace(r"\{", "{").replace(r"\}", "}"))
    found = re.match(pattern, host)
    if found is None:
        return {}
    return dict(zip(names, found.groups(), strict=True))


def read_bound_members(
    shape: StructureShape, request: HttpRequest, labels: dict[str, str], operation: OperationModel
) -> dict[str, Any]:
    """The members carried in the URI, query string, headers and host (not the body)."""
    result: dict[str, Any] = {}
    query = query_dict(request)
    claimed = {
        str(m.serialization.get("name", n))
        for n, m in shape.members.items()
        if m.serialization.get("location") == "querystring" and not isinstance(m, MapShape)
    }
    claimed.update(key for key, _ in template_for(operation).query_literals)
    hosts = host_labels(operation, request.host)
    for name, member in shape.members.items():
        serialization = member.serialization
        location = serialization.get("location")
        wire = str(serialization.get("name", name))
        if location == "uri":
            if wire in labels:
                result[name] = values.parse_scalar(member.type_name, labels[wire])
        elif location == "querystring":
            if isinstance(member, MapShape):
                rest = {k: v for k, v in query.items() if k not in claimed}
                if rest:
                    as_list = isinstance(member.value, ListShape)
                    result[name] = {k: (v if as_list else v[-1]) for k, v in rest.items()}
            elif wire in query:
                if isinstance(member, ListShape):
                    result[name] = [values.parse_scalar(member.member.type_name, v) for v in query[wire]]
                else:
                    result[name] = values.parse_scalar(member.type_name, query[wire][-1])
        elif location == "header":
            text = request.headers.get(wire)
            if text is not None:
                result[name] = _header_value(member, text)
        elif location == "headers":
            prefix = wire.lower()
            found = {
                key[len(prefix) :]: value
                for key, value in request.headers.items()
                if prefix and key.lower().startswith(prefix)
            }
            if found:
                result[name] = found
        elif serialization.get("hostLabel") and name in hosts:
            result[name] = hosts[name]
    return result


# --- writing bound members ---------------------------------------------------------------------


def _header_text(shape: Shape, value: Any) -> str:
    if isinstance(shape, ListShape):
        return ",".join(_header_text(shape.member, item) for item in value if item is not None)
    if shape.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()
    if shape.type_name == "timestamp":
        fmt = shape.serialization.get("timestampFormat", values.RFC822)
        stamp = value if isinstance(value, datetime) else values.parse_timestamp(value)
        return str(values.format_timestamp(stamp, fmt))
    return values.format_scalar(shape.type_name, value)


def write_bound_members(
    operation: OperationModel, shape: StructureShape | None, result: dict[str, Any]
) -> tuple[int, Headers]:
    """The status code and headers an output's bound members ask for."""
    status = int(operation.http.get("responseCode", 200))
    headers = Headers()
    if shape is None:
        return status, headers
    for name, member in shape.members.items():
        value = result.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        wire = str(member.serialization.get("name", name))
        if location == "header":
            if isinstance(member, ListShape) and not value:
                continue
            headers[wire] = _header_text(member, value)
        elif location == "headers":
            for key, item in value.items():
                headers[wire + key] = str(item)
        elif location == "statusCode":
            status = int(value)
    return status, headers


def body_members(shape: StructureShape) -> dict[str, Shape]:
    return {
        name: member
        for name, member in shape.members.items()
        if not member.serialization.get("location") and not member.serialization.get("hostLabel")
    }


# --- the protocol ------------------------------------------------------------------------------


class RestProtocol(Protocol):
    """The REST protocols' common flow; subclasses supply the body format and the error form."""

    content_type: str

    def __init__(self) -> None:
        self._routers: dict[tuple[str, str], Router] = {}

    def router(self, service: ServiceModel) -> Router:
        key = (service.service_name, service.api_version)
        router = self._routers.get(key)
        if router is None:
            router = self._routers[key] = Router(service)
        return router

    def candidate_paths(self, request: HttpRequest) -> list[str]:
        """The paths a request may be routed on, most likely first."""
        return [request.raw_path or "/"]

    @abstractmethod
    def unknown_operation(self, request: HttpRequest) -> AWSError:
        """The error for a request no operation matches."""

    def find_operation(self, service: ServiceModel, request: HttpRequest) -> OperationModel:
        found = self.router(service).find(
            request.method, self.candidate_paths(request), query_dict(request), request.headers
        )
        if found is None:
            raise self.unknown_operation(request)
        return found[0]

    def parse_request(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        template = template_for(operation)
        labels: dict[str, str] = {}
        for path in self.candidate_paths(request):
            matched = template.match(path)
            if matched is not None:
                labels = matched
                break
        result = read_bound_members(shape, request, labels, operation)
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name == "blob":
                if request.body or member.serialization.get("streaming") or member.metadata.get("streaming"):
                    result[payload] = request.body
            elif member.type_name == "string":
                if request.body:
                    result[payload] = _utf8(request.body)
            elif request.body.strip():
                result[payload] = self.read_payload(member, request.body)
        elif request.body.strip() and body_members(shape):
            result.update(self.read_body(shape, request.body))
        return result

    @abstractmethod
    def read_payload(self, shape: Shape, body: bytes) -> Any:
        """A structured payload member from the whole body."""

    @abstractmethod
    def read_body(self, shape: StructureShape, body: bytes) -> dict[str, Any]:
        """The body members of an input structure that has no payload member."""

    def serialize_response(
        self, operation: OperationModel, result: dict[str, Any], request_id: str
    ) -> HttpResponse:
        shape = operation.output_shape
        status, headers = write_bound_members(operation, shape, result)
        body = b""
        stream: Iterator[bytes] | None = None
        stream_length = 0
        content_type: str | None = self.content_type
        if shape is not None:
            payload = shape.serialization.get("payload")
            if payload is not None:
                member = shape.members[payload]
                value = result.get(payload)
                if member.type_name in ("blob", "string") or member.serialization.get("eventstream"):
                    content_type = None
                    if isinstance(value, str):
                        body = value.encode("utf-8")
                    elif isinstance(value, bytes | bytearray):
                        body = bytes(value)
                    elif member.type_name == "blob" and isinstance(value, Iterable):
                        stream, stream_length = _blob_stream(value, headers)
                elif value is not None:
                    body = self.write_payload(operation, payload, member, value)
            else:
                body = self.write_body(operation, shape, result)
        if not body:
            content_type = None
        if content_type and "content-type" not in headers:
            headers["Content-Type"] = content_type
        for name, value in self.request_id_headers(request_id):
            headers[name] = value
        return HttpResponse(
            status=status, headers=headers, body=body, stream=stream, stream_length=stream_length
        )

    @abstractmethod
    def write_payload(self, operation: OperationModel, name: str, shape: Shape, value: Any) -> bytes:
        """A structured payload member as the whole body."""

    @abstractmethod
    def write_body(self, operation: OperationModel, shape: StructureShape, result: dict[str, Any]) -> bytes:
        """The body members of an output structure without a payload member (b"" if none)."""

    @abstractmethod
    def request_id_headers(self, request_id: str) -> list[tuple[str, str]]:
        """The headers that carry the request id."""


def _blob_stream(value: Iterable[bytes], headers: Headers) -> tuple[Iterator[bytes], int]:
    """A blob payload the handler produces chunk by chunk, and its length in bytes.

    The length is the value's own (`len`) or the Content-Length the result's members set: a
    stream whose length nobody knows would need chunked transfer encoding, which S3's clients do
    not expect of a GetObject.
    """
    declared = headers.get("content-length")
    if isinstance(value, Sized):
        length = len(value)
    elif declared is not None and declared.isdigit():
        length = int(declared)
    else:
        raise TypeError("a streamed payload needs a length: len() or a Content-Length member")
    headers["Content-Length"] = str(length)
    return iter(value), length


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise SerializationError("The request body is not valid UTF-8") from None
