"""Stamped caches: served while unchanged, dropped at once on a change from any process."""

from __future__ import annotations

import time
from pathlib import Path

from strongroom.core.cache import Caches, StampedCache


def test_a_change_in_another_instance_drops_the_entry(tmp_path: Path) -> None:
    reader = StampedCache[str, int](tmp_path / "s", ttl=60)
    writer = StampedCache[str, int](tmp_path / "s", ttl=60)
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert reader.get("k", load) == 1
    assert reader.get("k", load) == 1
    writer.changed()
    assert reader.get("k", load) == 2
    assert len(loads) == 2


def test_entries_expire_after_ttl(tmp_path: Path) -> None:
    cache = StampedCache[str, float](tmp_path / "s", ttl=0.05)
    first = cache.get("k", time.monotonic)
    assert cache.get("k", time.monotonic) == first
    time.sleep(0.06)
    assert cache.get("k", time.monotonic) != first


def test_a_value_loaded_during_a_change_is_not_served_after_it(tmp_path: Path) -> None:
    reader = StampedCache[str, str](tmp_path / "s", ttl=60)
    writer = StampedCache[str, str](tmp_path / "s", ttl=60)

    def load_racing_a_write() -> str:
        writer.changed()  # the write commits while this (stale) value is being loaded
        return "stale"

    assert reader.get("k", load_racing_a_write) == "stale"
    assert reader.get("k", lambda: "fresh") == "fresh"


def test_named_caches_share_one_stamp_per_name(tmp_path: Path) -> None:
    caches, others = Caches(tmp_path), Caches(tmp_path)
    assert caches.named("kms").get("a", lambda: 1) == 1
    others.changed("iam")
    assert caches.named("kms").get("a", lambda: 2) == 1
    others.changed("kms")
    assert caches.named("kms").get("a", lambda: 3) == 3
