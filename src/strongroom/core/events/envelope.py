"""The AWS event envelope every event on a bus carries, in AWS's member order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from strongroom.core.iam.ids import request_id

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
SCHEDULED_DETAIL_TYPE = "Scheduled Event"


def iso_time(moment: datetime) -> str:
    """AWS's event time: UTC to the second, `Z` suffix."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_event(
    *,
    account: str,
    region: str,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str],
    time: datetime,
    event_id: str | None = None,
) -> dict[str, Any]:
    """`{version, id, detail-type, source, account, time, region, resources, detail}`."""
    return {
        "version": "0",
        "id": event_id or request_id(),  # unique, not secret: no system entropy per event
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso_time(time),
        "region": region,
        "resources": list(resources),
        "detail": detail,
    }


def cloudtrail_source(event_source: str) -> str:
    """`kms.amazonaws.com` → `aws.kms`, as CloudTrail-sourced events name their service."""
    return "aws." + event_source.split(".", 1)[0]
