"""Buckets as rows: the record, its configurations (JSON in their API shapes), look-ups."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from strongroom.services.s3.errors import no_such_bucket
from strongroom.services.s3.tables import s3_buckets

# Since April 2026 a new general purpose bucket blocks SSE-C until its owner allows it.
DEFAULT_ENCRYPTION: dict[str, Any] = {
    "Rules": [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False,
            "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
        }
    ]
}


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


@dataclass(frozen=True)
class Bucket:
    name: str
    account_id: str
    region: str
    created_at: datetime
    versioning: str
    policy: str | None
    encryption: dict[str, Any]
    public_access_block: dict[str, Any] | None
    ownership: dict[str, Any] | None
    tags: list[dict[str, str]] | None
    replication: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Bucket:
        return cls(
            name=row.name,
            account_id=row.account_id,
            region=row.region,
            created_at=row.created_at,
            versioning=row.versioning or "",
            policy=row.policy,
            encryption=_json(row.encryption) or DEFAULT_ENCRYPTION,
            public_access_block=_json(row.public_access_block),
            ownership=_json(row.ownership),
            tags=_json(row.tags),
            replication=_json(row.replication),
        )

    @property
    def _rule(self) -> dict[str, Any]:
        rules = self.encryption.get("Rules") or [{}]
        rule: dict[str, Any] = rules[0]
        return rule

    @property
    def default_encryption(self) -> dict[str, Any]:
        value: dict[str, Any] = self._rule.get("ApplyServerSideEncryptionByDefault") or {
            "SSEAlgorithm": "AES256"
        }
        return value

    @property
    def bucket_key_enabled(self) -> bool:
        return bool(self._rule.get("BucketKeyEnabled"))

    @property
    def blocked_encryption_types(self) -> list[str]:
        blocked = self._rule.get("BlockedEncryptionTypes") or {}
        return [t for t in blocked.get("EncryptionType") or [] if t != "NONE"]

    @property
    def versioned(self) -> bool:
        return self.versioning == "Enabled"


def find(conn: Connection, name: str) -> Bucket | None:
    row = conn.execute(select(s3_buckets).where(s3_buckets.c.name == name)).first()
    return Bucket.from_row(row) if row is not None else None


def require(conn: Connection, name: str) -> Bucket:
    bucket = find(conn, name)
    if bucket is None:
        raise no_such_bucket(name)
    return bucket


def set_config(conn: Connection, name: str, **values: Any) -> None:
    """Store configurations (dicts and lists as JSON; None clears)."""
    encoded = {
        k: json.dumps(v, separators=(",", ":")) if isinstance(v, dict | list) else v
        for k, v in values.items()
    }
    conn.execute(update(s3_buckets).where(s3_buckets.c.name == name).values(**encoded))
