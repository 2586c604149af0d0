"""The identity-based policies that apply to a principal, read from the IAM tables."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, select

from strongroom.core.iam.principals import Principal
from strongroom.core.iam.tables import (
    iam_inline_policies,
    iam_managed_policies,
    iam_policy_attachments,
    iam_policy_versions,
    iam_roles,
    iam_users,
)


@dataclass(frozen=True)
class IdentityDocuments:
    """Policy documents (JSON text) that bound what a principal may do."""

    identity: tuple[str, ...] = ()
    permissions_boundary: str | None = None


def load_identity_documents(conn: Connection, principal: Principal) -> IdentityDocuments:
    if principal.type == "IAMUser" and principal.user_name:
        kind, key, table = "user", principal.user_name.lower(), iam_users
    elif principal.type == "AssumedRole" and principal.role_name:
        kind, key, table = "role", principal.role_name.lower(), iam_roles
    else:
        return IdentityDocuments()
    account = principal.account_id
    inline = conn.execute(
        select(iam_inline_policies.c.document).where(
            iam_inline_policies.c.account_id == account,
            iam_inline_policies.c.principal_kind == kind,
            iam_inline_policies.c.principal_key == key,
        )
    ).scalars()
    managed = conn.execute(
        select(iam_policy_versions.c.document)
        .select_from(
            iam_policy_attachments.join(
                iam_managed_policies, iam_managed_policies.c.arn == iam_policy_attachments.c.policy_arn
            ).join(
                iam_policy_versions,
                and_(
                    iam_policy_versions.c.policy_arn == iam_managed_policies.c.arn,
                    iam_policy_versions.c.version_id == iam_managed_policies.c.default_version_id,
                ),
            )
        )
        .where(
            iam_policy_attachments.c.account_id == account,
            iam_policy_attachments.c.principal_kind == kind,
            iam_policy_attachments.c.principal_key == key,
        )
    ).scalars()
    documents = (*inline, *managed)
    boundary_arn = conn.execute(
        select(table.c.permissions_boundary).where(table.c.account_id == account, table.c.name_key == key)
    ).scalar()
    boundary = None
    if boundary_arn:
        boundary = conn.execute(
            select(iam_policy_versions.c.document)
            .select_from(
                iam_managed_policies.join(
                    iam_policy_versions,
                    and_(
                        iam_policy_versions.c.policy_arn == iam_managed_policies.c.arn,
                        iam_policy_versions.c.version_id == iam_managed_policies.c.default_version_id,
                    ),
                )
            )
            .where(iam_managed_policies.c.arn == boundary_arn)
        ).scalar()
    return IdentityDocuments(tuple(documents), boundary)
