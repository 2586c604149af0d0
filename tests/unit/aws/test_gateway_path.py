"""The gateway's request path in process: what the event loop runs (`runs_inline`, then `handle`)
answers and records the same as a request handed to a worker (`handle` alone).

A real app (dev mode, SQLite in a temporary directory), requests signed by botocore's SigV4Auth
and built the way the server builds them (lower-cased header names), the audit records read
as the writer builds them.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom.aws.gateway import Gateway
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.bootstrap import prepare
from strongroom.config import Config
from strongroom.core.audit import AuditEntry
from strongroom.core.kernel import Kernel
from strongroom.server import StrongroomApp

REGION = "us-east-1"
USER_AGENT = "gateway-path-test/1.0"


@dataclass
class App:
    gateway: Gateway
    kernel: Kernel
    entries: list[AuditEntry] = field(default_factory=list)

    def records(self) -> list[AuditEntry]:
        self.kernel.audit.flush()
        return list(self.entries)


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    with tempfile.TemporaryDirectory(prefix="strongroom-gateway-", ignore_cleanup_errors=True) as tmp:
        config = Config(data_dir=Path(tmp), dev=True, region=REGION)
        prepare(config)
        server = StrongroomApp(config)
        server.start()
        assert server.gateway is not None and server.kernel is not None
        running = App(server.gateway, server.kernel)
        server.kernel.audit.subscribe(running.entries.append)
        try:
            yield running
        finally:
            server.stop()


def _signed(service: str, target: str, body: bytes, content_type: str, secret: str = "test") -> HttpRequest:
    headers = {"Host": "localhost:4566", "Content-Type": content_type, "User-Agent": USER_AGENT}
    if target:
        headers["X-Amz-Target"] = target
    prepared = AWSRequest(method="POST", url="http://localhost:4566/", data=body, headers=headers)
    SigV4Auth(Credentials("test", secret), service, REGION).add_auth(prepared)
    items = [(name.lower(), str(value)) for name, value in prepared.headers.items()]
    return HttpRequest("POST", "/", headers=Headers(items), body=body)


def _list_keys(secret: str = "test") -> HttpRequest:
    return _signed("kms", "TrentService.ListKeys", b"{}", "application/x-amz-json-1.1", secret)


def _caller_identity() -> HttpRequest:
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    return _signed("sts", "", body, "application/x-www-form-urlencoded; charset=utf-8")


def _on_the_event_loop(gateway: Gateway, request: HttpRequest) -> HttpResponse:
    """What the server does: `runs_inline` first, then `handle` (inline or on a worker)."""
    gateway.runs_inline(request)
    return gateway.handle(request)


def _request_id(response: HttpResponse) -> str:
    """The request id of a JSON answer (its header) or of a query answer (its XML body)."""
    found = re.search(rb"<RequestId>([^<]+)</RequestId>", response.body)
    return response.headers.get("x-amzn-RequestId") or (found.group(1).decode() if found else "")


@pytest.mark.parametrize("path", [_on_the_event_loop, Gateway.handle])
def test_each_call_answers_and_is_recorded_under_its_service_and_request_id(app: App, path: object) -> None:
    calls = [("kms", "ListKeys", _list_keys()), ("sts", "GetCallerIdentity", _caller_identity())]
    answered = []
    for service, operation, request in calls:
        response = path(app.gateway, request)  # type: ignore[operator]
        assert response.status == 200, response.body
        request_id = _request_id(response)
        assert uuid.UUID(request_id).version == 4
        answered.append((service, operation, request_id))
    by_request = {entry.record["requestID"]: entry for entry in app.records()}
    for service, operation, request_id in answered:
        entry = by_request[request_id]
        assert (entry.event_source, entry.event_name) == (f"{service}.amazonaws.com", operation)
        assert entry.record["eventSource"] == f"{service}.amazonaws.com"
        assert entry.record["userAgent"] == USER_AGENT
        assert entry.record["awsRegion"] == REGION
        assert entry.event_id == entry.record["eventID"]


def test_event_ids_are_time_ordered_in_the_order_of_the_calls(app: App) -> None:
    started_ms = time.time_ns() // 1_000_000
    request_ids = []
    for _ in range(5):
        response = _on_the_event_loop(app.gateway, _list_keys())
        request_ids.append(_request_id(response))
        time.sleep(0.002)  # a later millisecond: ids of one millisecond are in random order
    by_request = {entry.record["requestID"]: entry for entry in app.records()}
    event_ids = [by_request[request_id].event_id for request_id in request_ids]
    assert event_ids == sorted(event_ids) and len(set(event_ids)) == 5
    for event_id in event_ids:
        parsed = uuid.UUID(event_id)
        assert parsed.version == 7 and parsed.int >> 80 >= started_ms


def test_a_call_refused_for_its_signature_answers_the_protocol_error_and_records_nothing(app: App) -> None:
    before = len(app.records())
    response = _on_the_event_loop(app.gateway, _list_keys(secret="not-the-secret"))
    assert response.status == 400
    assert json.loads(response.body)["__type"] == "InvalidSignatureException"
    genuine = _list_keys()
    assert _on_the_event_loop(app.gateway, genuine).status == 200
    changed = HttpRequest("POST", "/", headers=genuine.headers, body=b'{"Limit": 1}')
    response = _on_the_event_loop(app.gateway, changed)
    assert response.status == 400
    assert json.loads(response.body)["__type"] == "InvalidSignatureException"
    assert len(app.records()) == before + 1  # only the genuine call
