"""A fresh database per test: SQLite, or PostgreSQL when STRONGROOM_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.core.store import Database
from strongroom.migrations.runner import upgrade
from tests.support.server import TEST_DATABASE_ENV, postgres_database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    base = os.environ.get(TEST_DATABASE_ENV)
    if base:
        with postgres_database(base) as url:
            database = Database(url)
            upgrade(database)
            yield database
            database.dispose()
    else:
        database = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
        upgrade(database)
        yield database
        database.dispose()
