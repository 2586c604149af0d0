"""What an account's Parameter Store usage in a month would cost on AWS, priced from `pricing.json`.

- Advanced parameter-months: every parameter in the advanced tier, from the first of its versions
  written in that tier (or its creation, when that version is gone) to the month's end or now,
  prorated hourly. Standard parameters are free.
- API interactions: the meter's counts by category (`metered.py` classifies each request):
  `standard` (free), `advanced` and `higher_throughput` (both billed per 10,000).

A deleted parameter has left no row, so the days of a month before its deletion are not counted
once it is gone (the meter keeps no history, as for KMS keys).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

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
from strongroom.services.ssm.tables import ssm_parameter_versions, ssm_parameters
from strongroom.services.ssm.tiers import ADVANCED

PRICES_PATH = Path(__file__).with_name("pricing.json")
SERVICE = "ssm"
_P = ssm_parameters.c
_V = ssm_parameter_versions.c


def load_prices() -> PriceList:
    return PriceList.load(PRICES_PATH)


def ssm_usage(
    conn: Connection, prices: PriceList, *, period: str, now: datetime, account: str | None = None
) -> dict[str, list[Line]]:
    """The priced lines of each account's Parameter Store usage in `period` (YYYY-MM), by account."""
    _, month_end = period_bounds(period)
    advanced_since = (
        select(func.min(_V.modified_at))
        .where(
            _V.account_id == _P.account_id, _V.region == _P.region, _V.name == _P.name, _V.tier == ADVANCED
        )
        .scalar_subquery()
    )
    query = select(_P.account_id, _P.region, _P.created_at, advanced_since.label("advanced_since")).where(
        _P.tier == ADVANCED, _P.created_at < month_end
    )
    if account is not None:
        query = query.where(_P.account_id == account)
    parameter_months: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in conn.execute(query):
        start = row.advanced_since or row.created_at
        parameter_months[(row.account_id, row.region)] += prorated_months(start, None, period, now)
    advanced = ResourceMonths(
        prices.prices["advanced_parameter_month"]["description"],
        "parameter-month",
        "advanced_parameter_month",
        parameter_months,
    )
    return account_lines(prices, [advanced], requests_by_account(conn, SERVICE, period, account))


def usage_document(
    conn: Connection, *, period: str, now: datetime, account: str | None = None
) -> dict[str, Any]:
    """The Parameter Store part of `strongroom usage`."""
    prices = load_prices()
    return service_document(
        SERVICE, prices, ssm_usage(conn, prices, period=period, now=now, account=account), account
    )
