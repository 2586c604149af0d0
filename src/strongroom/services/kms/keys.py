"""KMS keys: the Key record, finding a key the way AWS reads a KeyId, and its material versions.

A KeyId is a key id (``1234abcd-…`` or ``mrk-…``), a key ARN, an alias name (``alias/x``) or an
alias ARN. Key and alias ARNs may name another account (cross-account use); ids and alias names
always mean the caller's account and region. Not found is answered in AWS's words.

Key material is stored sealed under the root of trust (purpose ``kms/key-material``, record
``<key ARN>#<version>``) and opened only for the operation that uses it.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, Row, bindparam, delete, func, insert, select, update

from strongroom.aws.errors import ServiceError
from strongroom.core.crypto import RootOfTrust
from strongroom.services.kms.material import algorithms_for_usage, is_symmetric
from strongroom.services.kms.states import KeyState
from strongroom.services.kms.tables import kms_aliases, kms_key_materials, kms_keys, kms_tags

MATERIAL_PURPOSE = "kms/key-material"
_KEY_ID = re.compile(r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_ARN = re.compile(r"arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)/(.+)")


@dataclass(frozen=True)
class Key:
    """One KMS key as stored (no material)."""

    account_id: str
    region: str
    key_id: str
    arn: str
    description: str
    key_usage: str
    key_spec: str
    origin: str
    key_manager: str
    aws_owned: bool
    state: str
    created_at: datetime
    deletion_date: datetime | None
    pending_window_days: int | None
    policy: str
    multi_region: bool
    multi_region_key_type: str | None
    primary_region: str | None
    rotation_enabled: bool
    rotation_period_days: int | None
    next_rotation_at: datetime | None
    valid_to: datetime | None
    expiration_model: str | None
    custom_key_store_id: str | None
    xks_key_id: str | None

    @property
    def enabled(self) -> bool:
        return self.state == KeyState.ENABLED

    @property
    def symmetric(self) -> bool:
        return is_symmetric(self.key_spec)

    @classmethod
    def from_row(cls, row: Row[Any]) -> Key:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ResolvedKey:
    """A key and, when the request named it by alias, that alias (for kms:RequestAlias)."""

    key: Key
    alias: str | None = None


@dataclass(frozen=True)
class Material:
    """One opened version of a key's material."""

    version: int
    material_id: bytes
    secret: bytes
    public_key: bytes | None = None

    def __repr__(self) -> str:
        return f"Material(version={self.version}, material_id={self.material_id.hex()})"


# -- names -------------------------------------------------------------------------------------


def new_key_id(multi_region: bool = False) -> str:
    return f"mrk-{uuid.uuid4().hex}" if multi_region else str(uuid.uuid4())


