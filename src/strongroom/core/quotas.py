"""Request-rate quotas: a token bucket per (account, region, quota), and AWS's throttling error.

A service names the quota a request counts against (`"kms:CryptographicOperationsSymmetric"`)
and calls `RateQuotas.acquire(account, region, name)`; past the rate, the call raises
`Throttled`, which the service turns into its own words (KMS: "You have exceeded the rate at
which you may call KMS. Reduce the frequency of your calls.").

Each quota is a rate in requests per second; the bucket holds one second of it (AWS measures
its quotas per second), refilled continuously from a monotonic clock — never the business
clock, which tests move by days at a time.

Buckets are process-local: with N worker processes on one node, the node admits up to N times
each rate. That is the price of keeping a database write off every request; operators who need
an exact cluster-wide ceiling divide the configured rates by the number of processes.

Configuration (`load_overrides`): a JSON document, from the file named by
`STRONGROOM_QUOTA_FILE` (`strongroom serve --quota-file`) or inline in `STRONGROOM_QUOTAS`:

    {"quotas": {"kms:CreateKey": 10},                       every account and region
     "regions": {"eu-west-1": {"kms:CreateKey": 20}},       one region
     "accounts": {"760000000001": {"kms:CreateKey": 1}}}    one account, every region

The most specific value wins (account, then region, then everywhere, then the service's
default table). A rate of 0 or less switches a quota off (never throttled).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUOTA_FILE_ENV = "STRONGROOM_QUOTA_FILE"
QUOTAS_ENV = "STRONGROOM_QUOTAS"


class Throttled(Exception):
    """A request-rate quota is exhausted for now."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class QuotaOverrides:
    """Operator-set rates that replace a service's defaults."""

    everywhere: Mapping[str, float] = field(default_factory=dict)
    regions: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    accounts: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> QuotaOverrides:
        def rates(values: Any) -> dict[str, float]:
            if not isinstance(values, Mapping):
                raise ValueError("a quota table maps quota names to requests per second")
            return {str(name): float(rate) for name, rate in values.items()}

        unknown = set(document) - {"quotas", "regions", "accounts"}
        if unknown:
            raise ValueError(f"unknown quota sections: {', '.join(sorted(unknown))}")
        return cls(
            everywhere=rates(document.get("quotas", {})),
            regions={str(r): rates(v) for r, v in dict(document.get("regions", {})).items()},
            accounts={str(a): rates(v) for a, v in dict(document.get("accounts", {})).items()},
        )

    def rate(self, account: str, region: str, name: str, default: float) -> float:
        for table in (self.accounts.get(account), self.regions.get(region), self.everywhere):
            if table is not None and name in table:
                return table[name]
        return default


def load_overrides(environ: Mapping[str, str] | None = None) -> QuotaOverrides:
    """The operator's overrides from the environment (empty when none are configured)."""
    env = os.environ if environ is None else environ
    path = env.get(QUOTA_FILE_ENV)
    inline = env.get(QUOTAS_ENV)
    if path:
        return QuotaOverrides.from_document(json.loads(Path(path).read_text()))
    if inline:
        return QuotaOverrides.from_document(json.loads(inline))
    return QuotaOverrides()


class _Bucket:
    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self.tokens = self.capacity
        self.updated = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateQuotas:
    """Token buckets for one process: `acquire` admits a request or raises `Throttled`."""

    def __init__(
        self,
        defaults: Callable[[str, str], float | None],
        overrides: QuotaOverrides | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`defaults(name, region)` is the service's default rate of a quota (None: unlimited)."""
        self._defaults = defaults
        self._overrides = overrides or QuotaOverrides()
        self._monotonic = monotonic
        self._buckets: dict[tuple[str, str, str], _Bucket | None] = {}
        self._lock = threading.Lock()

    def rate(self, account: str, region: str, name: str) -> float | None:
        default = self._defaults(name, region)
        rate = self._overrides.rate(account, region, name, default if default is not None else 0.0)
        return rate if rate > 0 else None

    def acquire(self, account: str, region: str, name: str) -> None:
        key = (account, region, name)
        if self._buckets.get(key, _MISSING) is None:
            return  # an unlimited quota stays unlimited: no lock, no clock
        now = self._monotonic()
        with self._lock:
            bucket = self._buckets.get(key, _MISSING)
            if bucket is _MISSING:
                rate = self.rate(account, region, name)
                bucket = _Bucket(rate, now) if rate is not None else None
                self._buckets[key] = bucket
            if bucket is None or bucket.take(now):
                return
        raise Throttled(name)


_MISSING: Any = object()
