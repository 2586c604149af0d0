"""The wire form of an error as the service model declares it: code, HTTP status, fault, extra members.

A service raises `ServiceError` with either the shape name (`NoSuchEntityException`) or the wire
code (`NoSuchEntity`); the model's `error` trait (awsQueryError) then decides the code and status
that go on the wire. Errors raised by the kernel itself (validation, access, unknown operation)
carry generic codes that each protocol may spell its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, ServiceModel, StructureShape

from strongroom.aws.errors import AWSError


@dataclass(frozen=True)
class WireError:
    """An error ready for a protocol to write."""

    code: str
    status: int
    sender_fault: bool
    message: str
    shape: StructureShape | None
    extra: dict[str, Any]


def resolve_error(
    service: ServiceModel,
    operation: OperationModel | None,
    error: AWSError,
    generic_codes: dict[str, tuple[str, int]] | None = None,
) -> WireError:
    """The code, status and shape an error is answered with in `service`."""
    shape = _error_shape(service, operation, error.code)
    if shape is not None:
        trait = shape.metadata.get("error") or {}
        return WireError(
            code=str(shape.error_code),
            status=int(trait.get("httpStatusCode", error.status)),
            sender_fault=bool(trait.get("senderFault", error.sender_fault)),
            message=error.message,
            shape=shape,
            extra=dict(error.extra),
        )
    code, status = (generic_codes or {}).get(error.code, (error.code, error.status))
    return WireError(code, status, error.sender_fault, error.message, None, dict(error.extra))


def _error_shape(service: ServiceModel, operation: OperationModel | None, code: str) -> StructureShape | None:
    if operation is not None:
        for shape in operation.error_shapes:
            if code in (shape.name, shape.error_code):
                return shape
    shape = service.shape_for_error_code(code)
    if shape is not None:
        return shape
    if code in service.shape_names:
        candidate = service.shape_for(code)
        if candidate.metadata.get("exception"):
            return candidate
    return None


def extra_members(wire: WireError) -> list[tuple[str, Any, Any]]:
    """(wire name, shape or None, value) for each extra member, message and code excluded."""
    members = wire.shape.members if wire.shape is not None else {}
    result: list[tuple[str, Any, Any]] = []
    for name, value in wire.extra.items():
        if value is None or name.lower() in ("message", "code"):
            continue
        member_shape = members.get(name)
        wire_name = member_shape.serialization.get("name", name) if member_shape is not None else name
        result.append((wire_name, member_shape, value))
    return result
