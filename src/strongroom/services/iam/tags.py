"""Tags on users, roles and managed policies: at most 50 per resource, keys unique regardless of case."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from strongroom.core.iam.tables import iam_tags
from strongroom.services.iam.errors import invalid_input, limit_exceeded

MAX_TAGS = 50


def tag_list(conn: Connection, account_id: str, kind: str, key: str) -> list[dict[str, str]]:
    rows = conn.execute(
        select(iam_tags.c.tag_key, iam_tags.c.tag_value)
        .where(
            iam_tags.c.account_id == account_id,
            iam_tags.c.resource_kind == kind,
            iam_tags.c.resource_key == key,
        )
        .order_by(iam_tags.c.tag_key)
    )
    return [{"Key": row.tag_key, "Value": row.tag_value} for row in rows]


def tag_map(tags: Iterable[dict[str, str]]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def requested(tags: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """The request's tags, refused if one key appears twice (in any case)."""
    tags = tags or []
    keys = [str(tag["Key"]).lower() for tag in tags]
    if len(set(keys)) != len(keys):
        raise invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    for tag in tags:
        if str(tag["Key"]).lower().startswith("aws:"):
            raise invalid_input(
                "User-defined tag keys can't start with 'aws:', as this prefix is reserved for AWS."
            )
    return [{"Key": str(tag["Key"]), "Value": str(tag.get("Value") or "")} for tag in tags]


def put_tags(conn: Connection, account_id: str, kind: str, key: str, tags: list[dict[str, str]]) -> None:
    """Add or overwrite `tags` (a key matching an existing one in another case replaces it)."""
    if not tags:
        return
    existing = tag_list(conn, account_id, kind, key)
    new_keys = {tag["Key"].lower() for tag in tags}
    kept = [tag for tag in existing if tag["Key"].lower() not in new_keys]
    if len(kept) + len(tags) > MAX_TAGS:
        raise limit_exceeded("The number of tags has reached the maximum limit.")
    _delete(conn, account_id, kind, key, [tag["Key"] for tag in existing if tag["Key"].lower() in new_keys])
    conn.execute(
        insert(iam_tags),
        [
            {
                "account_id": account_id,
                "resource_kind": kind,
                "resource_key": key,
                "tag_key": tag["Key"],
                "tag_value": tag["Value"],
            }
            for tag in tags
        ],
    )


def remove_tags(conn: Connection, account_id: str, kind: str, key: str, tag_keys: list[str]) -> None:
    lowered = {k.lower() for k in tag_keys}
    existing = tag_list(conn, account_id, kind, key)
    _delete(conn, account_id, kind, key, [tag["Key"] for tag in existing if tag["Key"].lower() in lowered])


def drop_all(conn: Connection, account_id: str, kind: str, key: str) -> None:
    conn.execute(
        delete(iam_tags).where(
            iam_tags.c.account_id == account_id,
            iam_tags.c.resource_kind == kind,
            iam_tags.c.resource_key == key,
        )
    )


def rekey(conn: Connection, account_id: str, kind: str, old_key: str, new_key: str) -> None:
    conn.execute(
        update(iam_tags)
        .where(
            iam_tags.c.account_id == account_id,
            iam_tags.c.resource_kind == kind,
            iam_tags.c.resource_key == old_key,
        )
        .values(resource_key=new_key)
    )


def count(conn: Connection, account_id: str, kind: str, key: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(iam_tags)
            .where(
                iam_tags.c.account_id == account_id,
                iam_tags.c.resource_kind == kind,
                iam_tags.c.resource_key == key,
            )
        ).scalar_one()
    )


def _delete(conn: Connection, account_id: str, kind: str, key: str, tag_keys: list[str]) -> None:
    if tag_keys:
        conn.execute(
            delete(iam_tags).where(
                iam_tags.c.account_id == account_id,
                iam_tags.c.resource_kind == kind,
                iam_tags.c.resource_key == key,
                iam_tags.c.tag_key.in_(tag_keys),
            )
        )
