"""What an account's KMS usage in a month would cost on AWS, priced from `pricing.json`.

- Key-months: every customer managed key row (a multi-Region replica is a key of its own), from
  its creation to the month's end or now, prorated hourly; a key pending deletion stops counting
  when its deletion was scheduled (AWS does not charge keys pending deletion).
- Rotations: the material of each key's first two rotations adds a key-month of its own from the
  rotation, prorated the same way; later rotations are free (AWS, April 2024).
- Requests: the meter's counts (`core.metering`) by price category; the free tier (20,000 a
  month, all Regions together) applies to the categories priced with `"free_tier": true`.

A key already deleted has left no row, so the days of a month before its deletion was scheduled
are not counted once it is gone (a Strongroom limitation: the meter keeps no key history).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from strongroom.core.metering import (
    PriceList,
    ResourceMonths,
    account_lines,
    period_bounds,
    prorated_months,
    requests_by_account,
    service_document,
)
from strongroom.services.kms.tables import kms_key_materials, kms_keys

PRICES_PATH = Path(__file__).with_name("pricing.json")


def load_prices() -> PriceList:
    return PriceList.load(PRICES_PATH)


def _billed_until(row: Any) -> datetime | None:
    if row.state == "PendingDeletion" and row.deletion_date is not None and row.pending_window_days:
        scheduled: datetime = row.deletion_date - timedelta(days=row.pending_window_days)
        return scheduled
    return None


def kms_usage(
    conn: Connection, prices: PriceList, *, period: str, now: datetime, account: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The priced lines of each account's KMS usage in `period` (YYYY-MM), by account id."""
    _, month_end = period_bounds(period)
    keys_query = select(
        kms_keys.c.account_id,
        kms_keys.c.region,
        kms_keys.c.key_id,
        kms_keys.c.state,
        kms_keys.c.created_at,
        kms_keys.c.deletion_date,
        kms_keys.c.pending_window_days,
    ).where(
        kms_keys.c.key_manager == "CUSTOMER",
        kms_keys.c.aws_owned.is_(False),
        kms_keys.c.created_at < month_end,
    )
    if account is not None:
        keys_query = keys_query.where(kms_keys.c.account_id == account)
    key_months: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    rotation_months: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    billed_rotations = int(prices.prices["rotation_month"].get("billed_rotations_per_key", 2))
    for key in conn.execute(keys_query):
        until = _billed_until(key)
        key_months[(key.account_id, key.region)] += prorated_months(key.created_at, until, period, now)
        rotations = conn.execute(
            select(kms_key_materials.c.created_at)
            .where(
                kms_key_materials.c.account_id == key.account_id,
                kms_key_materials.c.region == key.region,
                kms_key_materials.c.key_id == key.key_id,
                kms_key_materials.c.rotation_type.is_not(None),
            )
            .order_by(kms_key_materials.c.version)
            .limit(billed_rotations)
        ).scalars()
        for rotated_at in rotations:
            rotation_months[(key.account_id, key.region)] += prorated_months(rotated_at, until, period, now)

    requests = requests_by_account(conn, "kms", period, account)
    return account_lines(
        prices,
        [
            ResourceMonths("Customer managed KMS keys", "key-month", "key_month", key_months),
            ResourceMonths(
                "Rotated key material (first two rotations)", "key-month", "rotation_month", rotation_months
            ),
        ],
        requests,
    )


def usage_document(
    conn: Connection, *, period: str, now: datetime, account: str | None = None
) -> dict[str, Any]:
    """The KMS part of `strongroom usage`: per account, its lines and their total."""
    prices = load_prices()
    return service_document(
        "kms", prices, kms_usage(conn, prices, period=period, now=now, account=account), account
    )
