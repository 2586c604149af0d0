"""First start: schema, root of trust and the default account's root credentials.

Runs once in the serving parent before any worker starts, so workers never race on it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import select

from strongroom.config import Config
from strongroom.core.clock import Clock
from strongroom.core.crypto import open_root_of_trust
from strongroom.core.iam import ids
from strongroom.core.iam.credentials import Credentials
from strongroom.core.iam.tables import iam_access_keys
from strongroom.core.store import Database
from strongroom.core.store.settings import get_setting, put_setting
from strongroom.migrations.runner import upgrade

log = logging.getLogger("strongroom")

DEFAULT_ACCOUNT_SETTING = "default_account_id"


def prepare(config: Config, env: dict[str, str] | None = None) -> str:
    """Make the data dir ready to serve; returns the default account id."""
    env = dict(os.environ if env is None else env)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(config.data_dir, 0o700)
    db = Database(config.effective_database_url)
    try:
        upgrade(db)
        root = open_root_of_trust(config.root_key_provider, config.data_dir, env=env)
        credentials = Credentials(db, root, Clock(), dev=config.dev)
        return _bootstrap_root_credentials(db, credentials, config.data_dir, env)
    finally:
        db.dispose()


def _bootstrap_root_credentials(
    db: Database, credentials: Credentials, data_dir: Path, env: dict[str, str]
) -> str:
    key_id = env.get("STRONGROOM_ROOT_ACCESS_KEY_ID")
    secret = env.get("STRONGROOM_ROOT_SECRET_ACCESS_KEY")
    with db.write() as conn:
        account = get_setting(conn, DEFAULT_ACCOUNT_SETTING)
        if account is None:
            account = env.get("STRONGROOM_ACCOUNT_ID") or ids.account_id()
            if not (len(account) == 12 and account.isdigit()):
                raise SystemExit("STRONGROOM_ACCOUNT_ID must be 12 digits")
            put_setting(conn, DEFAULT_ACCOUNT_SETTING, account)
        credentials.ensure_account(account, conn)
        if key_id and secret:
            existing = conn.execute(
                select(iam_access_keys.c.account_id).where(iam_access_keys.c.access_key_id == key_id)
            ).first()
            if existing is None:
                credentials.create_access_key(conn, account, None, access_key_id=key_id, secret=secret)
                log.info("root credentials for account %s taken from the environment", account)
            return account
        has_root_key = conn.execute(
            select(iam_access_keys.c.access_key_id).where(
                iam_access_keys.c.account_id == account, iam_access_keys.c.user_name_key.is_(None)
            )
        ).first()
        if has_root_key is not None:
            return account
        key_id, secret, _ = credentials.create_access_key(conn, account, None)
    path = data_dir / "credentials"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"[strongroom]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n")
    os.chmod(path, 0o600)
    log.warning(
        "generated root credentials for account %s; written to %s (profile strongroom)",
        account,
        path.resolve(),
    )
    return account
