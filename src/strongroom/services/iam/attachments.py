"""Managed policies attached to users and roles (at most 10 each), and permissions boundaries."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update

from strongroom.core.iam.tables import iam_policy_attachments, iam_roles, iam_users
from strongroom.services.iam.entities import Entity
from strongroom.services.iam.errors import no_such_entity, quota_exceeded

MAX_ATTACHED = 10
_QUOTA_NAMES = {"user": "PoliciesPerUser", "role": "PoliciesPerRole"}


def _of(entity: Entity, account_id: str) -> list[ColumnElement[bool]]:
    return [
        iam_policy_attachments.c.account_id == account_id,
        iam_policy_attachments.c.principal_kind == entity.kind,
        iam_policy_attachments.c.principal_key == entity.key,
    ]


def attached_arns(conn: Connection, account_id: str, entity: Entity) -> list[str]:
    return list(
        conn.execute(
            select(iam_policy_attachments.c.policy_arn)
            .where(*_of(entity, account_id))
            .order_by(iam_policy_attachments.c.policy_arn)
        ).scalars()
    )


def attach(conn: Connection, account_id: str, entity: Entity, policy_arn: str) -> None:
    """Attach `policy_arn`; attaching it again changes nothing, as on IAM."""
    current = attached_arns(conn, account_id, entity)
    if policy_arn in current:
        return
    if len(current) >= MAX_ATTACHED:
        raise quota_exceeded(_QUOTA_NAMES[entity.kind], MAX_ATTACHED)
    conn.execute(
        insert(iam_policy_attachments).values(
            account_id=account_id, principal_kind=entity.kind, principal_key=entity.key, policy_arn=policy_arn
        )
    )


def detach(conn: Connection, account_id: str, entity: Entity, policy_arn: str) -> None:
    deleted = conn.execute(
        delete(iam_policy_attachments).where(
            *_of(entity, account_id), iam_policy_attachments.c.policy_arn == policy_arn
        )
    )
    if deleted.rowcount == 0:
        raise no_such_entity(f"Policy {policy_arn} was not found.")


def rekey(conn: Connection, account_id: str, entity: Entity, new_key: str) -> None:
    conn.execute(update(iam_policy_attachments).where(*_of(entity, account_id)).values(principal_key=new_key))


def attachment_count(conn: Connection, account_id: str, policy_arn: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(iam_policy_attachments)
            .where(
                iam_policy_attachments.c.account_id == account_id,
                iam_policy_attachments.c.policy_arn == policy_arn,
            )
        ).scalar_one()
    )


def boundary_usage_count(conn: Connection, account_id: str, policy_arn: str) -> int:
    users = conn.execute(
        select(func.count())
        .select_from(iam_users)
        .where(iam_users.c.account_id == account_id, iam_users.c.permissions_boundary == policy_arn)
    ).scalar_one()
    roles = conn.execute(
        select(func.count())
        .select_from(iam_roles)
        .where(iam_roles.c.account_id == account_id, iam_roles.c.permissions_boundary == policy_arn)
    ).scalar_one()
    return int(users) + int(roles)


def attached_entities(conn: Connection, account_id: str, policy_arn: str) -> list[tuple[str, str]]:
    """(kind, name key) of every user and role `policy_arn` is attached to."""
    rows = conn.execute(
        select(iam_policy_attachments.c.principal_kind, iam_policy_attachments.c.principal_key).where(
            iam_policy_attachments.c.account_id == account_id,
            iam_policy_attachments.c.policy_arn == policy_arn,
        )
    )
    return [(row.principal_kind, row.principal_key) for row in rows]


def boundary_description(policy_arn: str | None) -> dict[str, str] | None:
    if not policy_arn:
        return None
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": policy_arn}
