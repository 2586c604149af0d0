"""A rotation function for tests: an HTTP endpoint doing what a rotation Lambda does, with boto3."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from tests.support.server import ServerProcess


class RotationFunction:
    """Follows AWS's rotation template: put AWSPENDING, (set, test), move AWSCURRENT.

    `fail_step` makes that step answer 500; `calls` records (step, token) in order.
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[tuple[str, str]] = []
        self.fail_step: str | None = None
        self.new_value: Callable[[str], str] = lambda token: f"rotated-{token}"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                try:
                    outer.handle(event)
                    status = 200
                except Exception:
                    status = 500
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/rotate"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, event: dict[str, str]) -> None:
        step, arn, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
        self.calls.append((step, token))
        if step == self.fail_step:
            raise RuntimeError(f"{step} fails on purpose")
        versions = self.client.describe_secret(SecretId=arn)["VersionIdsToStages"]
        if token not in versions:
            raise RuntimeError("the token is not a version of the secret")
        if "AWSCURRENT" in versions[token]:
            return
        if "AWSPENDING" not in versions[token]:
            raise RuntimeError("the token's version is not AWSPENDING")
        if step == "createSecret":
            try:
                self.client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            except self.client.exceptions.ResourceNotFoundException:
                self.client.put_secret_value(
                    SecretId=arn,
                    ClientRequestToken=token,
                    SecretString=self.new_value(token),
                    VersionStages=["AWSPENDING"],
                )
        elif step == "finishSecret":
            current = next(v for v, stages in versions.items() if "AWSCURRENT" in stages)
            self.client.update_secret_version_stage(
                SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
            )


R = TypeVar("R", bound=RotationFunction)


def registered(server: ServerProcess, account_id: str, rotator: R, label: str) -> Iterator[tuple[R, str]]:
    """Register `rotator` as a "Lambda" ARN in the server's rotation-function registry (a module
    fixture yields from this), and close it afterwards."""
    arn = f"arn:aws:lambda:us-east-1:{account_id}:function:{label}-{uuid.uuid4().hex[:8]}"
    registry = server.data_dir / "rotation-functions.json"
    entries = json.loads(registry.read_text()) if registry.exists() else {}
    entries[arn] = rotator.url
    tmp = registry.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
    tmp.write_text(json.dumps(entries))
    tmp.replace(registry)
    try:
        yield rotator, arn
    finally:
        rotator.close()
