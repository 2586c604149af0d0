"""Bring a database to the newest schema; run once by the serving parent before workers start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from strongroom.core.store import Database

HERE = Path(__file__).parent


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    cfg = alembic_config(db.url)
    with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            # One migrator at a time across nodes.
            conn.exec_driver_sql("SELECT pg_advisory_lock(472019)")
        cfg.attributes["connection"] = conn
        try:
            command.upgrade(cfg, "heads")
            conn.commit()
        finally:
            if db.dialect == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_unlock(472019)")
                conn.commit()
