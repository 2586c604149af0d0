"""Role sessions: who may assume a role, for how long, and with which session policies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, select

from strongroom.aws.errors import ServiceError
from strongroom.core.iam import MalformedPolicy, parse_policy
from strongroom.core.iam.tables import iam_managed_policies, iam_policy_versions, iam_roles

ROLE_ARN_PARTS = 6


@dataclass(frozen=True)
class Role:
    account_id: str
    name: str
    role_id: str
    arn: str
    trust_policy: str
    max_session_duration: int


def role_account_and_name(role_arn: str) -> tuple[str, str] | None:
    """`arn:aws:iam::123456789012:role/path/Name` → ("123456789012", "Name")."""
    parts = role_arn.split(":", 5)
    if len(parts) != ROLE_ARN_PARTS or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    return parts[4], parts[5].rsplit("/", 1)[-1]


def find_role(conn: Connection, role_arn: str) -> Role | None:
    located = role_account_and_name(role_arn)
    if located is None:
        return None
    account, name = located
    row = conn.execute(
        select(iam_roles).where(iam_roles.c.account_id == account, iam_roles.c.name_key == name.lower())
    ).first()
    if row is None or row.arn != role_arn:
        return None
    return Role(account, row.role_name, row.role_id, row.arn, row.trust_policy, row.max_session_duration)


def session_policy_documents(conn: Connection, request: dict[str, Any]) -> tuple[str, ...]:
    """The inline session policy and the managed policies named by PolicyArns, as documents."""
    documents: list[str] = []
    inline = request.get("Policy")
    if inline is not None:
        try:
            parse_policy(inline, kind="session")
        except MalformedPolicy as exc:
            raise ServiceError("MalformedPolicyDocument", exc.message) from None
        documents.append(inline)
    for item in request.get("PolicyArns") or []:
        arn = item.get("arn", "")
        document = conn.execute(
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
            .where(iam_managed_policies.c.arn == arn)
        ).scalar()
        if document is None:
            raise ServiceError("InvalidParameterValue", f"Policy {arn} does not exist or is not attachable.")
        documents.append(document)
    return tuple(documents)


def packed_policy_size(documents: tuple[str, ...], tags: list[tuple[str, str]]) -> int:
    """The percentage of AWS's packed session-policy-and-tags budget used (AWS compresses both)."""
    import zlib

    packed = zlib.compress(json.dumps([list(documents), tags], separators=(",", ":")).encode())
    return max(1, round(100 * len(packed) / 2048))


def session_duration(request: dict[str, Any], maximum: int, *, default: int = 3600) -> timedelta:
    seconds = int(request.get("DurationSeconds") or default)
    if seconds > maximum:
        raise ServiceError(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
    return timedelta(seconds=seconds)
