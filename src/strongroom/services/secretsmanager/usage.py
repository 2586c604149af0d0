"""What an account's Secrets Manager usage in a month would cost on AWS, priced from `pricing.json`.

- Secret-months: every secret row (a replica is a row of its own in its Region, and a secret of
  its own on the bill) from its creation to the month's end or now, prorated hourly; a secret
  scheduled for deletion stops counting when it was scheduled.
- API calls: the meter's counts (`core.metering`), every Secrets Manager request being one call.

A secret already purged has left no row, so the days of a month before its deletion are not
counted once it is gone (the meter keeps no history, as for KMS keys).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from strongroom.core.metering import (
    Line,
    PriceList,
    ResourceMonths,
    account_lines,
    period_bounds,
    prorated_months,
    requests_by_account,
    service_document,
)
from strongroom.services.secretsmanager.tables import secrets

PRICES_PATH = Path(__file__).with_name("pricing.json")
SERVICE = "secretsmanager"


def load_prices() -> PriceList:
    return PriceList.load(PRICES_PATH)


def secretsmanager_usage(
    conn: Connection, prices: PriceList, *, period: str, now: datetime, account: str | None = None
) -> dict[str, list[Line]]:
    """The priced lines of each account's Secrets Manager usage in `period` (YYYY-MM), by account."""
    _, month_end = period_bounds(period)
    query = select(secrets.c.account_id, secrets.c.region, secrets.c.created_at, secrets.c.deleted_at).where(
        secrets.c.created_at < month_end
    )
    if account is not None:
        query = query.where(secrets.c.account_id == account)
    secret_months: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in conn.execute(query):
        secret_months[(row.account_id, row.region)] += prorated_months(
            row.created_at, row.deleted_at, period, now
        )
    secret = ResourceMonths(
        prices.prices["secret_month"]["description"], "secret-month", "secret_month", secret_months
    )
    return account_lines(prices, [secret], requests_by_account(conn, SERVICE, period, account))


def usage_document(
    conn: Connection, *, period: str, now: datetime, account: str | None = None
) -> dict[str, Any]:
    """The Secrets Manager part of `strongroom usage`."""
    prices = load_prices()
    lines = secretsmanager_usage(conn, prices, period=period, now=now, account=account)
    return service_document(SERVICE, prices, lines, account)
