"""Long-term access keys of IAM users (and of the account root): at most two per user.

The secret is sealed under the root of trust by the kernel's credential store and is returned only
once, by CreateAccessKey. An Inactive key stays listed but no longer signs requests.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, func, select, update

from strongroom.core.iam.credentials import Credentials
from strongroom.core.iam.tables import iam_access_keys
from strongroom.services.iam.errors import no_such_entity, quota_exceeded

MAX_KEYS_PER_USER = 2


def _owned_by(account_id: str, user_key: str | None) -> list[Any]:
    owner = (
        iam_access_keys.c.user_name_key.is_(None)
        if user_key is None
        else iam_access_keys.c.user_name_key == user_key
    )
    return [iam_access_keys.c.account_id == account_id, owner]


def listing(conn: Connection, account_id: str, user_key: str | None) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(iam_access_keys.c.access_key_id, iam_access_keys.c.status, iam_access_keys.c.created_at)
            .where(*_owned_by(account_id, user_key))
            .order_by(iam_access_keys.c.created_at, iam_access_keys.c.access_key_id)
        )
    )


def create(
    conn: Connection, credentials: Credentials, account_id: str, user_key: str | None
) -> tuple[str, str, Any]:
    existing = conn.execute(
        select(func.count()).select_from(iam_access_keys).where(*_owned_by(account_id, user_key))
    ).scalar_one()
    if existing >= MAX_KEYS_PER_USER:
        raise quota_exceeded("AccessKeysPerUser", MAX_KEYS_PER_USER)
    return credentials.create_access_key(conn, account_id, user_key)


def _not_found(access_key_id: str) -> Exception:
    return no_such_entity(f"The Access Key with id {access_key_id} cannot be found.")


def set_status(
    conn: Connection, account_id: str, user_key: str | None, access_key_id: str, status: str
) -> None:
    changed = conn.execute(
        update(iam_access_keys)
        .where(*_owned_by(account_id, user_key), iam_access_keys.c.access_key_id == access_key_id)
        .values(status=status)
    )
    if changed.rowcount == 0:
        raise _not_found(access_key_id)


def remove(conn: Connection, account_id: str, user_key: str | None, access_key_id: str) -> None:
    deleted = conn.execute(
        delete(iam_access_keys).where(
            *_owned_by(account_id, user_key), iam_access_keys.c.access_key_id == access_key_id
        )
    )
    if deleted.rowcount == 0:
        raise _not_found(access_key_id)


def owner(conn: Connection, account_id: str, access_key_id: str) -> Row[Any]:
    row = conn.execute(
        select(iam_access_keys.c.user_name_key).where(
            iam_access_keys.c.account_id == account_id, iam_access_keys.c.access_key_id == access_key_id
        )
    ).first()
    if row is None:
        raise _not_found(access_key_id)
    return row


def present(conn: Connection, account_id: str, user_key: str | None) -> bool:
    return bool(listing(conn, account_id, user_key))
