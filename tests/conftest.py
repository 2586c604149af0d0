"""Fixtures: one live dev-mode server per test session, boto3 clients signed with real SigV4.

Set STRONGROOM_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the
whole suite on PostgreSQL: each server gets its own fresh database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.server import TEST_DATABASE_ENV, ServerProcess, boto_config, postgres_database

os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def database_url_factory() -> Iterator[Callable[[], str | None]]:
    """Gives each server its own database: a new PostgreSQL database, or None (SQLite)."""
    base = os.environ.get(TEST_DATABASE_ENV)
    with ExitStack() as stack:

        def make() -> str | None:
            if not base:
                return None
            return stack.enter_context(postgres_database(base))

        yield make


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, database_url_factory: Callable[[], str | None]
) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("strongroom") / "data"
    proc = ServerProcess(data_dir, database_url=database_url_factory(), workers=2)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def endpoint(server: ServerProcess) -> str:
    return server.endpoint


ClientFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def make_client(endpoint: str) -> ClientFactory:
    """`make_client("kms", region="eu-west-1", access_key="test", secret_key="test", token=None)`"""

    def make(
        service: str,
        *,
        region: str = "us-east-1",
        access_key: str = "test",
        secret_key: str = "test",
        token: str | None = None,
        **config: Any,
    ) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=token,
            config=boto_config(**config),
        )

    return make


@pytest.fixture
def data_dir(server: ServerProcess) -> Path:
    return server.data_dir


@pytest.fixture
def server_now(server: ServerProcess) -> Callable[[], datetime]:
    """The session server's business time: other tests move its clock, so never assume the wall clock."""
    return server.now
