"""Secrets Manager's tables: secrets (one row per secret per region), versions, staging labels.

A replica is a secret row of its own in the replica region (same name, its own ARN, its own
versions encrypted under a key of that region) whose `primary_arn` names the primary. A
cross-account replica is a secret its own account created, whose `cross_account_primary` names
the primary in the other account and the replication status; the primary lists it in
`cross_account_replicas`. A staging label is a row keyed by (secret, label), so the database
itself keeps a label on one version.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from strongroom.core.store.schema import UtcDateTime, metadata

secrets = Table(
    "secretsmanager_secrets",
    metadata,
    Column("secret_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(512), nullable=False),
    Column("arn", String(700), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("kms_key_id", String(2048), nullable=True),  # as the caller named it; None: aws/secretsmanager
    Column("secret_type", String(256), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_changed_at", UtcDateTime, nullable=False),
    Column("last_accessed_at", UtcDateTime, nullable=True),
    Column("deleted_at", UtcDateTime, nullable=True),
    Column("purge_at", UtcDateTime, nullable=True),
    Column("tags", Text, nullable=False, default="[]"),  # JSON list of {Key, Value}, in order
    Column("resource_policy", Text, nullable=True),
    Column("rotation_enabled", Boolean, nullable=False, default=False),
    Column("rotation_lambda_arn", String(2048), nullable=True),
    Column("rotation_rules", Text, nullable=True),  # JSON RotationRulesType
    Column("last_rotated_at", UtcDateTime, nullable=True),
    Column("next_rotation_at", UtcDateTime, nullable=True),
    # The token of the rotation a worker is running now (a claim), or None.
    Column("rotation_run", String(64), nullable=True),
    Column("primary_arn", String(700), nullable=True),  # set on a replica
    Column("replicas", Text, nullable=False, default="[]"),  # JSON ReplicationStatusType list
    Column("owning_service", String(128), nullable=True),
    Column("cross_account_primary", Text, nullable=True),  # JSON CrossAccountPrimaryType
    # JSON CrossAccountReplicaEntry list, each with its replication role
    Column("cross_account_replicas", Text, nullable=False, default="[]", server_default="[]"),
    UniqueConstraint("account_id", "region", "name", name="uq_secretsmanager_secrets_name"),
)

versions = Table(
    "secretsmanager_versions",
    metadata,
    Column(
        "secret_id",
        String(36),
        ForeignKey("secretsmanager_secrets.secret_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version_id", String(64), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_accessed_at", UtcDateTime, nullable=True),
    # Empty while a rotation has labelled a version AWSPENDING but put no value in it yet.
    Column("kms_key_arn", String(2048), nullable=True),
    Column("encrypted_data_key", LargeBinary, nullable=True),
    Column("ciphertext", LargeBinary, nullable=True),
    Column("is_binary", Boolean, nullable=False, default=False),
)
Index("ix_secretsmanager_versions_created", versions.c.secret_id, versions.c.created_at)

stages = Table(
    "secretsmanager_stages",
    metadata,
    Column(
        "secret_id",
        String(36),
        ForeignKey("secretsmanager_secrets.secret_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("stage", String(256), primary_key=True),
    Column("version_id", String(64), nullable=False),
)
