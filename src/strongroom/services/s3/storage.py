"""Object bytes at rest: encrypted files of AES-256-GCM segments under `<data dir>/s3/`.

A *piece* is one file: a whole object written by PutObject, or one part of a multipart upload.
Its layout::

    "SRS3" || version (1 byte) || layers (1 byte) || segment size (4 bytes, big-endian)
    segment 0 || segment 1 || …          each: layer_n(… layer_1(plaintext) …)

Each layer of a segment is ``nonce (12) || ciphertext || tag (16)`` under that layer's key, with
the AAD ``canonical_aad("strongroom s3 segment v1", data id, part, index, final?, layer)``: a
segment moved to another object, part or position, a dropped final segment (truncation) or
swapped layers do not open. Range reads decrypt only the segments they need. Files are written
to a temporary name, fsynced and renamed, and only ever hold ciphertext.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import struct
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from strongroom.core.crypto import AesGcmKey, SealError, canonical_aad

MAGIC = b"SRS3"
VERSION = 1
SEGMENT_SIZE = 1024 * 1024
_HEADER = struct.Struct(">4sBBI")
_LAYER_OVERHEAD = 12 + 16


class CorruptObject(Exception):
    """A piece file is missing, truncated, reordered or fails authentication."""


@dataclass(frozen=True)
class Piece:
    """One encrypted file and the plaintext bytes it holds (`part` 0 for a single PUT)."""

    file: str
    size: int
    part: int

    def as_json(self) -> dict[str, object]:
        return {"file": self.file, "size": self.size, "part": self.part}

    @classmethod
    def from_json(cls, value: dict[str, object]) -> Piece:
        return cls(str(value["file"]), int(str(value["size"])), int(str(value["part"])))


def _read_exactly(source: io.RawIOBase, into: memoryview) -> None:
    filled = 0
    while filled < len(into):
        got = source.readinto(into[filled:])
        if not got:
            raise CorruptObject("piece truncated")
        filled += got


def _aad(data_id: str, part: int, index: int, final: bool, layer: int) -> bytes:
    return canonical_aad(
        "strongroom s3 segment v1", data_id, str(part), str(index), "final" if final else "more", str(layer)
    )


class PlaintextStream:
    """Plaintext bytes of an object, read and decrypted one segment (1 MiB) at a time as they are
    pulled, each authenticated before it is handed out; `len()` is the whole length.

    The first segment is opened when the stream is made, so a missing file or a corrupt first
    segment fails then (and the request with an error); later segments fail when they are pulled.
    """

    def __init__(self, segments: Generator[bytes, None, None], length: int) -> None:
        self._segments = segments
        self._length = length
        self._first: bytes | None = next(segments, None)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> PlaintextStream:
        return self

    def __next__(self) -> bytes:
        first = self._first
        if first is not None:
            self._first = None
            return first
        return next(self._segments)

    def close(self) -> None:
        """Close the piece file being read (the stream may be dropped before its end)."""
        self._first = None
        self._segments.close()


class ObjectStore:
    """Writes and reads pieces under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._deleter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="strongroom-s3-delete")

    def path(self, file: str) -> Path:
        return self.root / file[:2] / f"{file}.seg"

    def write(self, keys: Sequence[AesGcmKey], data_id: str, part: int, data: bytes | memoryview) -> Piece:
        file = secrets.token_hex(16)
        target = self.path(file)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_suffix(".tmp")
        view = memoryview(data)
        count = max(1, -(-len(view) // SEGMENT_SIZE))
        with open(temp, "wb") as out:
            out.write(_HEADER.pack(MAGIC, VERSION, len(keys), SEGMENT_SIZE))
            for index in range(count):
                chunk: bytes | memoryview = view[index * SEGMENT_SIZE : (index + 1) * SEGMENT_SIZE]
                final = index == count - 1
                for layer, key in enumerate(keys, start=1):
                    # AesGcmKey.encrypt takes any buffer: the body's segment is not copied first.
                    chunk = key.encrypt(cast(bytes, chunk), _aad(data_id, part, index, final, layer))
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
        return Piece(file, len(view), part)

    def read(
        self, keys: Sequence[AesGcmKey], data_id: str, pieces: Sequence[Piece], start: int, end: int
    ) -> bytes:
        """Plaintext bytes [start, end) of the object made of `pieces`."""
        return b"".join(self._segments(keys, data_id, pieces, start, end))

    def stream(
        self, keys: Sequence[AesGcmKey], data_id: str, pieces: Sequence[Piece], start: int, end: int
    ) -> PlaintextStream:
        """Plaintext bytes [start, end) of the object made of `pieces`, one segment at a time."""
        return PlaintextStream(self._segments(keys, data_id, pieces, start, end), end - start)

    def _segments(
        self, keys: Sequence[AesGcmKey], data_id: str, pieces: Sequence[Piece], start: int, end: int
    ) -> Generator[bytes, None, None]:
        offset = 0
        for piece in pieces:
            piece_start, piece_end = offset, offset + piece.size
            offset = piece_end
            if piece_end <= start or piece_start >= end or piece.size == 0:
                continue
            lo, hi = max(start, piece_start) - piece_start, min(end, piece_end) - piece_start
            yield from self._piece_segments(keys, data_id, piece, lo, hi)

    def _piece_segments(
        self, keys: Sequence[AesGcmKey], data_id: str, piece: Piece, lo: int, hi: int
    ) -> Generator[bytes, None, None]:
        """The plaintext of bytes [lo, hi) of one piece, each segment authenticated before it is
        yielded."""
        stride = SEGMENT_SIZE + _LAYER_OVERHEAD * len(keys)
        count = max(1, -(-piece.size // SEGMENT_SIZE))
        first, last = lo // SEGMENT_SIZE, (hi - 1) // SEGMENT_SIZE
        try:
            source = open(self.path(piece.file), "rb", buffering=0)  # noqa: SIM115 - held across yields
        except FileNotFoundError:
            raise CorruptObject("piece file missing") from None
        with source:
            header = source.read(_HEADER.size)
            if len(header) != _HEADER.size or _HEADER.unpack(header) != (
                MAGIC,
                VERSION,
                len(keys),
                SEGMENT_SIZE,
            ):
                raise CorruptObject("bad piece header")
            source.seek(_HEADER.size + first * stride)
            # One reused buffer for the ciphertext: no object-sized allocation, no slice copies.
            buffer = bytearray(stride)
            for index in range(first, last + 1):
                final = index == count - 1
                size = (piece.size - index * SEGMENT_SIZE if final else SEGMENT_SIZE) + (
                    _LAYER_OVERHEAD * len(keys)
                )
                chunk = memoryview(buffer)[:size]
                _read_exactly(source, chunk)
                plain = self._open_segment(keys, data_id, piece.part, index, final, chunk)
                base = index * SEGMENT_SIZE
                if lo > base or hi < base + len(plain):
                    plain = plain[max(lo - base, 0) : hi - base]
                yield plain

    @staticmethod
    def _open_segment(
        keys: Sequence[AesGcmKey], data_id: str, part: int, index: int, final: bool, sealed: memoryview
    ) -> bytes:
        try:
            # AesGcmKey.decrypt reads its input through a memoryview; the outer layers are bytes.
            opened = keys[-1].decrypt(cast(bytes, sealed), _aad(data_id, part, index, final, len(keys)))
            for layer in range(len(keys) - 1, 0, -1):
                opened = keys[layer - 1].decrypt(opened, _aad(data_id, part, index, final, layer))
        except SealError:
            raise CorruptObject("segment fails authentication") from None
        return opened

    def copy_file(self, file: str) -> str:
        """A new file with the same ciphertext (replicas of SSE-C objects keep their bytes)."""
        new = secrets.token_hex(16)
        target = self.path(new)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_suffix(".tmp")
        with open(self.path(file), "rb") as source, open(temp, "wb") as out:
            while chunk := source.read(SEGMENT_SIZE):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
        return new

    def delete(self, files: Sequence[str]) -> None:
        for file in files:
            with contextlib.suppress(FileNotFoundError):
                self.path(file).unlink()

    def delete_later(self, files: Sequence[str]) -> None:
        """Delete files no version names any more, off the request's path (unlinking a large
        file takes milliseconds). A crash before it runs leaves an orphan file of ciphertext."""
        if files:
            self._deleter.submit(self.delete, list(files))
