"""Tables of accounts and IAM identities (global per account, as on AWS)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from strongroom.core.store.schema import UtcDateTime, metadata

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# IAM names are unique case-insensitively; `name_key` is the lower-cased name.
iam_users = Table(
    "iam_users",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("name_key", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("user_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("permissions_boundary", String(2048)),
    Column("created_at", UtcDateTime, nullable=False),
)

iam_roles = Table(
    "iam_roles",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("name_key", String(64), primary_key=True),
    Column("role_name", String(64), nullable=False),
    Column("role_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("trust_policy", Text, nullable=False),
    Column("description", String(1000)),
    Column("max_session_duration", Integer, nullable=False),
    Column("permissions_boundary", String(2048)),
    Column("created_at", UtcDateTime, nullable=False),
)

# Secret access keys are sealed under the root of trust: HMAC checks need the secret itself.
iam_access_keys = Table(
    "iam_access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("user_name_key", String(64)),  # NULL: the account's root user
    Column("secret_sealed", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_iam_access_keys_user", "account_id", "user_name_key"),
)

# principal_kind: "user" | "role" | "group"
iam_inline_policies = Table(
    "iam_inline_policies",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("principal_kind", String(8), primary_key=True),
    Column("principal_key", String(64), primary_key=True),
    Column("policy_name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

iam_managed_policies = Table(
    "iam_managed_policies",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("policy_name", String(128), nullable=False),
    Column("policy_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("description", String(1000)),
    Column("default_version_id", String(16), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "policy_name", name="uq_iam_managed_policies_name"),
)

iam_policy_versions = Table(
    "iam_policy_versions",
    metadata,
    Column(
        "policy_arn",
        String(2048),
        ForeignKey("iam_managed_policies.arn", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

iam_policy_attachments = Table(
    "iam_policy_attachments",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("principal_kind", String(8), primary_key=True),
    Column("principal_key", String(64), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
)

# resource_kind: "user" | "role" | "policy"
iam_tags = Table(
    "iam_tags",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("resource_kind", String(8), primary_key=True),
    Column("resource_key", String(2048), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)
