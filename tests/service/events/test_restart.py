"""A restart in the middle of retries loses nothing: the delivery queue is durable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.events.conftest import ACCOUNT, put, wait_until, waiting_deliveries, wire
from tests.service.events.receiver import Receiver
from tests.support.server import ServerProcess


def _events(proc: ServerProcess) -> Any:
    return proc.client("events", access_key=ACCOUNT)


def test_kill_9_in_the_middle_of_retries_loses_nothing(
    tmp_path: Path, database_url_factory: Any, receiver: Receiver
) -> None:
    proc = ServerProcess(tmp_path / "data", database_url=database_url_factory(), workers=1).start()
    try:
        events = _events(proc)
        wired = wire(events, receiver)
        receiver.default_status = 503
        sent = {put(events, wired.source, {"n": i}) for i in range(5)}
        receiver.wait_for(5)
        # Every event failed its first attempt and waits, durably, for its retry: now crash.
        wait_until(lambda: len(waiting_deliveries(proc)) == 5)
        proc.kill9()
        receiver.default_status = 200
        proc.start()
        proc.advance_clock(60)

        def delivered() -> set[str]:
            return {r.json()["id"] for r in receiver.requests[5:]}

        wait_until(lambda: delivered() >= sent)
        assert delivered() == sent
    finally:
        proc.stop()
