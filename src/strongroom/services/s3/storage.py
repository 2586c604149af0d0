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
from collections.abc import Sequence
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
                    chunk = key.encrypt(bytes(chunk), _aad(data_id, part, index, final, layer))
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
        return Piece(file, len(view), part)

    def read(
        self, keys: Sequence[AesGcmKey], data_id: str, pieces: Sequence[Piece], start: int, end: int
    ) -> bytes:
        """Plaintext bytes [start, end) of the object made of `pieces`."""
        out: list[bytes] = []
        offset = 0
        for piece in pieces:
            piece_start, piece_end = offset, offset + piece.size
            offset = piece_end
            if piece_end <= start or piece_start >= end or piece.size == 0:
                continue
            lo, hi = max(start, piece_start) - piece_start, min(end, piece_end) - piece_start
            out.append(self._read_piece(keys, data_id, piece, lo, hi))
        return b"".join(out)

    def _read_piece(self, keys: Sequence[AesGcmKey], data_id: str, piece: Piece, lo: int, hi: int) -> bytes:
        stride = SEGMENT_SIZE + _LAYER_OVERHEAD * len(keys)
        count = max(1, -(-piece.size // SEGMENT_SIZE))
        first, last = lo // SEGMENT_SIZE, (hi - 1) // SEGMENT_SIZE
        plain: list[bytes] = []
        try:
            with open(self.path(piece.file), "rb", buffering=0) as source:
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
                    plain.append(self._open_segment(keys, data_id, piece.part, index, final, chunk))
        except FileNotFoundError:
            raise CorruptObject("piece file missing") from None
        base = first * SEGMENT_SIZE
        if lo - base == 0 and hi - base == sum(len(p) for p in plain):
            return plain[0] if len(plain) == 1 else b"".join(plain)
        joined = b"".join(plain)
        return joined[lo - base : hi - base]

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
