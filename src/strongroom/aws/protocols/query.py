"""The `query` protocol (STS, IAM): form-encoded `Action` requests, `<OpResponse><OpResult>` answers.

Request parameters are flat dotted keys (`Tags.member.1.Key`, `Attributes.entry.1.value`); they
are first folded into a tree on the dots, then read against the input shape. The `ec2` protocol
differs only in its names, its lists and its envelopes, and subclasses this one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from strongroom.aws.errors import AWSError, SerializationError, UnknownOperation
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols import Protocol, values, xml
from strongroom.aws.protocols.error_shapes import WireError, resolve_error

XML_CONTENT_TYPE = "text/xml"


class ParamNode:
    """One dotted segment of the request parameters: its own value and the segments below it."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, ParamNode] = {}

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> ParamNode:
        root = cls()
        for key, value in pairs:
            node = root
            for segment in key.split("."):
                node = node.children.setdefault(segment, cls())
            node.value = value
        return root

    def indexed(self) -> list[ParamNode]:
        """The children named 1, 2, 3 … in numeric order (gaps are tolerated, as AWS does)."""
        numbered = [(int(k), v) for k, v in self.children.items() if k.isdigit()]
        return [node for _, node in sorted(numbered, key=lambda item: item[0])]


def request_params(request: HttpRequest) -> list[tuple[str, str]]:
    """The query-string parameters followed by the form body's (so the body wins on repeats)."""
    cached: list[tuple[str, str]] | None = request.derived.get("query_params")
    if cached is None:
        cached = request.derived["query_params"] = _request_params(request)
    return cached


def _request_params(request: HttpRequest) -> list[tuple[str, str]]:
    pairs = request.query_params()
    content_type = (request.headers.get("content-type") or "").lower()
    if request.body and (not content_type or "x-www-form-urlencoded" in content_type):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise SerializationError("The request body is not valid UTF-8") from None
        pairs.extend(parse_qsl(text, keep_blank_values=True))
    return pairs


class QueryProtocol(Protocol):
    """awsQuery: the form-encoded RPC protocol of STS, IAM, SNS, SQS (legacy) and others."""

    name = "query"
    # Codes the kernel raises, as query services spell them on the wire.
    generic_codes: dict[str, tuple[str, int]] = {
        "ValidationException": ("ValidationError", 400),
        "AccessDeniedException": ("AccessDenied", 403),
        "SerializationException": ("MalformedInput", 400),
        "UnknownOperationException": ("InvalidAction", 400),
    }

    def __init__(self) -> None:
        self._operation_names: dict[tuple[str, str], frozenset[str]] = {}

    # --- finding and parsing ---------------------------------------------------------------------

    def find_operation(self, service: ServiceModel, request: HttpRequest) -> OperationModel:
        action = next((v for k, v in reversed(request_params(request)) if k == "Action"), None)
        key = (service.service_name, service.api_version)
        names = self._operation_names.get(key)
        if names is None:
            names = self._operation_names[key] = frozenset(service.operation_names)
        if not action:
            raise UnknownOperation("The request must contain the parameter Action", code="InvalidAction")
        if action not in names:
            raise UnknownOperation(
                f"The action {action} is not valid for this web service.", code="InvalidAction"
            )
        return service.operation_model(action)

    def parse_request(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        tree = ParamNode.from_pairs(request_params(request))
        return self._read_structure(shape, tree)

    def member_key(self, member_name: str, shape: Shape) -> str:
        """The parameter segment a structure member is sent under."""
        return str(shape.serialization.get("name", member_name))

    def _structure_key(self, member_name: str, shape: Shape) -> str:
        # A flattened list with a named member is sent under that name instead of the member's.
        if isinstance(shape, ListShape) and shape.serialization.get("flattened"):
            item_name = shape.member.serialization.get("name")
            if item_name:
                return str(item_name)
        return self.member_key(member_name, shape)

    def _read_structure(self, shape: StructureShape, node: ParamNode) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for member_name, member_shape in shape.members.items():
            child = node.children.get(self._structure_key(member_name, member_shape))
            if child is not None:
                result[member_name] = self._read(member_shape, child)
        return result

    def _read(self, shape: Shape, node: ParamNode) -> Any:
        if isinstance(shape, StructureShape):
            return self._read_structure(shape, node)
        if isinstance(shape, ListShape):
            return [self._read(shape.member, item) for item in self._list_items(shape, node)]
        if isinstance(shape, MapShape):
            return self._read_map(shape, node)
        return values.parse_scalar(shape.type_name, node.value or "")

    def _list_items(self, shape: ListShape, node: ParamNode) -> list[ParamNode]:
        if shape.serialization.get("flattened"):
            return node.indexed()
        holder = node.children.get(str(shape.member.serialization.get("name", "member")))
        return holder.indexed() if holder is not None else []

    def _read_map(self, shape: MapShape, node: ParamNode) -> dict[str, Any]:
        holder = node if shape.serialization.get("flattened") else node.children.get("entry")
        if holder is None:
            return {}
        key_name = self.member_key("key", shape.key)
        value_name = self.member_key("value", shape.value)
        result: dict[str, Any] = {}
        for entry in holder.indexed():
            key_node = entry.children.get(key_name)
            if key_node is None:
                continue
            value_node = entry.children.get(value_name)
            key = self._read(shape.key, key_node)
            result[key] = self._read(shape.value, value_node) if value_node is not None else None
        return result

    # --- answering -------------------------------------------------------------------------------

    @staticmethod
    def xml_response(status: int, document: str) -> HttpResponse:
        headers = Headers([("Content-Type", XML_CONTENT_TYPE)])
        return HttpResponse(status=status, headers=headers, body=document.encode("utf-8"))

    def namespace(self, service: ServiceModel) -> str:
        return str(service.metadata.get("xmlNamespace", ""))

    def serialize_response(
        self, operation: OperationModel, result: dict[str, Any], request_id: str
    ) -> HttpResponse:
        body = self.response_document(operation, result, request_id)
        return self.xml_response(200, body)

    def response_document(self, operation: OperationModel, result: dict[str, Any], request_id: str) -> str:
        name = operation.name
        shape = operation.output_shape
        members = xml.write_structure_members(shape, result) if shape is not None else ""
        wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
        if wrapper:
            members = f"<{wrapper}>{members}</{wrapper}>"
        ns = xml.escape_attribute(self.namespace(operation.service_model))
        return (
            f'<{name}Response xmlns="{ns}">{members}'
            f"<ResponseMetadata>{xml.text_element('RequestId', request_id)}</ResponseMetadata>"
            f"</{name}Response>"
        )

    def serialize_error(
        self,
        service: ServiceModel,
        operation: OperationModel | None,
        error: AWSError,
        request_id: str,
    ) -> HttpResponse:
        wire = resolve_error(service, operation, error, self.generic_codes)
        return self.xml_response(wire.status, self.error_document(service, wire, request_id))

    def error_document(self, service: ServiceModel, wire: WireError, request_id: str) -> str:
        ns = xml.escape_attribute(self.namespace(service))
        return (
            f'<ErrorResponse xmlns="{ns}"><Error>'
            f"{xml.text_element('Type', 'Sender' if wire.sender_fault else 'Receiver')}"
            f"{xml.error_fields(wire)}</Error>"
            f"{xml.text_element('RequestId', request_id)}</ErrorResponse>"
        )


# Imported last: the registry imports every protocol module, and `ec2` needs this one complete.
from strongroom.aws.protocols.registry import PROTOCOLS  # noqa: E402

PROTOCOLS["query"] = QueryProtocol()
