"""Reading and writing secret rows, versions and staging labels (no policy, no crypto here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, Row, and_, bindparam, delete, insert, select, update

from strongroom.services.secretsmanager.errors import limit_exceeded, not_found
from strongroom.services.secretsmanager.names import SUFFIX_LENGTH, SecretRef
from strongroom.services.secretsmanager.tables import secrets, stages, versions

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
PENDING = "AWSPENDING"
DETACHED = "Detached"  # the cross-account ReplicationStatus once either side stopped replication
MAX_VERSIONS = 100
MAX_LABELS_PER_VERSION = 20
# AWS removes unlabelled versions beyond 100, but never one created less than a day ago.
_RETENTION_GRACE = timedelta(hours=24)


@dataclass
class Secret:
    """One secret in one region, as its row holds it."""

    secret_id: str
    account_id: str
    region: str
    name: str
    arn: str
    description: str | None
    kms_key_id: str | None
    secret_type: str | None
    created_at: datetime
    last_changed_at: datetime
    last_accessed_at: datetime | None
    deleted_at: datetime | None
    purge_at: datetime | None
    tags: list[dict[str, str]]
    resource_policy: str | None
    rotation_enabled: bool
    rotation_lambda_arn: str | None
    rotation_rules: dict[str, Any] | None
    last_rotated_at: datetime | None
    next_rotation_at: datetime | None
    rotation_run: str | None
    primary_arn: str | None
    replicas: list[dict[str, Any]]
    owning_service: str | None
    stage_map: dict[str, str] = field(default_factory=dict)
    # CrossAccountPrimaryType on a cross-account replica; CrossAccountReplicaEntry list on a primary.
    cross_account_primary: dict[str, Any] | None = None
    cross_account_replicas: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_replica(self) -> bool:
        return self.primary_arn is not None

    @property
    def cross_account_primary_arn(self) -> str | None:
        """The primary a cross-account replica names (linked or detached), or None."""
        return None if self.cross_account_primary is None else self.cross_account_primary["PrimarySecretARN"]

    @property
    def follows_cross_account_primary(self) -> bool:
        """A cross-account replica still linked to its primary (any status but Detached): its
        versions, labels, description and type are the primary's, so its owner may not set them."""
        return (
            self.cross_account_primary is not None
            and self.cross_account_primary["ReplicationStatus"] != DETACHED
        )

    @property
    def tag_map(self) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.tags}

    @property
    def labels_by_version(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for stage, version_id in sorted(self.stage_map.items()):
            result.setdefault(version_id, []).append(stage)
        return result


@dataclass
class Version:
    version_id: str
    created_at: datetime
    last_accessed_at: datetime | None
    kms_key_arn: str | None
    encrypted_data_key: bytes | None
    ciphertext: bytes | None
    is_binary: bool

    @property
    def has_value(self) -> bool:
        return self.ciphertext is not None


def _secret(row: Row[Any], stage_map: dict[str, str]) -> Secret:
    m = row._mapping
    return Secret(
        secret_id=m["secret_id"],
        account_id=m["account_id"],
        region=m["region"],
        name=m["name"],
        arn=m["arn"],
        description=m["description"],
        kms_key_id=m["kms_key_id"],
        secret_type=m["secret_type"],
        created_at=m["created_at"],
        last_changed_at=m["last_changed_at"],
        last_accessed_at=m["last_accessed_at"],
        deleted_at=m["deleted_at"],
        purge_at=m["purge_at"],
        tags=json.loads(m["tags"] or "[]"),
        resource_policy=m["resource_policy"],
        rotation_enabled=bool(m["rotation_enabled"]),
        rotation_lambda_arn=m["rotation_lambda_arn"],
        rotation_rules=json.loads(m["rotation_rules"]) if m["rotation_rules"] else None,
        last_rotated_at=m["last_rotated_at"],
        next_rotation_at=m["next_rotation_at"],
        rotation_run=m["rotation_run"],
        primary_arn=m["primary_arn"],
        replicas=json.loads(m["replicas"] or "[]"),
        owning_service=m["owning_service"],
        stage_map=stage_map,
        cross_account_primary=_json_or_none(m.get("cross_account_primary")),
        cross_account_replicas=json.loads(m.get("cross_account_replicas") or "[]"),
    )


def _json_or_none(text: str | None) -> Any:
    return json.loads(text) if text else None


def _version(row: Row[Any]) -> Version:
    m = row._mapping
    return Version(
        version_id=m["version_id"],
        created_at=m["created_at"],
        last_accessed_at=m["last_accessed_at"],
        kms_key_arn=m["kms_key_arn"],
        encrypted_data_key=m["encrypted_data_key"],
        ciphertext=m["ciphertext"],
        is_binary=bool(m["is_binary"]),
    )


# The reads of GetSecretValue, built once (their parameters bound per call).
_ID: BindParameter[str] = bindparam("id")
_VERSION_ID: BindParameter[str] = bindparam("v")
_ARN: BindParameter[str] = bindparam("arn")
_STAGES = select(stages.c.stage, stages.c.version_id).where(stages.c.secret_id == _ID)
_BY_NAME = select(secrets).where(
    secrets.c.account_id == bindparam("a"),
    secrets.c.region == bindparam("r"),
    secrets.c.name == bindparam("n"),
)
_BY_ARN = select(secrets).where(secrets.c.arn == _ARN)
_EXACT_ARN = select(secrets.c.arn).where(secrets.c.arn == _ARN)
_VERSION = select(versions).where(versions.c.secret_id == _ID, versions.c.version_id == _VERSION_ID)


def stage_map(conn: Connection, secret_id: str) -> dict[str, str]:
    rows = conn.execute(_STAGES, {"id": secret_id})
    return {row.stage: row.version_id for row in rows}


def find(conn: Connection, ref: SecretRef, *, for_update: bool = False) -> Secret | None:
    """The secret a SecretId names: by full ARN, by partial ARN (no suffix), or by name."""
    query = _BY_NAME
    bound: dict[str, Any] = {"a": ref.account, "r": ref.region, "n": ref.name}
    if ref.arn is not None:
        query, bound = select(secrets).where(secrets.c.arn.in_(_arn_candidates(conn, ref.arn))), {}
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query, bound).first()
    if row is None:
        return None
    return _secret(row, stage_map(conn, row.secret_id))


