"""Usage metering: what each account used, and what the same usage would cost on AWS.

Requests are counted per (account, region, service, month, price category) by `UsageMeter`:
in memory on the request path, added to `metering_requests` by a flusher thread once a second
(and on `flush()`), so metering costs a dict update per request, not a database write or even
a clock read: a request belongs to the business month in which its count is flushed, at most a
second later (when the dev clock jumps in that second, its counts move with it). A `kill -9`
can lose the counts of the last second; nothing else depends on them.

Every service of one database shares one meter (`shared_meter`), so one flusher thread serves
them all; a service's handlers reach it through `services/metered_api.py`.

Resource usage (key-months, secret-months, parameter-months) is not counted here: a service
derives it from its own state when a report is asked for (`prorated_months`), and prices every
line with a `PriceList` loaded from its own JSON price file, which names its source and the date
it was read. `priced_line`, `request_lines` and `service_document` give every service's report
the same shape.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from strongroom.core.clock import Clock
from strongroom.core.store import Database
from strongroom.core.store.schema import metadata

log = logging.getLogger(__name__)

metering_requests = Table(
    "metering_requests",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("service", String(64), primary_key=True),
    Column("period", String(7), primary_key=True),  # the business month, YYYY-MM (UTC)
    Column("category", String(64), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

CounterKey = tuple[str, str, str, str, str]  # account, region, service, period, category
PendingKey = tuple[str, str, str, str]  # account, region, service, category


def period_of(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-{utc.month:02d}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a YYYY-MM month in UTC."""
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def prorated_months(start: datetime, end: datetime | None, period: str, now: datetime) -> Decimal:
    """The fraction of `period` during which [start, end) overlaps it, up to `now` (hourly, as AWS)."""
    month_start, month_end = period_bounds(period)
    stop = min(end or month_end, month_end, now)
    begin = max(start, month_start)
    if stop <= begin:
        return Decimal(0)
    month_hours = Decimal((month_end - month_start).total_seconds()) / 3600
    return (Decimal((stop - begin).total_seconds()) / 3600 / month_hours).quantize(Decimal("0.000001"))


class UsageMeter:
    """Counts requests in memory and adds them to `metering_requests` in the background."""

    def __init__(self, db: Database, clock: Clock, *, flush_seconds: float = 1.0) -> None:
        self._db = db
        self._clock = clock
        self._pending: Counter[PendingKey] = Counter()
        self._lock = threading.Lock()
        self._flush_seconds = flush_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def count(self, account: str, region: str, service: str, category: str) -> None:
        with self._lock:
            self._pending[(account, region, service, category)] += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="strongroom-metering", daemon=True)
                self._thread.start()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, Counter()
        if not pending:
            return
        period = period_of(self._clock.now())
        try:
            with self._db.write() as conn:
                add_counts(conn, Counter({(a, r, s, period, c): n for (a, r, s, c), n in pending.items()}))
        except Exception:
            log.exception("could not record usage; keeping the counts for the next pass")
            with self._lock:
                self._pending.update(pending)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            self.flush()


_SHARED: weakref.WeakKeyDictionary[Database, UsageMeter] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_meter(db: Database, clock: Clock) -> UsageMeter:
    """The one meter of a database in this process, created on first use."""
    with _SHARED_LOCK:
        meter = _SHARED.get(db)
        if meter is None:
            meter = _SHARED[db] = UsageMeter(db, clock)
        return meter


def release_shared_meter(db: Database) -> None:
    """Stop the meter of `db`, writing what it has counted (before the database is closed)."""
    with _SHARED_LOCK:
        meter = _SHARED.pop(db, None)
    if meter is not None:
        meter.stop()


