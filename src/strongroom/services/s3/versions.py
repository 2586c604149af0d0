"""Object versions as rows: finding, adding (with S3's versioning rules) and removing them."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, insert, select, update

from strongroom.services.s3.buckets import Bucket
from strongroom.services.s3.errors import no_such_key, no_such_version
from strongroom.services.s3.storage import Piece
from strongroom.services.s3.tables import s3_objects

NULL_VERSION = "null"


@dataclass(frozen=True)
class Version:
    bucket: str
    key: str
    version_id: str
    seq: int
    is_latest: bool
    delete_marker: bool
    last_modified: datetime
    size: int
    etag: str
    attributes: dict[str, Any]
    envelope: dict[str, Any]
    pieces: list[Piece]
    data_id: str
    replication_status: str | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> Version:
        return cls(
            bucket=row.bucket,
            key=row.key,
            version_id=row.version_id,
            seq=row.seq,
            is_latest=row.is_latest,
            delete_marker=row.delete_marker,
            last_modified=row.last_modified,
            size=row.size,
            etag=row.etag,
            attributes=json.loads(row.attributes),
            envelope=json.loads(row.envelope),
            pieces=[Piece.from_json(p) for p in json.loads(row.pieces)],
            data_id=row.data_id,
            replication_status=row.replication_status,
        )

    @property
    def files(self) -> list[str]:
        return [p.file for p in self.pieces]


@dataclass
class NewVersion:
    """What a write stores; `version_id` is chosen by `add` unless a replica brings its own."""

    key: str
    size: int
    etag: str
    attributes: dict[str, Any]
    envelope: dict[str, Any]
    pieces: list[Piece]
    data_id: str
    last_modified: datetime
    delete_marker: bool = False
    replication_status: str | None = None
    version_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def new_version_id() -> str:
    return secrets.token_urlsafe(24)


def get(conn: Connection, bucket: str, key: str, version_id: str | None) -> Version:
    """The version asked for (latest when None); NoSuchKey / NoSuchVersion otherwise."""
    query = select(s3_objects).where(s3_objects.c.bucket == bucket, s3_objects.c.key == key)
    if version_id is None:
        row = conn.execute(query.where(s3_objects.c.is_latest.is_(True))).first()
        if row is None:
            raise no_such_key(key)
    else:
        row = conn.execute(query.where(s3_objects.c.version_id == version_id)).first()
        if row is None:
            if version_id != NULL_VERSION and not _plausible_version(version_id):
                from strongroom.services.s3.errors import invalid_argument

                raise invalid_argument("Invalid version id specified", "versionId", version_id)
            raise no_such_version(key, version_id)
    return Version.from_row(row)


def _plausible_version(version_id: str) -> bool:
    return len(version_id) >= 8


def add(conn: Connection, bucket: Bucket, new: NewVersion) -> tuple[Version, list[str]]:
    """Store a new version under S3's versioning rules; returns it and the files it made obsolete.

    Unversioned and suspended buckets keep one `null` version per key, replaced by each write.
    """
    obsolete: list[str] = []
    version_id = new.version_id or (new_version_id() if bucket.versioned else NULL_VERSION)
    conn.execute(
        update(s3_objects)
        .where(
            s3_objects.c.bucket == bucket.name, s3_objects.c.key == new.key, s3_objects.c.is_latest.is_(True)
        )
        .values(is_latest=False)
    )
    existing = conn.execute(
        select(s3_objects).where(
            s3_objects.c.bucket == bucket.name,
            s3_objects.c.key == new.key,
            s3_objects.c.version_id == version_id,
        )
    ).first()
    if existing is not None:
        obsolete = Version.from_row(existing).files
        conn.execute(
            delete(s3_objects).where(
                s3_objects.c.bucket == bucket.name,
                s3_objects.c.key == new.key,
                s3_objects.c.version_id == version_id,
            )
        )
    seq = time.time_ns()
    highest = conn.execute(
        select(func.max(s3_objects.c.seq)).where(
            s3_objects.c.bucket == bucket.name, s3_objects.c.key == new.key
        )
    ).scalar()
    if highest is not None and highest >= seq:
        seq = highest + 1
    values = {
        "bucket": bucket.name,
        "key": new.key,
        "version_id": version_id,
        "seq": seq,
        "is_latest": True,
        "delete_marker": new.delete_marker,
        "last_modified": new.last_modified,
        "size": new.size,
        "etag": new.etag,
        "attributes": json.dumps(new.attributes, separators=(",", ":")),
        "envelope": json.dumps(new.envelope, separators=(",", ":")),
        "pieces": json.dumps([p.as_json() for p in new.pieces], separators=(",", ":")),
        "data_id": new.data_id,
        "replication_status": new.replication_status,
    }
    conn.execute(insert(s3_objects).values(**values))
    row = conn.execute(
        select(s3_objects).where(
            s3_objects.c.bucket == bucket.name,
            s3_objects.c.key == new.key,
            s3_objects.c.version_id == version_id,
        )
    ).one()
    return Version.from_row(row), obsolete


def remove(conn: Connection, version: Version) -> None:
    """Delete one version for good; the newest remaining version becomes the latest."""
    conn.execute(
        delete(s3_objects).where(
            s3_objects.c.bucket == version.bucket,
            s3_objects.c.key == version.key,
            s3_objects.c.version_id == version.version_id,
        )
    )
    if version.is_latest:
        newest = conn.execute(
            select(s3_objects.c.version_id)
            .where(s3_objects.c.bucket == version.bucket, s3_objects.c.key == version.key)
            .order_by(s3_objects.c.seq.desc())
            .limit(1)
        ).scalar()
        if newest is not None:
            conn.execute(
                update(s3_objects)
                .where(
                    s3_objects.c.bucket == version.bucket,
                    s3_objects.c.key == version.key,
                    s3_objects.c.version_id == newest,
                )
                .values(is_latest=True)
            )


def set_fields(conn: Connection, version: Version, **values: Any) -> None:
    encoded = {
        k: json.dumps(v, separators=(",", ":")) if isinstance(v, dict) else v for k, v in values.items()
    }
    conn.execute(
        update(s3_objects)
        .where(
            s3_objects.c.bucket == version.bucket,
            s3_objects.c.key == version.key,
            s3_objects.c.version_id == version.version_id,
        )
        .values(**encoded)
    )


def latest_listing(conn: Connection, bucket: str, prefix: str, after: str, limit: int) -> list[Version]:
    """Latest versions that are not delete markers, in key order after `after`."""
    query = (
        select(s3_objects)
        .where(
            s3_objects.c.bucket == bucket,
            s3_objects.c.is_latest.is_(True),
            s3_objects.c.delete_marker.is_(False),
            s3_objects.c.key > after,
        )
        .order_by(s3_objects.c.key)
        .limit(limit)
    )
    if prefix:
        query = query.where(s3_objects.c.key >= prefix, s3_objects.c.key < prefix + "\U0010ffff")
    return [Version.from_row(r) for r in conn.execute(query)]


def all_versions(
    conn: Connection, bucket: str, prefix: str, after: tuple[str, int] | None, limit: int
) -> list[Version]:
    """Every version in (key, newest first) order after the (key, seq) position `after`."""
    query = select(s3_objects).where(s3_objects.c.bucket == bucket)
    if prefix:
        query = query.where(s3_objects.c.key >= prefix, s3_objects.c.key < prefix + "\U0010ffff")
    if after is not None:
        key, seq = after
        query = query.where((s3_objects.c.key > key) | and_(s3_objects.c.key == key, s3_objects.c.seq < seq))
    query = query.order_by(s3_objects.c.key, s3_objects.c.seq.desc()).limit(limit)
    return [Version.from_row(r) for r in conn.execute(query)]


def any_in_bucket(conn: Connection, bucket: str) -> bool:
    return (
        conn.execute(select(s3_objects.c.key).where(s3_objects.c.bucket == bucket).limit(1)).first()
        is not None
    )
