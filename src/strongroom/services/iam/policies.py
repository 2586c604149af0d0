"""Customer managed policies and their versions (at most five; the default one is in force).

AWS managed policies live in the same tables under the pseudo-account `aws` (see aws_managed.py):
any account may attach them, none may change them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from strongroom.core.iam import ids
from strongroom.core.iam.tables import (
    iam_managed_policies,
    iam_policy_attachments,
    iam_policy_versions,
    iam_roles,
    iam_users,
)
from strongroom.services.iam import attachments, tags
from strongroom.services.iam.documents import encoded
from strongroom.services.iam.errors import already_exists, delete_conflict, limit_exceeded, no_such_entity
from strongroom.services.iam.names import AWS_MANAGED_ACCOUNT, parse_policy_arn, policy_arn

MAX_VERSIONS = 5


def find(conn: Connection, arn: str) -> Row[Any] | None:
    return conn.execute(select(iam_managed_policies).where(iam_managed_policies.c.arn == arn)).first()


def require(conn: Connection, account_id: str, arn: str) -> Row[Any]:
    """The policy `arn` names, if the caller's account may see it (its own or an AWS managed one)."""
    parsed = parse_policy_arn(arn)
    row = find(conn, arn) if parsed.account_id in (account_id, AWS_MANAGED_ACCOUNT) else None
    if row is None:
        raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
    return row


def create(
    conn: Connection,
    account_id: str,
    name: str,
    path: str,
    description: str | None,
    document: str,
    now: datetime,
    *,
    policy_id: str | None = None,
    version_id: str = "v1",
) -> Row[Any]:
    taken = conn.execute(
        select(iam_managed_policies.c.arn).where(
            iam_managed_policies.c.account_id == account_id,
            func.lower(iam_managed_policies.c.policy_name) == name.lower(),
        )
    ).first()
    if taken is not None:
        raise already_exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
    arn = policy_arn(account_id, path, name)
    conn.execute(
        insert(iam_managed_policies).values(
            arn=arn,
            account_id=account_id,
            policy_name=name,
            policy_id=policy_id or ids.unique_id("ANPA"),
            path=path,
            description=description,
            default_version_id=version_id,
            next_version=int(version_id[1:]) + 1,
            created_at=now,
            updated_at=now,
        )
    )
    conn.execute(
        insert(iam_policy_versions).values(
            policy_arn=arn, version_id=version_id, document=document, created_at=now
        )
    )
    row = find(conn, arn)
    assert row is not None
    return row


def describe(
    conn: Connection,
    account_id: str,
    row: Row[Any],
    tag_list: list[dict[str, str]] | None = None,
    counts: tuple[int, int] | None = None,
) -> dict[str, Any]:
    attached, boundary_uses = counts or (
        attachments.attachment_count(conn, account_id, row.arn),
        attachments.boundary_usage_count(conn, account_id, row.arn),
    )
    policy: dict[str, Any] = {
        "PolicyName": row.policy_name,
        "PolicyId": row.policy_id,
        "Arn": row.arn,
        "Path": row.path,
        "DefaultVersionId": row.default_version_id,
        "AttachmentCount": attached,
        "PermissionsBoundaryUsageCount": boundary_uses,
        "IsAttachable": True,
        "CreateDate": row.created_at,
        "UpdateDate": row.updated_at,
    }
    if row.description is not None:
        policy["Description"] = row.description
    if tag_list:
        policy["Tags"] = tag_list
    return policy


def listing(
    conn: Connection,
    account_id: str,
    *,
    scope: str,
    only_attached: bool,
    path_prefix: str | None,
    usage_filter: str | None,
) -> list[dict[str, Any]]:
    owners = {"Local": [account_id], "AWS": [AWS_MANAGED_ACCOUNT]}.get(
        scope, [account_id, AWS_MANAGED_ACCOUNT]
    )
    query = select(iam_managed_policies).where(iam_managed_policies.c.account_id.in_(owners))
    if path_prefix:
        query = query.where(iam_managed_policies.c.path.startswith(path_prefix, autoescape=True))
    rows = conn.execute(
        query.order_by(func.lower(iam_managed_policies.c.policy_name), iam_managed_policies.c.arn)
    )
    attached = _attachment_counts(conn, account_id)
    boundaries = _boundary_counts(conn, account_id)
    result = []
    for row in rows:
        counts = (attached.get(row.arn, 0), boundaries.get(row.arn, 0))
        if only_attached:
            in_use = {
                "PermissionsPolicy": counts[0] > 0,
                "PermissionsBoundary": counts[1] > 0,
            }.get(usage_filter or "", counts[0] > 0 or counts[1] > 0)
            if not in_use:
                continue
        result.append(describe(conn, account_id, row, counts=counts))
    return result


