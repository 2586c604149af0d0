"""Token buckets per (account, region, quota) and the operator's overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from strongroom.core.quotas import QuotaOverrides, RateQuotas, Throttled, load_overrides


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def defaults(name: str, region: str) -> float | None:
    return {"svc:Op": 2.0, "svc:Regional": 10.0 if region == "us-east-1" else 1.0}.get(name)


def admitted(quotas: RateQuotas, times: int, account: str = "111111111111", name: str = "svc:Op") -> int:
    count = 0
    for _ in range(times):
        try:
            quotas.acquire(account, "us-east-1", name)
            count += 1
        except Throttled as exc:
            assert exc.name == name
    return count


def test_a_bucket_holds_one_second_and_refills_at_its_rate() -> None:
    clock = FakeMonotonic()
    quotas = RateQuotas(defaults, monotonic=clock)
    assert admitted(quotas, 5) == 2
    clock.now += 0.5
    assert admitted(quotas, 5) == 1
    clock.now += 10  # never more than one second's worth
    assert admitted(quotas, 5) == 2


def test_buckets_are_per_account_region_and_quota() -> None:
    clock = FakeMonotonic()
    quotas = RateQuotas(defaults, monotonic=clock)
    assert admitted(quotas, 3, account="111111111111") == 2
    assert admitted(quotas, 3, account="222222222222") == 2
    assert admitted(quotas, 20, name="svc:Regional") == 10
    quotas.acquire("111111111111", "eu-west-1", "svc:Regional")
    with pytest.raises(Throttled):
        quotas.acquire("111111111111", "eu-west-1", "svc:Regional")


def test_a_quota_without_a_default_is_unlimited() -> None:
    quotas = RateQuotas(defaults, monotonic=FakeMonotonic())
    assert admitted(quotas, 1000, name="svc:Unknown") == 1000


def test_the_most_specific_override_wins_and_zero_switches_off() -> None:
    overrides = QuotaOverrides.from_document(
        {
            "quotas": {"svc:Op": 4},
            "regions": {"us-east-1": {"svc:Op": 3}},
            "accounts": {"222222222222": {"svc:Op": 0}, "333333333333": {"svc:Op": 1}},
        }
    )
    quotas = RateQuotas(defaults, overrides, monotonic=FakeMonotonic())
    assert quotas.rate("111111111111", "us-east-1", "svc:Op") == 3
    assert quotas.rate("111111111111", "eu-west-1", "svc:Op") == 4
    assert quotas.rate("333333333333", "us-east-1", "svc:Op") == 1
    assert quotas.rate("222222222222", "us-east-1", "svc:Op") is None
    assert admitted(quotas, 100, account="222222222222") == 100


def test_overrides_come_from_a_file_or_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text(json.dumps({"quotas": {"svc:Op": 7}}))
    assert load_overrides({"STRONGROOM_QUOTA_FILE": str(path)}).everywhere == {"svc:Op": 7.0}
    inline = load_overrides({"STRONGROOM_QUOTAS": json.dumps({"accounts": {"111111111111": {"a": 1}}})})
    assert inline.accounts == {"111111111111": {"a": 1.0}}
    assert load_overrides({}) == QuotaOverrides()


@pytest.mark.parametrize("document", [{"quota": {}}, {"quotas": ["svc:Op"]}, {"quotas": {"svc:Op": "fast"}}])
def test_malformed_overrides_are_refused(document: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        QuotaOverrides.from_document(document)