def key_arn(account_id: str, region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def alias_arn(account_id: str, region: str, alias_name: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{alias_name}"


def not_found_key(arn: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Key '{arn}' does not exist")


def not_found_alias(arn: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Alias '{arn}' is not found.")


@dataclass(frozen=True)
class KeyReference:
    """What a KeyId names, before looking it up."""

    account_id: str
    region: str
    key_id: str | None = None
    alias_name: str | None = None


def parse_key_reference(value: str, account_id: str, region: str) -> KeyReference:
    """Read a KeyId (id, key ARN, alias name, alias ARN); a malformed one is NotFoundException."""
    if value.startswith("alias/"):
        return KeyReference(account_id, region, alias_name=value)
    match = _ARN.fullmatch(value)
    if match is not None:
        _, arn_region, arn_account, kind, rest = match.groups()
        if kind == "alias":
            return KeyReference(arn_account, arn_region, alias_name=f"alias/{rest}")
        if _KEY_ID.fullmatch(rest):
            return KeyReference(arn_account, arn_region, key_id=rest)
        raise ServiceError("NotFoundException", f"Invalid arn {value}")
    if value.startswith("arn:"):
        raise ServiceError("NotFoundException", f"Invalid arn {value}")
    if _KEY_ID.fullmatch(value):
        return KeyReference(account_id, region, key_id=value)
    raise ServiceError("NotFoundException", f"Invalid keyId '{value}'")


# -- reading -----------------------------------------------------------------------------------

# The hot path (every Encrypt/Decrypt) runs these; built once, they skip per-call expression building.
_A: BindParameter[str] = bindparam("a")
_R: BindParameter[str] = bindparam("r")
_K: BindParameter[str] = bindparam("k")
_KEY_BY_ID = select(kms_keys).where(
    kms_keys.c.account_id == _A, kms_keys.c.region == _R, kms_keys.c.key_id == _K
)
_ALIAS_TARGET = select(kms_aliases.c.key_id).where(
    kms_aliases.c.account_id == _A, kms_aliases.c.region == _R, kms_aliases.c.alias_name == bindparam("n")
)
_ALIASES_OF_KEY = (
    select(kms_aliases.c.alias_name)
    .where(kms_aliases.c.account_id == _A, kms_aliases.c.region == _R, kms_aliases.c.key_id == _K)
    .order_by(kms_aliases.c.alias_name)
)
_TAGS_OF_KEY = (
    select(kms_tags.c.tag_key, kms_tags.c.tag_value)
    .where(kms_tags.c.account_id == _A, kms_tags.c.region == _R, kms_tags.c.key_id == _K)
    .order_by(kms_tags.c.tag_key)
)
_MATERIAL_OF_KEY = (
    (kms_key_materials.c.account_id == _A)
    & (kms_key_materials.c.region == _R)
    & (kms_key_materials.c.key_id == _K)
)
_CURRENT_MATERIAL = select(kms_key_materials).where(_MATERIAL_OF_KEY, kms_key_materials.c.current.is_(True))
_MATERIAL_BY_ID = select(kms_key_materials).where(
    _MATERIAL_OF_KEY, kms_key_materials.c.material_id == bindparam("m")
)


def _key_params(key: Key) -> dict[str, str]:
    return {"a": key.account_id, "r": key.region, "k": key.key_id}


def find_key(conn: Connection, account_id: str, region: str, key_id: str) -> Key | None:
    row = conn.execute(_KEY_BY_ID, {"a": account_id, "r": region, "k": key_id}).first()
    return Key.from_row(row) if row is not None else None


def require_key(conn: Connection, account_id: str, region: str, key_id: str) -> Key:
    key = find_key(conn, account_id, region, key_id)
    if key is None:
        raise not_found_key(key_arn(account_id, region, key_id))
    return key


def find_alias_target(conn: Connection, account_id: str, region: str, alias_name: str) -> str | None:
    value = conn.execute(_ALIAS_TARGET, {"a": account_id, "r": region, "n": alias_name}).scalar()
    return str(value) if value is not None else None


def resolve_reference(conn: Connection, ref: KeyReference, caller_region: str) -> ResolvedKey:
    """The key a parsed KeyId names in the caller's region; NotFoundException as AWS words it."""
    if ref.alias_name is not None:
        arn = alias_arn(ref.account_id, ref.region, ref.alias_name)
        target = (
            find_alias_target(conn, ref.account_id, ref.region, ref.alias_name)
            if ref.region == caller_region
            else None
        )
        key = find_key(conn, ref.account_id, ref.region, target) if target is not None else None
        if key is None or key.aws_owned:
            raise not_found_alias(arn)
        return ResolvedKey(key, ref.alias_name)
    assert ref.key_id is not None
    arn = key_arn(ref.account_id, ref.region, ref.key_id)
    key = find_key(conn, ref.account_id, ref.region, ref.key_id) if ref.region == caller_region else None
    if key is None or key.aws_owned:
        raise not_found_key(arn)
    return ResolvedKey(key)


def aliases_of(conn: Connection, key: Key) -> list[str]:
    rows = conn.execute(_ALIASES_OF_KEY, _key_params(key))
    return [str(name) for name in rows.scalars()]


def tags_of(conn: Connection, key: Key) -> dict[str, str]:
    rows = conn.execute(_TAGS_OF_KEY, _key_params(key))
    return {row.tag_key: row.tag_value for row in rows}


def count_keys(conn: Connection, account_id: str, region: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(kms_keys)
            .where(
                kms_keys.c.account_id == account_id,
                kms_keys.c.region == region,
                kms_keys.c.key_manager == "CUSTOMER",
            )
        ).scalar()
        or 0
    )


# -- writing -----------------------------------------------------------------------------------


def insert_key(conn: Connection, key: Key) -> None:
    conn.execute(insert(kms_keys).values(**{name: getattr(key, name) for name in Key.__dataclass_fields__}))


def update_key(conn: Connection, key: Key, **values: Any) -> None:
    conn.execute(
        update(kms_keys)
        .where(
            kms_keys.c.account_id == key.account_id,
            kms_keys.c.region == key.region,
            kms_keys.c.key_id == key.key_id,
        )
        .values(**values)
    )


def lock_key(conn: Connection, key: Key) -> Key:
    """Re-read the key inside a write transaction, holding its row (PostgreSQL) until commit."""
    query = select(kms_keys).where(
        kms_keys.c.account_id == key.account_id,
        kms_keys.c.region == key.region,
        kms_keys.c.key_id == key.key_id,
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise not_found_key(key.arn)
    return Key.from_row(row)


def delete_key(conn: Connection, key: Key) -> None:
    """Remove a key and everything that hangs on it (material, aliases, tags, grants)."""
    conn.execute(
        delete(kms_keys).where(
            kms_keys.c.account_id == key.account_id,
            kms_keys.c.region == key.region,
            kms_keys.c.key_id == key.key_id,
        )
    )


# -- material ----------------------------------------------------------------------------------


def _record(key: Key, version: int) -> str:
    return f"{key.arn}#{version}"


def add_material(
    conn: Connection,
    root: RootOfTrust,
    key: Key,
    secret: bytes,
    *,
    now: datetime,
    origin: str = "AWS_KMS",
    public_key: bytes | None = None,
    rotation_type: str | None = None,
    material_id: bytes | None = None,
    make_current: bool = True,
) -> Material:
    """Seal and store a new material version of `key` (the current one unless told otherwise)."""
    latest = conn.execute(
        select(func.max(kms_key_materials.c.version)).where(
            kms_key_materials.c.account_id == key.account_id,
            kms_key_materials.c.region == key.region,
            kms_key_materials.c.key_id == key.key_id,
        )
    ).scalar()
    version = int(latest or 0) + 1
    material_id = material_id or os.urandom(32)
    if make_current:
        conn.execute(
            update(kms_key_materials)
            .where(
                kms_key_materials.c.account_id == key.account_id,
                kms_key_materials.c.region == key.region,
                kms_key_materials.c.key_id == key.key_id,
            )
            .values(current=False, material_state="NON_CURRENT")
        )
    conn.execute(
        insert(kms_key_materials).values(
            account_id=key.account_id,
            region=key.region,
            key_id=key.key_id,
            version=version,
            material_id=material_id.hex(),
            sealed=root.seal(secret, purpose=MATERIAL_PURPOSE, record=_record(key, version)),
            public_key=public_key,
            created_at=now,
            origin=origin,
            current=make_current,
            rotation_type=rotation_type,
            material_state="CURRENT" if make_current else "NON_CURRENT",
        )
    )
    return Material(version, material_id, secret, public_key)


def _open(root: RootOfTrust, key: Key, row: Row[Any]) -> Material:
    secret = root.open(row.sealed, purpose=MATERIAL_PURPOSE, record=_record(key, row.version))
    return Material(row.version, bytes.fromhex(row.material_id), secret, row.public_key)


def current_material(conn: Connection, root: RootOfTrust, key: Key) -> Material:
    row = conn.execute(_CURRENT_MATERIAL, _key_params(key)).first()
    if row is None:
        raise ServiceError("KMSInvalidStateException", f"{key.arn} is pending import.")
    return _open(root, key, row)


def material_by_id(conn: Connection, root: RootOfTrust, key: Key, material_id: bytes) -> Material | None:
    row = conn.execute(_MATERIAL_BY_ID, {**_key_params(key), "m": material_id.hex()}).first()
    return _open(root, key, row) if row is not None else None


def current_material_id(conn: Connection, key: Key) -> str | None:
    value = conn.execute(
        select(kms_key_materials.c.material_id).where(
            kms_key_materials.c.account_id == key.account_id,
            kms_key_materials.c.region == key.region,
            kms_key_materials.c.key_id == key.key_id,
            kms_key_materials.c.current.is_(True),
        )
    ).scalar()
    return str(value) if value is not None else None


def destroy_material(conn: Connection, key: Key) -> None:
    conn.execute(
        delete(kms_key_materials).where(
            kms_key_materials.c.account_id == key.account_id,
            kms_key_materials.c.region == key.region,
            kms_key_materials.c.key_id == key.key_id,
        )
    )


# -- DescribeKey -------------------------------------------------------------------------------


def key_metadata(conn: Connection, key: Key) -> dict[str, Any]:
    """KeyMetadata as DescribeKey, CreateKey and ReplicateKey return it."""
    meta: dict[str, Any] = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created_at,
        "Enabled": key.enabled,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state,
        "Origin": key.origin,
        "KeyManager": key.key_manager,
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "MultiRegion": key.multi_region,
        **algorithms_for_usage(key.key_spec, key.key_usage),
    }
    if key.deletion_date is not None:
        meta["DeletionDate"] = key.deletion_date
    # The model: "present only when the KeyState of the KMS key is PendingReplicaDeletion".
    if key.state == KeyState.PENDING_REPLICA_DELETION and key.pending_window_days is not None:
        meta["PendingDeletionWindowInDays"] = key.pending_window_days
    if key.valid_to is not None:
        meta["ValidTo"] = key.valid_to
    if key.expiration_model is not None:
        meta["ExpirationModel"] = key.expiration_model
    if key.custom_key_store_id is not None:
        meta["CustomKeyStoreId"] = key.custom_key_store_id
    if key.xks_key_id is not None:
        meta["XksKeyConfiguration"] = {"Id": key.xks_key_id}
    if key.symmetric:
        material_id = current_material_id(conn, key)
        if material_id is not None:
            meta["CurrentKeyMaterialId"] = material_id
    if key.multi_region:
        meta["MultiRegionConfiguration"] = multi_region_configuration(conn, key)
    return meta


def multi_region_configuration(conn: Connection, key: Key) -> dict[str, Any]:
    rows = conn.execute(
        select(kms_keys.c.region, kms_keys.c.arn, kms_keys.c.multi_region_key_type).where(
            kms_keys.c.account_id == key.account_id, kms_keys.c.key_id == key.key_id
        )
    ).all()
    primary = next((r for r in rows if r.multi_region_key_type == "PRIMARY"), None)
    return {
        "MultiRegionKeyType": key.multi_region_key_type or "PRIMARY",
        "PrimaryKey": {"Arn": primary.arn, "Region": primary.region}
        if primary is not None
        else {"Arn": key.arn, "Region": key.region},
        "ReplicaKeys": [
            {"Arn": r.arn, "Region": r.region} for r in rows if r.multi_region_key_type == "REPLICA"
        ],
    }
