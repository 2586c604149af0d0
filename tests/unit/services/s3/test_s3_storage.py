"""The encrypted piece format: round trips, ranges, and tampering, truncation and moves detected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from strongroom.core.crypto import AesGcmKey, random_key
from strongroom.services.s3.storage import SEGMENT_SIZE, CorruptObject, ObjectStore


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(tmp_path)


@pytest.mark.parametrize("layers", [1, 2])
def test_round_trip_and_ranges(store: ObjectStore, layers: int) -> None:
    keys = [AesGcmKey(random_key()) for _ in range(layers)]
    data = os.urandom(2 * SEGMENT_SIZE + 123)
    piece = store.write(keys, "id1", 0, data)
    assert store.read(keys, "id1", [piece], 0, len(data)) == data
    assert (
        store.read(keys, "id1", [piece], SEGMENT_SIZE - 5, SEGMENT_SIZE + 5)
        == data[SEGMENT_SIZE - 5 : SEGMENT_SIZE + 5]
    )
    assert data[:4096] not in store.path(piece.file).read_bytes()


def test_pieces_concatenate(store: ObjectStore) -> None:
    keys = [AesGcmKey(random_key())]
    one, two = os.urandom(1000), os.urandom(2000)
    pieces = [store.write(keys, "mp", 1, one), store.write(keys, "mp", 2, two)]
    assert store.read(keys, "mp", pieces, 990, 1010) == (one + two)[990:1010]


def test_wrong_object_key_or_position_fails(store: ObjectStore) -> None:
    keys = [AesGcmKey(random_key())]
    piece = store.write(keys, "a", 1, b"x" * 100)
    with pytest.raises(CorruptObject):
        store.read(keys, "b", [piece], 0, 100)
    with pytest.raises(CorruptObject):
        store.read([AesGcmKey(random_key())], "a", [piece], 0, 100)
    from dataclasses import replace

    with pytest.raises(CorruptObject):
        store.read(keys, "a", [replace(piece, part=2)], 0, 100)


def test_truncation_and_edits_are_detected(store: ObjectStore) -> None:
    keys = [AesGcmKey(random_key())]
    data = os.urandom(2 * SEGMENT_SIZE)
    piece = store.write(keys, "t", 0, data)
    path = store.path(piece.file)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptObject):
        store.read(keys, "t", [piece], 0, len(data))
    edited = bytearray(raw)
    edited[50] ^= 1
    path.write_bytes(bytes(edited))
    with pytest.raises(CorruptObject):
        store.read(keys, "t", [piece], 0, 10)
