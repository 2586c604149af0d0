"""Parameter Store state: parameters, their versions, labels and tags, and the service settings.

Parameters are regional: every table is keyed by (account_id, region, name). A parameter row
holds what belongs to the parameter as a whole (the latest version number, the next one, its
tier); each version row holds what PutParameter wrote. String and StringList values are stored
as given (they are configuration, not secrets); a SecureString version holds only the KMS
ciphertext (`ciphertext`), never its plaintext.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from strongroom.core.store.schema import UtcDateTime, metadata

_PARAMETER_COLUMNS = ("account_id", "region", "name")
_PARAMETER_TARGET = ("ssm_parameters.account_id", "ssm_parameters.region", "ssm_parameters.name")

ssm_parameters = Table(
    "ssm_parameters",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("latest_version", Integer, nullable=False),
    Column("tier", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

ssm_parameter_versions = Table(
    "ssm_parameter_versions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("type", String(16), nullable=False),
    Column("value", Text, nullable=True),
    Column("ciphertext", LargeBinary, nullable=True),
    Column("key_id", String(256), nullable=True),
    Column("description", Text, nullable=True),
    Column("allowed_pattern", Text, nullable=True),
    Column("data_type", String(128), nullable=False),
    Column("tier", String(32), nullable=False),
    # The policies as PutParameter gave them, with their statuses: a JSON list.
    Column("policies", Text, nullable=True),
    Column("modified_at", UtcDateTime, nullable=False),
    Column("modified_by", String(2048), nullable=False),
    ForeignKeyConstraint(_PARAMETER_COLUMNS, _PARAMETER_TARGET, ondelete="CASCADE"),
)

ssm_parameter_labels = Table(
    "ssm_parameter_labels",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("label", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    ForeignKeyConstraint(_PARAMETER_COLUMNS, _PARAMETER_TARGET, ondelete="CASCADE"),
    Index("ix_ssm_parameter_labels_version", "account_id", "region", "name", "version"),
)

ssm_parameter_tags = Table(
    "ssm_parameter_tags",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
    ForeignKeyConstraint(_PARAMETER_COLUMNS, _PARAMETER_TARGET, ondelete="CASCADE"),
)

ssm_service_settings = Table(
    "ssm_service_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("setting_id", String(256), primary_key=True),
    Column("value", String(4096), nullable=False),
    Column("modified_at", UtcDateTime, nullable=False),
    Column("modified_by", String(2048), nullable=False),
)
