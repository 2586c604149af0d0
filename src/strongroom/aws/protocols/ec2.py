"""The `ec2` protocol: the query protocol with EC2's names (`queryName`, capitalized `locationName`),
lists as `Foo.1`, `<requestId>` in the answer and `<Response><Errors>` for errors.
"""

from __future__ import annotations

from typing import Any

from botocore.model import ListShape, OperationModel, ServiceModel, Shape

from strongroom.aws.http import HttpResponse
from strongroom.aws.protocols import xml
from strongroom.aws.protocols.error_shapes import WireError
from strongroom.aws.protocols.query import ParamNode, QueryProtocol


class Ec2Protocol(QueryProtocol):
    """EC2's dialect of the query protocol."""

    name = "ec2"
    generic_codes: dict[str, tuple[str, int]] = {
        "ValidationException": ("InvalidParameterValue", 400),
        "AccessDeniedException": ("UnauthorizedOperation", 403),
        "SerializationException": ("InvalidParameterValue", 400),
        "UnknownOperationException": ("InvalidAction", 400),
    }

    def member_key(self, member_name: str, shape: Shape) -> str:
        serialization = shape.serialization
        if "queryName" in serialization:
            return str(serialization["queryName"])
        name = serialization.get("name")
        if name:
            return str(name[0].upper() + name[1:])
        return member_name

    def _structure_key(self, member_name: str, shape: Shape) -> str:
        return self.member_key(member_name, shape)

    def _list_items(self, shape: ListShape, node: ParamNode) -> list[ParamNode]:
        return node.indexed()

    def namespace(self, service: ServiceModel) -> str:
        # The model drops the trailing slash EC2 itself always sends.
        ns = str(service.metadata.get("xmlNamespace", "http://ec2.amazonaws.com/doc/2016-11-15"))
        return ns if ns.endswith("/") else ns + "/"

    def serialize_response(
        self, operation: OperationModel, result: dict[str, Any], request_id: str
    ) -> HttpResponse:
        shape = operation.output_shape
        members = xml.write_structure_members(shape, result) if shape is not None else ""
        name = operation.name
        ns = xml.escape_attribute(self.namespace(operation.service_model))
        request_id_element = xml.text_element("requestId", request_id)
        document = f'<{name}Response xmlns="{ns}">{request_id_element}{members}</{name}Response>'
        return self.xml_response(200, document)

    def error_document(self, service: ServiceModel, wire: WireError, request_id: str) -> str:
        return (
            f"<Response><Errors><Error>{xml.error_fields(wire)}</Error></Errors>"
            f"{xml.text_element('RequestID', request_id)}</Response>"
        )


# Imported last: the registry imports every protocol module (see query.py).
from strongroom.aws.protocols.registry import PROTOCOLS  # noqa: E402

PROTOCOLS["ec2"] = Ec2Protocol()
