"""PutEvents entries and PutTargets targets: AWS's checks, sizes and per-entry errors."""

from __future__ import annotations

import json
from typing import Any

from strongroom.core.events.transform import InvalidTransform, check_input_path, check_template
from strongroom.services.events.errors import invalid

MAX_REQUEST_SIZE = 256 * 1024
EVENT_REQUIRED_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def entry_size(entry: dict[str, Any]) -> int:
    """AWS's documented PutEvents entry size: Time counts 14 bytes, strings count their UTF-8."""
    size = 14 if entry.get("Time") is not None else 0
    for member in ("Source", "DetailType", "Detail"):
        if entry.get(member) is not None:
            size += len(str(entry[member]).encode())
    size += sum(len(r.encode()) for r in entry.get("Resources") or [])
    return size


def check_request_size(entries: list[dict[str, Any]]) -> None:
    if sum(entry_size(e) for e in entries) > MAX_REQUEST_SIZE:
        raise invalid("Total size of the entries in the request is over the limit.")


def entry_error(entry: dict[str, Any]) -> tuple[str, str] | None:
    """(ErrorCode, ErrorMessage) for an entry AWS would refuse, None for a good one."""
    for member in ("Source", "DetailType", "Detail"):
        if not entry.get(member):
            return (
                "InvalidArgument",
                f"Parameter {member} is not valid. Reason: {member} is a required argument.",
            )
    if str(entry["Source"]).lower().startswith("aws."):
        return "NotAuthorizedForSourceException", "Not authorized for the source."
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        return "MalformedDetail", "Detail is malformed."
    if not isinstance(detail, dict):
        return "MalformedDetail", "Detail is malformed."
    return None


def check_test_event(text: str) -> dict[str, Any]:
    try:
        event = json.loads(text)
    except ValueError:
        raise invalid("Parameter Event is not valid.") from None
    if not isinstance(event, dict) or any(f not in event for f in EVENT_REQUIRED_FIELDS):
        raise invalid("Parameter Event is not valid.")
    return event


def check_target(target: dict[str, Any]) -> None:
    """The checks PutTargets makes on one target before storing it."""
    target_id = target["Id"]
    given = [m for m in ("Input", "InputPath", "InputTransformer") if target.get(m) is not None]
    if len(given) > 1:
        raise invalid(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
        )
    if not str(target["Arn"]).startswith("arn:"):
        raise invalid(
            f"Parameter {target['Arn']} is not valid. Reason: Provided Arn is not in correct format."
        )
    try:
        if target.get("Input") is not None:
            json.loads(target["Input"])
        if target.get("InputPath") is not None:
            check_input_path(target["InputPath"])
        transformer = target.get("InputTransformer")
        if transformer is not None:
            paths = transformer.get("InputPathsMap") or {}
            if len(paths) > 100:
                raise invalid("InputPathsMap may hold at most 100 variables.")
            check_template(paths, transformer["InputTemplate"])
    except ValueError as exc:
        message = str(exc) if isinstance(exc, InvalidTransform) else "Input is not valid JSON."
        raise invalid(f"Target {target_id}: {message}") from None
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dlq is not None and not str(dlq).startswith("arn:"):
        raise invalid("DeadLetterConfig Arn is not a valid ARN.")
    policy = target.get("RetryPolicy") or {}
    age = policy.get("MaximumEventAgeInSeconds")
    if age is not None and not 60 <= int(age) <= 86_400:
        raise invalid("MaximumEventAgeInSeconds must be between 60 and 86400.")