def with_version(
    conn: Connection, ref: SecretRef, version_id: str | None, stage: str | None
) -> tuple[Secret | None, Version | None]:
    """The secret a SecretId names and the version GetSecretValue reads: by id, else by stage."""
    secret = find(conn, ref)
    if secret is None:
        return None, None
    wanted = version_id or secret.stage_map.get(stage or CURRENT)
    return secret, version(conn, secret.secret_id, wanted) if wanted else None


def _arn_candidates(conn: Connection, arn: str) -> list[str]:
    exact = conn.execute(_EXACT_ARN, {"arn": arn}).scalar()
    if exact is not None:
        return [exact]
    # A partial ARN: the full one is it plus "-" and the six-character suffix.
    like = arn.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"
    rows = conn.execute(select(secrets.c.arn).where(secrets.c.arn.like(like, escape="\\"))).scalars()
    return [a for a in rows if len(a) == len(arn) + 1 + SUFFIX_LENGTH]


def require(conn: Connection, ref: SecretRef, *, for_update: bool = False) -> Secret:
    secret = find(conn, ref, for_update=for_update)
    if secret is None:
        raise not_found()
    return secret


def by_arn(conn: Connection, arn: str, *, for_update: bool = False) -> Secret | None:
    query = _BY_ARN.with_for_update() if for_update else _BY_ARN
    row = conn.execute(query, {"arn": arn}).first()
    return None if row is None else _secret(row, stage_map(conn, row.secret_id))


