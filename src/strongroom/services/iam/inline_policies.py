"""Inline policies embedded in a user or role.

IAM bounds the sum of a principal's inline documents, not each one: 2,048 characters for a user
and 10,240 for a role, white space not counted.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, delete, insert, select, update

from strongroom.core.iam.tables import iam_inline_policies
from strongroom.services.iam.documents import ROLE_INLINE_QUOTA, USER_INLINE_QUOTA, counted_size
from strongroom.services.iam.entities import Entity
from strongroom.services.iam.errors import limit_exceeded, no_such_entity

_QUOTAS = {"user": USER_INLINE_QUOTA, "role": ROLE_INLINE_QUOTA}


def _of(entity: Entity, account_id: str) -> list[ColumnElement[bool]]:
    return [
        iam_inline_policies.c.account_id == account_id,
        iam_inline_policies.c.principal_kind == entity.kind,
        iam_inline_policies.c.principal_key == entity.key,
    ]


def put(conn: Connection, account_id: str, entity: Entity, policy_name: str, document: str) -> None:
    others = conn.execute(
        select(iam_inline_policies.c.document).where(
            *_of(entity, account_id), iam_inline_policies.c.policy_name != policy_name
        )
    ).scalars()
    quota = _QUOTAS[entity.kind]
    if sum(counted_size(text) for text in others) + counted_size(document) > quota:
        raise limit_exceeded(f"Maximum policy size of {quota} bytes exceeded for {entity.kind} {entity.name}")
    replaced = conn.execute(
        update(iam_inline_policies)
        .where(*_of(entity, account_id), iam_inline_policies.c.policy_name == policy_name)
        .values(document=document)
    )
    if replaced.rowcount == 0:
        conn.execute(
            insert(iam_inline_policies).values(
                account_id=account_id,
                principal_kind=entity.kind,
                principal_key=entity.key,
                policy_name=policy_name,
                document=document,
            )
        )


def get(conn: Connection, account_id: str, entity: Entity, policy_name: str) -> str:
    document = conn.execute(
        select(iam_inline_policies.c.document).where(
            *_of(entity, account_id), iam_inline_policies.c.policy_name == policy_name
        )
    ).scalar()
    if document is None:
        raise no_such_entity(f"The {entity.kind} policy with name {policy_name} cannot be found.")
    return str(document)


def names(conn: Connection, account_id: str, entity: Entity) -> list[str]:
    return list(
        conn.execute(
            select(iam_inline_policies.c.policy_name)
            .where(*_of(entity, account_id))
            .order_by(iam_inline_policies.c.policy_name)
        ).scalars()
    )


def remove(conn: Connection, account_id: str, entity: Entity, policy_name: str) -> None:
    deleted = conn.execute(
        delete(iam_inline_policies).where(
            *_of(entity, account_id), iam_inline_policies.c.policy_name == policy_name
        )
    )
    if deleted.rowcount == 0:
        raise no_such_entity(f"The {entity.kind} policy with name {policy_name} cannot be found.")


def rekey(conn: Connection, account_id: str, entity: Entity, new_key: str) -> None:
    conn.execute(update(iam_inline_policies).where(*_of(entity, account_id)).values(principal_key=new_key))
