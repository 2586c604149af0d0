"""KMS state: keys, their key material versions, aliases, tags and grants.

Keys are regional: every table is keyed by (account_id, region, key_id). A multi-Region replica
shares its primary's key id and key material ids in another region, so none of these keys is
global. Key material is stored only sealed under the root of trust (purpose ``kms/key-material``,
record ``<key ARN>#<version>``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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

_KEY_COLUMNS = ("account_id", "region", "key_id")
_KEY_TARGET = ("kms_keys.account_id", "kms_keys.region", "kms_keys.key_id")

kms_keys = Table(
    "kms_keys",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("key_id", String(64), primary_key=True),
    Column("arn", String(256), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("key_usage", String(32), nullable=False),
    Column("key_spec", String(32), nullable=False),
    Column("origin", String(32), nullable=False),
    # CUSTOMER or AWS (DescribeKey's KeyManager); AWS owned keys are `aws_owned` and never listed.
    Column("key_manager", String(16), nullable=False),
    Column("aws_owned", Boolean, nullable=False, default=False),
    Column("state", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("deletion_date", UtcDateTime, nullable=True),
    Column("pending_window_days", Integer, nullable=True),
    Column("policy", Text, nullable=False),
    Column("multi_region", Boolean, nullable=False, default=False),
    Column("multi_region_key_type", String(16), nullable=True),  # PRIMARY / REPLICA
    Column("primary_region", String(32), nullable=True),
    Column("rotation_enabled", Boolean, nullable=False, default=False),
    Column("rotation_period_days", Integer, nullable=True),
    Column("next_rotation_at", UtcDateTime, nullable=True),
    Column("valid_to", UtcDateTime, nullable=True),  # imported material
    Column("expiration_model", String(32), nullable=True),
    Column("custom_key_store_id", String(64), nullable=True),
    Column("xks_key_id", String(128), nullable=True),
)

kms_key_materials = Table(
    "kms_key_materials",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("key_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    # 32 bytes, hex: what ciphertexts name (AWS's KeyMaterialId); equal in every replica region.
    Column("material_id", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("public_key", LargeBinary, nullable=True),  # DER SubjectPublicKeyInfo, asymmetric keys
    Column("created_at", UtcDateTime, nullable=False),
    Column("origin", String(32), nullable=False),
    Column("current", Boolean, nullable=False),
    Column("rotation_type", String(16), nullable=True),  # AUTOMATIC / ON_DEMAND
    Column("description", Text, nullable=True),
    Column("import_state", String(16), nullable=True),  # IMPORTED / PENDING_IMPORT
    Column("material_state", String(24), nullable=True),  # CURRENT / NON_CURRENT / PENDING_ROTATION
    Column("valid_to", UtcDateTime, nullable=True),
    Column("expiration_model", String(32), nullable=True),
    ForeignKeyConstraint(list(_KEY_COLUMNS), list(_KEY_TARGET), ondelete="CASCADE"),
    Index("ix_kms_key_materials_material", "account_id", "region", "key_id", "material_id", unique=True),
)

kms_aliases = Table(
    "kms_aliases",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("alias_name", String(256), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(list(_KEY_COLUMNS), list(_KEY_TARGET), ondelete="CASCADE"),
    Index("ix_kms_aliases_key", "account_id", "region", "key_id"),
)

kms_tags = Table(
    "kms_tags",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("key_id", String(64), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
    ForeignKeyConstraint(list(_KEY_COLUMNS), list(_KEY_TARGET), ondelete="CASCADE"),
)

kms_grants = Table(
    "kms_grants",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("key_id", String(64), primary_key=True),
    Column("grant_id", String(64), primary_key=True),
    Column("name", String(256), nullable=True),
    Column("grantee_principal", String(256), nullable=False),
    Column("retiring_principal", String(256), nullable=True),
    Column("issuing_account", String(256), nullable=False),
    Column("operations", Text, nullable=False),  # JSON list of operation names
    Column("constraints", Text, nullable=True),  # JSON GrantConstraints, as the API gives it
    Column("created_at", UtcDateTime, nullable=False),
    Column("grant_token", Text, nullable=False),
    ForeignKeyConstraint(list(_KEY_COLUMNS), list(_KEY_TARGET), ondelete="CASCADE"),
    Index("ix_kms_grants_grantee", "grantee_principal"),
    Index("ix_kms_grants_retiring", "retiring_principal"),
)