def by_id(conn: Connection, secret_id: str, *, for_update: bool = False) -> Secret | None:
    query = select(secrets).where(secrets.c.secret_id == secret_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else _secret(row, stage_map(conn, secret_id))


def in_region(conn: Connection, account: str, region: str) -> list[Secret]:
    rows = conn.execute(
        select(secrets).where(secrets.c.account_id == account, secrets.c.region == region)
    ).all()
    all_stages: dict[str, dict[str, str]] = {}
    if rows:
        for s in conn.execute(
            select(stages)
            .join(secrets, secrets.c.secret_id == stages.c.secret_id)
            .where(and_(secrets.c.account_id == account, secrets.c.region == region))
        ):
            all_stages.setdefault(s.secret_id, {})[s.stage] = s.version_id
    return [_secret(row, all_stages.get(row.secret_id, {})) for row in rows]


def insert_secret(conn: Connection, **values: Any) -> None:
    conn.execute(insert(secrets).values(**_encoded(values)))


def update_secret(conn: Connection, secret_id: str, **values: Any) -> None:
    conn.execute(update(secrets).where(secrets.c.secret_id == secret_id).values(**_encoded(values)))


def delete_secret(conn: Connection, secret_id: str) -> None:
    conn.execute(delete(stages).where(stages.c.secret_id == secret_id))
    conn.execute(delete(versions).where(versions.c.secret_id == secret_id))
    conn.execute(delete(secrets).where(secrets.c.secret_id == secret_id))


def _encoded(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in ("tags", "replicas"):
        if key in out and not isinstance(out[key], str):
            out[key] = json.dumps(out[key], separators=(",", ":"))
    if (
        "rotation_rules" in out
        and out["rotation_rules"] is not None
        and not isinstance(out["rotation_rules"], str)
    ):
        out["rotation_rules"] = json.dumps(out["rotation_rules"], separators=(",", ":"))
    for key in ("cross_account_primary", "cross_account_replicas"):
        if out.get(key) is not None and not isinstance(out[key], str):
            out[key] = json.dumps(out[key], separators=(",", ":"))
    return out


# -- versions --------------------------------------------------------------------------------------


def all_versions(conn: Connection, secret_id: str) -> list[Version]:
    rows = conn.execute(
        select(versions).where(versions.c.secret_id == secret_id).order_by(versions.c.created_at)
    )
    return [_version(row) for row in rows]


def version(conn: Connection, secret_id: str, version_id: str) -> Version | None:
    row = conn.execute(_VERSION, {"id": secret_id, "v": version_id}).first()
    return None if row is None else _version(row)


def insert_version(
    conn: Connection,
    secret_id: str,
    version_id: str,
    created_at: datetime,
    *,
    kms_key_arn: str | None = None,
    encrypted_data_key: bytes | None = None,
    ciphertext: bytes | None = None,
    is_binary: bool = False,
) -> None:
    conn.execute(
        insert(versions).values(
            secret_id=secret_id,
            version_id=version_id,
            created_at=created_at,
            kms_key_arn=kms_key_arn,
            encrypted_data_key=encrypted_data_key,
            ciphertext=ciphertext,
            is_binary=is_binary,
        )
    )


def fill_version(
    conn: Connection,
    secret_id: str,
    version_id: str,
    *,
    kms_key_arn: str,
    encrypted_data_key: bytes,
    ciphertext: bytes,
    is_binary: bool,
) -> None:
    conn.execute(
        update(versions)
        .where(versions.c.secret_id == secret_id, versions.c.version_id == version_id)
        .values(
            kms_key_arn=kms_key_arn,
            encrypted_data_key=encrypted_data_key,
            ciphertext=ciphertext,
            is_binary=is_binary,
        )
    )


def delete_version(conn: Connection, secret_id: str, version_id: str) -> None:
    conn.execute(
        delete(versions).where(versions.c.secret_id == secret_id, versions.c.version_id == version_id)
    )


def touch_version(conn: Connection, secret_id: str, version_id: str, day: datetime) -> None:
    conn.execute(
        update(versions)
        .where(versions.c.secret_id == secret_id, versions.c.version_id == version_id)
        .values(last_accessed_at=day)
    )


def apply_stages(conn: Connection, secret_id: str, before: dict[str, str], after: dict[str, str]) -> None:
    """Write the difference between two label maps (label → version id)."""
    for stage in before.keys() - after.keys():
        conn.execute(delete(stages).where(stages.c.secret_id == secret_id, stages.c.stage == stage))
    for stage, version_id in after.items():
        if stage not in before:
            conn.execute(insert(stages).values(secret_id=secret_id, stage=stage, version_id=version_id))
        elif before[stage] != version_id:
            conn.execute(
                update(stages)
                .where(stages.c.secret_id == secret_id, stages.c.stage == stage)
                .values(version_id=version_id)
            )
    counts: dict[str, int] = {}
    for version_id in after.values():
        counts[version_id] = counts.get(version_id, 0) + 1
    if any(n > MAX_LABELS_PER_VERSION for n in counts.values()):
        raise limit_exceeded(f"A version can have at most {MAX_LABELS_PER_VERSION} staging labels attached.")


def prune_versions(conn: Connection, secret_id: str, labelled: set[str], now: datetime) -> None:
    """AWS's retention: beyond 100 versions, drop the oldest unlabelled ones older than a day."""
    rows = conn.execute(
        select(versions.c.version_id, versions.c.created_at)
        .where(versions.c.secret_id == secret_id)
        .order_by(versions.c.created_at)
    ).all()
    excess = len(rows) - MAX_VERSIONS
    if excess <= 0:
        return
    removable = [
        r.version_id for r in rows if r.version_id not in labelled and r.created_at < now - _RETENTION_GRACE
    ]
    if len(removable) < excess:
        raise limit_exceeded(
            "You can't create more than 100 versions of a secret whose older versions are all "
            "labelled or less than 24 hours old."
        )
    for version_id in removable[:excess]:
        conn.execute(
            delete(versions).where(versions.c.secret_id == secret_id, versions.c.version_id == version_id)
        )
