"""AWS CloudTrail: LookupEvents over the audit trail every call is recorded in."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError
from strongroom.aws.service import ServiceApi
from strongroom.core.audit import audit_event_resources, audit_events, lookup_query

MAX_RESULTS = 50
LOOKUP_KEYS = (
    "EventId", "EventName", "ReadOnly", "Username",
    "ResourceType", "ResourceName", "EventSource", "AccessKeyId",
)  # fmt: skip


class CloudTrailApi(ServiceApi):
    model_name = "cloudtrail"

    def lookup_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ctx.authorize("cloudtrail:LookupEvents", "*")
        attributes = request.get("LookupAttributes") or []
        if len(attributes) > 1:
            raise ServiceError(
                "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute."
            )
        attribute = None
        if attributes:
            key, value = attributes[0]["AttributeKey"], attributes[0]["AttributeValue"]
            if key not in LOOKUP_KEYS:
                raise ServiceError("InvalidLookupAttributesException", f"Invalid lookup attribute key: {key}")
            attribute = (key, value)
        start: datetime | None = request.get("StartTime")
        end: datetime | None = request.get("EndTime")
        if start is not None and end is not None and start > end:
            raise ServiceError("InvalidTimeRangeException", "Start time must be earlier than end time.")
        limit = request.get("MaxResults", MAX_RESULTS)
        if not 1 <= limit <= MAX_RESULTS:
            raise ServiceError("InvalidMaxResultsException", "Value for MaxResults must be between 1 and 50.")
        if request.get("EventCategory") == "insight":
            return {"Events": []}
        fingerprint = json.dumps([attribute, str(start), str(end)])
        query = lookup_query(ctx.account_id, ctx.region, start=start, end=end, attribute=attribute)
        if request.get("NextToken"):
            after_time, after_id = _decode_token(request["NextToken"], fingerprint)
            query = query.where(
                or_(
                    audit_events.c.event_time < after_time,
                    and_(audit_events.c.event_time == after_time, audit_events.c.event_id < after_id),
                )
            )
        with ctx.kernel.db.read() as conn:
            rows = conn.execute(query.limit(limit + 1)).all()
            page = rows[:limit]
            resources: dict[str, list[dict[str, str]]] = {}
            if page:
                for r in conn.execute(
                    select(audit_event_resources).where(
                        audit_event_resources.c.event_id.in_([row.event_id for row in page])
                    )
                ):
                    resources.setdefault(r.event_id, []).append(
                        {"ResourceType": r.resource_type, "ResourceName": r.resource_name}
                    )
        events = []
        for row in page:
            event: dict[str, Any] = {
                "EventId": row.event_id,
                "EventName": row.event_name,
                "ReadOnly": "true" if row.read_only else "false",
                "EventTime": row.event_time,
                "EventSource": row.event_source,
                "Resources": resources.get(row.event_id, []),
                "CloudTrailEvent": row.record,
            }
            if row.access_key_id:
                event["AccessKeyId"] = row.access_key_id
            if row.username:
                event["Username"] = row.username
            events.append(event)
        result: dict[str, Any] = {"Events": events}
        if len(rows) > limit:
            last = page[-1]
            result["NextToken"] = _encode_token(last.event_time, last.event_id, fingerprint)
        return result


def _encode_token(event_time: datetime, event_id: str, fingerprint: str) -> str:
    raw = json.dumps({"t": event_time.isoformat(), "id": event_id, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str, fingerprint: str) -> tuple[datetime, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["f"] != fingerprint:
            raise ValueError
        return datetime.fromisoformat(data["t"]), str(data["id"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ServiceError("InvalidNextTokenException", "Invalid NextToken.") from None
