"""The one clock: business time that tests move forward, and the real wall clock for SigV4.

Business time (`now`) is the wall clock plus an offset. In dev mode the offset lives in a file in
the data dir, and a move signals the node's board (`core/board.py`, shared memory) so that every
worker process sees the jump at once: a read of the clock is a memory read, the file is read only
after a move.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from strongroom.core.board import SignalBoard

_CLOCK_SIGNAL = SignalBoard.slot("dev-clock")


def utcnow() -> datetime:
    """The real wall clock, timezone-aware. SigV4 request-age checks use only this."""
    return datetime.now(UTC)


class Clock:
    """Business time: the wall clock plus an offset that only moves forward."""

    def __init__(self, offset_file: Path | None = None, board: SignalBoard | None = None) -> None:
        self._offset_file = offset_file
        # The board beside the offset file: every process with this data dir shares it.
        self._board = board or SignalBoard.of(offset_file.parent if offset_file else None)
        self._stamps = self._board.stamps
        self._offset = 0.0
        self._stamp: int | None = None
        self._lock = threading.RLock()  # advance() reads offset() under the lock

    def now(self) -> datetime:
        # Read several times per request: the unmoved board needs no call, no offset no addition.
        if self._offset_file is None or self._stamps[_CLOCK_SIGNAL] == self._stamp:
            offset = self._offset
        else:
            offset = self.offset()
        current = datetime.now(UTC)
        return current + timedelta(seconds=offset) if offset else current

    def wall(self) -> datetime:
        return utcnow()

    def offset(self) -> float:
        if self._offset_file is None:
            return self._offset
        stamp = self._stamps[_CLOCK_SIGNAL]
        if stamp != self._stamp:
            with self._lock:
                try:
                    self._offset = float(self._offset_file.read_text() or 0.0)
                except FileNotFoundError:
                    self._offset = 0.0
                except (OSError, ValueError):
                    return self._offset
                self._stamp = stamp
        return self._offset

    def advance(self, seconds: float) -> datetime:
        """Move business time forward by `seconds` (never backward), for every process."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            new_offset = self.offset() + seconds
            if self._offset_file is not None:
                tmp = self._offset_file.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(repr(new_offset))
                os.replace(tmp, self._offset_file)
                self._board.signal(_CLOCK_SIGNAL)
                self._stamp = None
            self._offset = new_offset
        return self.now()


class FixedClock(Clock):
    """A clock for unit tests: starts at a given instant and moves only when told."""

    def __init__(self, start: datetime) -> None:
        super().__init__()
        self._start = start

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._offset)

    def wall(self) -> datetime:
        return self.now()
