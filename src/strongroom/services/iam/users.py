"""IAM users: creation, lookup, listing, renaming and deletion (refused while anything hangs on them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from strongroom.core.iam import ids
from strongroom.core.iam.tables import iam_access_keys, iam_inline_policies, iam_policy_attachments, iam_users
from strongroom.services.iam import attachments, inline_policies, tags
from strongroom.services.iam.entities import Entity
from strongroom.services.iam.errors import already_exists, delete_conflict, no_such_entity
from strongroom.services.iam.names import name_key, user_arn


def find(conn: Connection, account_id: str, name: str) -> Row[Any] | None:
    return conn.execute(
        select(iam_users).where(iam_users.c.account_id == account_id, iam_users.c.name_key == name_key(name))
    ).first()


def require(conn: Connection, account_id: str, name: str) -> Row[Any]:
    row = find(conn, account_id, name)
    if row is None:
        raise no_such_entity(f"The user with name {name} cannot be found.")
    return row


def entity(row: Row[Any]) -> Entity:
    return Entity("user", row.name_key, row.user_name, row.arn)


def create(
    conn: Connection, account_id: str, name: str, path: str, boundary: str | None, now: datetime
) -> Row[Any]:
    if find(conn, account_id, name) is not None:
        raise already_exists(f"User with name {name} already exists.")
    conn.execute(
        insert(iam_users).values(
            account_id=account_id,
            name_key=name_key(name),
            user_name=name,
            user_id=ids.unique_id("AIDA"),
            path=path,
            arn=user_arn(account_id, path, name),
            permissions_boundary=boundary,
            created_at=now,
        )
    )
    return require(conn, account_id, name)


def listing(conn: Connection, account_id: str, path_prefix: str | None) -> list[Row[Any]]:
    query = select(iam_users).where(iam_users.c.account_id == account_id)
    if path_prefix:
        query = query.where(iam_users.c.path.startswith(path_prefix, autoescape=True))
    return list(conn.execute(query.order_by(iam_users.c.name_key)))


def rename(
    conn: Connection, account_id: str, row: Row[Any], new_name: str | None, new_path: str | None
) -> None:
    """Change the name and/or path; everything keyed by the old name follows."""
    name = new_name or row.user_name
    path = new_path or row.path
    new_key = name_key(name)
    if new_key != row.name_key and find(conn, account_id, name) is not None:
        raise already_exists(f"User with name {name} already exists.")
    conn.execute(
        update(iam_users)
        .where(iam_users.c.account_id == account_id, iam_users.c.name_key == row.name_key)
        .values(name_key=new_key, user_name=name, path=path, arn=user_arn(account_id, path, name))
    )
    if new_key != row.name_key:
        old = entity(row)
        conn.execute(
            update(iam_access_keys)
            .where(
                iam_access_keys.c.account_id == account_id, iam_access_keys.c.user_name_key == row.name_key
            )
            .values(user_name_key=new_key)
        )
        inline_policies.rekey(conn, account_id, old, new_key)
        attachments.rekey(conn, account_id, old, new_key)
        tags.rekey(conn, account_id, "user", row.name_key, new_key)


def remove(conn: Connection, account_id: str, row: Row[Any]) -> None:
    """Delete the user, in IAM's order of refusals: access keys, inline policies, attached policies."""
    keys = _count(conn, iam_access_keys, iam_access_keys.c.account_id == account_id,
                  iam_access_keys.c.user_name_key == row.name_key)  # fmt: skip
    if keys:
        raise delete_conflict("Cannot delete entity, must delete access keys first.")
    inline = _count(conn, iam_inline_policies, iam_inline_policies.c.account_id == account_id,
                    iam_inline_policies.c.principal_kind == "user",
                    iam_inline_policies.c.principal_key == row.name_key)  # fmt: skip
    if inline:
        raise delete_conflict("Cannot delete entity, must delete policies first.")
    attached = _count(conn, iam_policy_attachments, iam_policy_attachments.c.account_id == account_id,
                      iam_policy_attachments.c.principal_kind == "user",
                      iam_policy_attachments.c.principal_key == row.name_key)  # fmt: skip
    if attached:
        raise delete_conflict("Cannot delete entity, must detach all policies first.")
    tags.drop_all(conn, account_id, "user", row.name_key)
    conn.execute(
        delete(iam_users).where(iam_users.c.account_id == account_id, iam_users.c.name_key == row.name_key)
    )


def _count(conn: Connection, table: Any, *where: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def count(conn: Connection, account_id: str) -> int:
    return _count(conn, iam_users, iam_users.c.account_id == account_id)


def describe(row: Row[Any], tag_list: list[dict[str, str]] | None = None) -> dict[str, Any]:
    user: dict[str, Any] = {
        "Path": row.path,
        "UserName": row.user_name,
        "UserId": row.user_id,
        "Arn": row.arn,
        "CreateDate": row.created_at,
    }
    boundary = attachments.boundary_description(row.permissions_boundary)
    if boundary:
        user["PermissionsBoundary"] = boundary
    if tag_list:
        user["Tags"] = tag_list
    return user


def set_boundary(conn: Connection, account_id: str, row: Row[Any], policy_arn: str | None) -> None:
    conn.execute(
        update(iam_users)
        .where(iam_users.c.account_id == account_id, iam_users.c.name_key == row.name_key)
        .values(permissions_boundary=policy_arn)
    )