def add_counts(conn: Connection, counts: Counter[CounterKey]) -> None:
    """Add request counts, creating the rows that do not exist yet (one upsert per row)."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for (account, region, service, period, category), count in sorted(counts.items()):
        statement = dialect_insert(metering_requests).values(
            account_id=account, region=region, service=service, period=period, category=category, count=count
        )
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["account_id", "region", "service", "period", "category"],
                set_={"count": metering_requests.c["count"] + statement.excluded["count"]},
            )
        )


def request_counts(conn: Connection, service: str, period: str, account: str | None = None) -> list[Any]:
    """Rows (account_id, region, category, count) of one service and month."""
    query = select(
        metering_requests.c.account_id,
        metering_requests.c.region,
        metering_requests.c.category,
        metering_requests.c["count"],
    ).where(metering_requests.c.service == service, metering_requests.c.period == period)
    if account is not None:
        query = query.where(metering_requests.c.account_id == account)
    return list(conn.execute(query.order_by(metering_requests.c.account_id, metering_requests.c.region)))


# -- prices ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceList:
    """A service's published prices (USD), with where and when they were read."""

    service: str
    source: str
    retrieved: str
    prices: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> PriceList:
        document = json.loads(path.read_text())
        return cls(
            service=document["service"],
            source=document["source"],
            retrieved=document["retrieved"],
            prices=document["prices"],
        )

    def price(self, name: str) -> Decimal:
        return Decimal(str(self.prices[name]["usd"]))


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


# -- report lines ------------------------------------------------------------------------------

Line = dict[str, Any]


def priced_line(description: str, region: str, quantity: Decimal, unit: str, unit_price: Decimal) -> Line:
    return {
        "description": description,
        "region": region,
        "quantity": str(quantity),
        "unit": unit,
        "unit_price_usd": str(unit_price),
        "cost_usd": str(money(quantity * unit_price)),
    }


def requests_by_account(
    conn: Connection, service: str, period: str, account: str | None = None
) -> dict[str, dict[tuple[str, str], int]]:
    """{account: {(region, category): count}} of one service and month."""
    found: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for row in request_counts(conn, service, period, account):
        found[row.account_id][(row.region, row.category)] += int(row.count)
    return found


def request_lines(prices: PriceList, counts: dict[tuple[str, str], int]) -> list[Line]:
    """One line per (region, category), priced from the list's `requests_<category>` entry.

    An entry with `"free_tier": true` draws first on the month's free requests (the list's
    `free_tier.requests`, all Regions together); an entry of $0 is shown as a free line.
    """
    free_tier = prices.prices.get("free_tier")
    free_left = int(free_tier["requests"]) if free_tier else 0
    lines: list[Line] = []
    for (region, category), count in sorted(counts.items()):
        entry = prices.prices[f"requests_{category}"]
        per = int(entry.get("per", 10_000))
        billable = count
        if entry.get("free_tier"):
            free = min(free_left, count)
            free_left -= free
            billable -= free
            if free:
                lines.append(
                    priced_line(
                        f"{entry['description']}, free tier", region, Decimal(free), "request", Decimal(0)
                    )
                )
        if billable:
            unit_price = prices.price(f"requests_{category}") / per
            lines.append(priced_line(entry["description"], region, Decimal(billable), "request", unit_price))
    return lines


@dataclass(frozen=True)
class ResourceMonths:
    """Prorated months of one billed kind of resource (keys, secrets …) by (account, region)."""

    description: str
    unit: str
    price: str  # the PriceList entry
    months: dict[tuple[str, str], Decimal]


def account_lines(
    prices: PriceList,
    resources: list[ResourceMonths],
    requests: dict[str, dict[tuple[str, str], int]],
) -> dict[str, list[Line]]:
    """Each account's priced lines: its resource-months by kind and Region, then its requests."""
    accounts = sorted({a for r in resources for a, _ in r.months} | set(requests))
    report: dict[str, list[Line]] = {}
    for acct in accounts:
        lines = [
            priced_line(r.description, region, months, r.unit, prices.price(r.price))
            for r in resources
            for (a, region), months in sorted(r.months.items())
            if a == acct and months
        ]
        report[acct] = lines + request_lines(prices, requests.get(acct, {}))
    return report


def service_document(
    service: str, prices: PriceList, accounts: dict[str, list[Line]], account: str | None = None
) -> dict[str, Any]:
    """A service's part of `strongroom usage`: per account, its lines and their total."""
    if account is not None and account not in accounts:
        accounts[account] = []
    return {
        "service": service,
        "prices": {"source": prices.source, "retrieved": prices.retrieved},
        "accounts": [
            {
                "account": acct,
                "lines": lines,
                "total_usd": str(money(sum((Decimal(line["cost_usd"]) for line in lines), Decimal(0)))),
            }
            for acct, lines in sorted(accounts.items())
        ],
    }
