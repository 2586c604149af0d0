"""One module per AWS wire protocol; each turns HTTP into an operation and plain values, and back.

Plain values are what a boto3 user sees: dict for structures and maps, list, str, int, float,
bool, bytes for blobs, timezone-aware `datetime` for timestamps. Streaming blob payloads are bytes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from botocore.model import OperationModel, ServiceModel

from strongroom.aws.errors import AWSError
from strongroom.aws.http import HttpRequest, HttpResponse


class Protocol(ABC):
    """The wire form of one AWS protocol (json, rest-json, query, ec2, rest-xml, smithy-rpc-v2-cbor)."""

    name: str

    @abstractmethod
    def find_operation(self, service: ServiceModel, request: HttpRequest) -> OperationModel:
        """The operation the request names; `UnknownOperation` (or the protocol's equivalent) if none."""

    @abstractmethod
    def parse_request(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        """The request's input members as plain values (not yet validated against the shape)."""

    @abstractmethod
    def serialize_response(
        self, operation: OperationModel, result: dict[str, Any], request_id: str
    ) -> HttpResponse:
        """The HTTP response for a handler's result (output shape members as plain values)."""

    @abstractmethod
    def serialize_error(
        self,
        service: ServiceModel,
        operation: OperationModel | None,
        error: AWSError,
        request_id: str,
    ) -> HttpResponse:
        """The HTTP response for an error, in the protocol's own error form."""


def protocol_for(service: ServiceModel) -> Protocol:
    """The protocol Strongroom speaks for a service: the first of the model's `protocols` we know."""
    from strongroom.aws.protocols.registry import PROTOCOLS

    names = service.metadata.get("protocols") or [service.metadata["protocol"]]
    for name in names:
        if name in PROTOCOLS:
            return PROTOCOLS[name]
    return PROTOCOLS[service.metadata["protocol"]]
