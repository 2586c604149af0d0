"""AWS-shaped identifiers."""

from __future__ import annotations

import random
import time
import uuid

from strongroom.core.iam.ids import event_id, request_id


def test_a_request_id_is_the_version_4_uuid_of_its_random_bits() -> None:
    for seed in range(500):
        random.seed(seed)
        made = request_id()
        random.seed(seed)
        assert made == str(uuid.UUID(int=random.getrandbits(128), version=4))
    parsed = uuid.UUID(request_id())
    assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_request_ids_differ() -> None:
    assert len({request_id() for _ in range(1000)}) == 1000


def test_an_event_id_is_a_version_7_uuid_of_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    made = uuid.UUID(event_id())
    after = time.time_ns() // 1_000_000
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after


def test_event_ids_sort_in_the_order_they_were_made() -> None:
    made = []
    for _ in range(5):
        made.append(event_id())
        time.sleep(0.002)  # a later millisecond
    assert made == sorted(made)
    assert len({event_id() for _ in range(10_000)}) == 10_000
