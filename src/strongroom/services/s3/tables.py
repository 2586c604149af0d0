"""S3's tables: buckets and their configuration, object versions, multipart uploads, bucket keys,
and the durable replication queue.

Object bytes never live here: they are encrypted files under `<data dir>/s3/` (see `storage.py`);
a version row names its pieces and holds the envelope that unwraps its data key.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
from sqlalchemy.types import TypeEngine

from strongroom.core.store.schema import UtcDateTime, metadata


def object_key_type() -> TypeEngine[str]:
    """Object keys compare and sort by code point, i.e. UTF-8 binary order, as S3 lists them.

    SQLite's default collation is already binary; PostgreSQL's follows the database's locale
    ("ab" before "aB"), so the column gets the "C" collation there — and with it the primary key
    index, which keeps listings an index scan.
    """
    return String(1024).with_variant(String(1024, collation="C"), "postgresql")


s3_buckets = Table(
    "s3_buckets",
    metadata,
    # Bucket names are global across accounts and regions, as on AWS.
    Column("name", String(63), primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
    Column("region", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("versioning", String(16), nullable=False, default=""),
    Column("policy", Text, nullable=True),
    # JSON documents of the configurations S3 keeps per bucket, as their API shapes.
    Column("encryption", Text, nullable=True),
    Column("public_access_block", Text, nullable=True),
    Column("ownership", Text, nullable=True),
    Column("tags", Text, nullable=True),
    Column("replication", Text, nullable=True),
)

s3_objects = Table(
    "s3_objects",
    metadata,
    Column("bucket", String(63), primary_key=True),
    Column("key", object_key_type(), primary_key=True),
    Column("version_id", String(64), primary_key=True),
    # Orders the versions of one key (newest highest) independently of the clock.
    Column("seq", BigInteger, nullable=False),
    Column("is_latest", Boolean, nullable=False),
    Column("delete_marker", Boolean, nullable=False, default=False),
    Column("last_modified", UtcDateTime, nullable=False),
    Column("size", BigInteger, nullable=False, default=0),
    Column("etag", String(80), nullable=False, default=""),
    # Content-Type, Cache-Control …, user metadata, checksums, tags, parts (JSON).
    Column("attributes", Text, nullable=False, default="{}"),
    # Which SSE and how to unwrap the data key (JSON; wrapped keys only, never a plaintext key).
    Column("envelope", Text, nullable=False, default="{}"),
    # The encrypted files that hold the bytes, in order (JSON list of {file, size, part}).
    Column("pieces", Text, nullable=False, default="[]"),
    Column("data_id", String(32), nullable=False, default=""),
    Column("replication_status", String(16), nullable=True),
    ForeignKeyConstraint(["bucket"], ["s3_buckets.name"], ondelete="CASCADE"),
    Index("ix_s3_objects_latest", "bucket", "is_latest", "key"),
)

s3_uploads = Table(
    "s3_uploads",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("bucket", String(63), nullable=False),
    Column("key", object_key_type(), nullable=False),
    Column("initiated", UtcDateTime, nullable=False),
    Column("initiator", String(2048), nullable=False),
    Column("attributes", Text, nullable=False, default="{}"),
    Column("envelope", Text, nullable=False, default="{}"),
    Column("data_id", String(32), nullable=False),
    ForeignKeyConstraint(["bucket"], ["s3_buckets.name"], ondelete="CASCADE"),
    Index("ix_s3_uploads_bucket", "bucket", "key"),
)

s3_parts = Table(
    "s3_parts",
    metadata,
    Column("upload_id", String(64), primary_key=True),
    Column("part_number", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("file", String(128), nullable=False),
    Column("checksums", Text, nullable=False, default="{}"),
    Column("last_modified", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["upload_id"], ["s3_uploads.upload_id"], ondelete="CASCADE"),
)

s3_bucket_keys = Table(
    "s3_bucket_keys",
    metadata,
    # One S3 Bucket Key per bucket and KMS key: a data key from KMS under the bucket ARN context.
    Column("bucket", String(63), primary_key=True),
    Column("kms_key_arn", String(2048), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["bucket"], ["s3_buckets.name"], ondelete="CASCADE"),
)

s3_replication_tasks = Table(
    "s3_replication_tasks",
    metadata,
    Column("task_id", String(64), primary_key=True),
    Column("bucket", String(63), nullable=False),
    Column("key", String(1024), nullable=False),
    Column("version_id", String(64), nullable=False),
    Column("rule_id", String(255), nullable=False, default=""),
    Column("due_at", UtcDateTime, nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    # A claim lasts until `lease_until`; a worker that dies leaves the task to be claimed again.
    Column("lease_until", UtcDateTime, nullable=True),
    Column("last_error", String(1024), nullable=True),
)
