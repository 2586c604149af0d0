"""IAM roles: a trust policy that says who may assume them, and the permissions they carry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from strongroom.core.iam import ids
from strongroom.core.iam.tables import iam_inline_policies, iam_policy_attachments, iam_roles
from strongroom.services.iam import attachments, tags
from strongroom.services.iam.documents import encoded
from strongroom.services.iam.entities import Entity
from strongroom.services.iam.errors import already_exists, delete_conflict, no_such_entity
from strongroom.services.iam.names import name_key, role_arn

DEFAULT_MAX_SESSION_DURATION = 3600


def find(conn: Connection, account_id: str, name: str) -> Row[Any] | None:
    return conn.execute(
        select(iam_roles).where(iam_roles.c.account_id == account_id, iam_roles.c.name_key == name_key(name))
    ).first()


def require(conn: Connection, account_id: str, name: str) -> Row[Any]:
    row = find(conn, account_id, name)
    if row is None:
        raise no_such_entity(f"The role with name {name} cannot be found.")
    return row


def entity(row: Row[Any]) -> Entity:
    return Entity("role", row.name_key, row.role_name, row.arn)


def create(
    conn: Connection,
    account_id: str,
    name: str,
    path: str,
    trust_policy: str,
    description: str | None,
    max_session_duration: int,
    boundary: str | None,
    now: datetime,
) -> Row[Any]:
    if find(conn, account_id, name) is not None:
        raise already_exists(f"Role with name {name} already exists.")
    conn.execute(
        insert(iam_roles).values(
            account_id=account_id,
            name_key=name_key(name),
            role_name=name,
            role_id=ids.unique_id("AROA"),
            path=path,
            arn=role_arn(account_id, path, name),
            trust_policy=trust_policy,
            description=description,
            max_session_duration=max_session_duration,
            permissions_boundary=boundary,
            created_at=now,
        )
    )
    return require(conn, account_id, name)


def listing(conn: Connection, account_id: str, path_prefix: str | None) -> list[Row[Any]]:
    query = select(iam_roles).where(iam_roles.c.account_id == account_id)
    if path_prefix:
        query = query.where(iam_roles.c.path.startswith(path_prefix, autoescape=True))
    return list(conn.execute(query.order_by(iam_roles.c.name_key)))


def change(conn: Connection, account_id: str, row: Row[Any], **values: Any) -> None:
    conn.execute(
        update(iam_roles)
        .where(iam_roles.c.account_id == account_id, iam_roles.c.name_key == row.name_key)
        .values(**values)
    )


def remove(conn: Connection, account_id: str, row: Row[Any]) -> None:
    attached = conn.execute(
        select(func.count())
        .select_from(iam_policy_attachments)
        .where(
            iam_policy_attachments.c.account_id == account_id,
            iam_policy_attachments.c.principal_kind == "role",
            iam_policy_attachments.c.principal_key == row.name_key,
        )
    ).scalar_one()
    if attached:
        raise delete_conflict("Cannot delete entity, must detach all policies first.")
    inline = conn.execute(
        select(func.count())
        .select_from(iam_inline_policies)
        .where(
            iam_inline_policies.c.account_id == account_id,
            iam_inline_policies.c.principal_kind == "role",
            iam_inline_policies.c.principal_key == row.name_key,
        )
    ).scalar_one()
    if inline:
        raise delete_conflict("Cannot delete entity, must delete policies first.")
    tags.drop_all(conn, account_id, "role", row.name_key)
    conn.execute(
        delete(iam_roles).where(iam_roles.c.account_id == account_id, iam_roles.c.name_key == row.name_key)
    )


def count(conn: Connection, account_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(iam_roles).where(iam_roles.c.account_id == account_id)
        ).scalar_one()
    )


def describe(
    row: Row[Any], tag_list: list[dict[str, str]] | None = None, *, full: bool = True
) -> dict[str, Any]:
    """The Role structure; GetRole (`full`) adds RoleLastUsed and the role's tags, as IAM does."""
    role: dict[str, Any] = {
        "Path": row.path,
        "RoleName": row.role_name,
        "RoleId": row.role_id,
        "Arn": row.arn,
        "CreateDate": row.created_at,
        "AssumeRolePolicyDocument": encoded(row.trust_policy),
        "MaxSessionDuration": row.max_session_duration,
    }
    if row.description is not None:
        role["Description"] = row.description
    boundary = attachments.boundary_description(row.permissions_boundary)
    if boundary:
        role["PermissionsBoundary"] = boundary
    if tag_list:
        role["Tags"] = tag_list
    if full:
        role["RoleLastUsed"] = {}
    return role
