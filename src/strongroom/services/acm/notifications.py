"""ACM's EventBridge events (source `aws.acm`), published inside the transaction that causes them
(`kernel.events.publish(..., conn=conn)`): an event commits, or rolls back, with its change."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel
    from strongroom.services.acm.records import Certificate

log = logging.getLogger(__name__)

SOURCE = "aws.acm"
APPROACHING_EXPIRATION = "ACM Certificate Approaching Expiration"
EXPIRED = "ACM Certificate Expired"
AVAILABLE = "ACM Certificate Available"
RENEWAL_ACTION_REQUIRED = "ACM Certificate Renewal Action Required"


def _iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def emit(
    kernel: Kernel,
    conn: Connection,
    record: Certificate,
    detail_type: str,
    detail: dict[str, Any],
) -> None:
    bus = getattr(kernel, "events", None)
    if bus is None:  # a kernel without an event bus (older builds, some tests)
        log.debug("no event bus: %s for %s not published", detail_type, record.arn)
        return
    bus.publish(record.account_id, record.region, SOURCE, detail_type, detail, [record.arn], conn=conn)


def days_to_expiry(record: Certificate, now: datetime) -> int:
    if record.not_after is None:
        return 0
    return max(0, (record.not_after - now).days)


def lifecycle_detail(record: Certificate, now: datetime) -> dict[str, Any]:
    """The members shared by the Available, Expired and Renewal Action Required events."""
    return {
        "CertificateType": record.type,
        "CommonName": record.domain_name,
        "DomainValidationMethod": record.validation_method,
        "CertificateCreatedDate": _iso(record.created_at),
        "CertificateExpirationDate": _iso(record.not_after),
        "DaysToExpiry": days_to_expiry(record, now),
        "InUse": bool(record.in_use_by),
        "Exported": record.exported,
    }