def _attachment_counts(conn: Connection, account_id: str) -> dict[str, int]:
    rows = conn.execute(
        select(iam_policy_attachments.c.policy_arn, func.count())
        .where(iam_policy_attachments.c.account_id == account_id)
        .group_by(iam_policy_attachments.c.policy_arn)
    )
    return {arn: int(n) for arn, n in rows}


def _boundary_counts(conn: Connection, account_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in (iam_users, iam_roles):
        rows = conn.execute(
            select(table.c.permissions_boundary, func.count())
            .where(table.c.account_id == account_id, table.c.permissions_boundary.is_not(None))
            .group_by(table.c.permissions_boundary)
        )
        for arn, n in rows:
            counts[arn] = counts.get(arn, 0) + int(n)
    return counts


def remove(conn: Connection, account_id: str, row: Row[Any]) -> None:
    if attachments.attachment_count(conn, account_id, row.arn) or attachments.boundary_usage_count(
        conn, account_id, row.arn
    ):
        raise delete_conflict("Cannot delete a policy attached to entities.")
    if len(versions(conn, row.arn)) > 1:
        raise delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's "
            "versions. The default version is deleted with the policy."
        )
    tags.drop_all(conn, account_id, "policy", row.arn)
    forget(conn, row.arn)


def forget(conn: Connection, arn: str) -> None:
    """Delete the policy and its versions, whatever refers to it."""
    conn.execute(delete(iam_policy_versions).where(iam_policy_versions.c.policy_arn == arn))
    conn.execute(delete(iam_managed_policies).where(iam_managed_policies.c.arn == arn))


def count(conn: Connection, account_id: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(iam_managed_policies)
            .where(iam_managed_policies.c.account_id == account_id)
        ).scalar_one()
    )


def versions_in_use(conn: Connection, account_id: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(iam_policy_versions.join(iam_managed_policies))
            .where(iam_managed_policies.c.account_id == account_id)
        ).scalar_one()
    )


# -- versions ------------------------------------------------------------------------------------


def versions(conn: Connection, arn: str) -> list[Row[Any]]:
    rows = conn.execute(select(iam_policy_versions).where(iam_policy_versions.c.policy_arn == arn))
    return sorted(rows, key=lambda r: _version_number(r.version_id), reverse=True)


def _version_number(version_id: str) -> int:
    digits = version_id[1:].split(".", 1)[0]
    return int(digits) if digits.isdigit() else 0


def create_version(
    conn: Connection, row: Row[Any], document: str, set_as_default: bool, now: datetime
) -> str:
    if len(versions(conn, row.arn)) >= MAX_VERSIONS:
        raise limit_exceeded(
            f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, "
            "you must delete an existing version."
        )
    version_id = f"v{row.next_version}"
    conn.execute(
        insert(iam_policy_versions).values(
            policy_arn=row.arn, version_id=version_id, document=document, created_at=now
        )
    )
    values: dict[str, Any] = {"next_version": row.next_version + 1}
    if set_as_default:
        values.update(default_version_id=version_id, updated_at=now)
    conn.execute(update(iam_managed_policies).where(iam_managed_policies.c.arn == row.arn).values(**values))
    return version_id


def require_version(conn: Connection, row: Row[Any], version_id: str) -> Row[Any]:
    version = conn.execute(
        select(iam_policy_versions).where(
            iam_policy_versions.c.policy_arn == row.arn, iam_policy_versions.c.version_id == version_id
        )
    ).first()
    if version is None:
        raise no_such_entity(f"Policy {row.arn} version {version_id} does not exist or is not attachable.")
    return version


def delete_version(conn: Connection, row: Row[Any], version_id: str) -> None:
    require_version(conn, row, version_id)
    if version_id == row.default_version_id:
        raise delete_conflict("Cannot delete the default version of a policy.")
    conn.execute(
        delete(iam_policy_versions).where(
            iam_policy_versions.c.policy_arn == row.arn, iam_policy_versions.c.version_id == version_id
        )
    )


def set_default(conn: Connection, row: Row[Any], version_id: str, now: datetime) -> None:
    require_version(conn, row, version_id)
    conn.execute(
        update(iam_managed_policies)
        .where(iam_managed_policies.c.arn == row.arn)
        .values(default_version_id=version_id, updated_at=now)
    )


def describe_version(
    version: Row[Any], default_version_id: str, *, with_document: bool = True
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == default_version_id,
        "CreateDate": version.created_at,
    }
    if with_document:
        result["Document"] = encoded(version.document)
    return result
