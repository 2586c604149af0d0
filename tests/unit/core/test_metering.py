"""Usage metering: months, hourly proration, and request counts that add up across flushes."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from strongroom.core.clock import FixedClock
from strongroom.core.metering import (
    UsageMeter,
    add_counts,
    period_bounds,
    period_of,
    prorated_months,
    request_counts,
)
from strongroom.core.store import Database

NOV = datetime(2026, 11, 1, tzinfo=UTC)


def test_periods_are_utc_months() -> None:
    assert period_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2026-12"
    assert period_bounds("2026-12") == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert period_bounds("2027-02")[1] - period_bounds("2027-02")[0] == timedelta(days=28)


def test_proration_is_by_the_hour_within_the_month() -> None:
    end_of_month = datetime(2026, 12, 1, tzinfo=UTC)
    assert prorated_months(NOV - timedelta(days=40), None, "2026-11", end_of_month) == Decimal(1)
    assert prorated_months(NOV + timedelta(days=15), None, "2026-11", end_of_month) == Decimal("0.5")
    assert prorated_months(NOV, NOV + timedelta(hours=72), "2026-11", end_of_month) == Decimal("0.1")
    # Not beyond now, and nothing before the key existed or after it stopped counting.
    assert prorated_months(NOV, None, "2026-11", NOV + timedelta(hours=36)) == Decimal("0.05")
    assert prorated_months(end_of_month, None, "2026-11", end_of_month + timedelta(days=3)) == 0
    assert prorated_months(NOV - timedelta(days=9), NOV - timedelta(days=1), "2026-11", end_of_month) == 0


def test_counts_add_up_across_flushes(db: Database) -> None:
    key = ("760000000001", "us-east-1", "kms", "2026-11", "symmetric")
    with db.write() as conn:
        add_counts(conn, Counter({key: 3}))
    meter = UsageMeter(db, FixedClock(NOV + timedelta(days=3)), flush_seconds=3600)
    for _ in range(4):
        meter.count("760000000001", "us-east-1", "kms", "symmetric")
    meter.count("760000000001", "eu-west-1", "kms", "asymmetric")
    meter.count("760000000002", "us-east-1", "kms", "symmetric")
    meter.stop()
    with db.read() as conn:
        rows = {(r.account_id, r.region, r.category): r.count for r in request_counts(conn, "kms", "2026-11")}
        mine = request_counts(conn, "kms", "2026-11", "760000000002")
    assert rows == {
        ("760000000001", "us-east-1", "symmetric"): 7,
        ("760000000001", "eu-west-1", "asymmetric"): 1,
        ("760000000002", "us-east-1", "symmetric"): 1,
    }
    assert [(r.account_id, r.count) for r in mine] == [("760000000002", 1)]
