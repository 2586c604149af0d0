"""ListObjects, ListObjectsV2 and ListObjectVersions: keys in UTF-8 binary order, as AWS lists them.

Python compares strings by code point, which is UTF-8 byte order; the key columns sort the same
way in the database (see `tables.object_key_type`), so a listing resumes with a plain `key >`.
With a delimiter, the keys (and their versions) under one common prefix are skipped in one step
by resuming after `prefix + PAST`, the greatest code point.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.services.s3 import versions
from strongroom.services.s3.access import authorize
from strongroom.services.s3.buckets_api import check_owner, read_bucket
from strongroom.services.s3.errors import invalid_argument
from strongroom.services.s3.versions import Version

Request = dict[str, Any]
Result = dict[str, Any]

PAST = "\U0010ffff"
MAX_KEYS = 1000


Position = TypeVar("Position")


@dataclass
class Page(Generic[Position]):
    """One page of a listing: versions, common prefixes, and where the next page starts."""

    resume_after: Position
    contents: list[Version] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    last: Version | str | None = None  # the last version or common prefix listed

    @property
    def last_key(self) -> str:
        """The key, or common prefix, listed last."""
        return self.last.key if isinstance(self.last, Version) else self.last or ""


def common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    """The common prefix `key` rolls up into (through its first `delimiter` after `prefix`), if any."""
    if not delimiter:
        return None
    rest = key[len(prefix) :]
    cut = rest.find(delimiter)
    return None if cut < 0 else prefix + rest[: cut + len(delimiter)]


def _marks_common_prefix(marker: str, prefix: str, delimiter: str) -> bool:
    """Whether a marker is a common prefix (a NextMarker/NextKeyMarker), to resume past its keys."""
    return bool(marker) and common_prefix(marker, prefix, delimiter) == marker


def _fill(
    page: Page[Position],
    fetch: Callable[[Position, int], list[Version]],
    position: Callable[[Version], Position],
    past: Callable[[str], Position],
    prefix: str,
    delimiter: str,
    max_keys: int,
) -> Page[Position]:
    """Fill `page` with up to `max_keys` versions and common prefixes, fetched in batches.

    `position(version)` is where a listing resumes after a version, `past(common)` where it
    resumes after every key under a common prefix.
    """
    while max_keys > 0:
        batch = fetch(page.resume_after, MAX_KEYS)
        if not batch:
            return page
        for version in batch:
            if len(page.contents) + len(page.prefixes) >= max_keys:
                page.truncated = True
                return page
            common = common_prefix(version.key, prefix, delimiter)
            if common is not None:
                page.prefixes.append(common)
                page.last = common
                page.resume_after = past(common)
                break  # the next batch starts past every key under this prefix
            page.contents.append(version)
            page.last = version
            page.resume_after = position(version)
    return page


def latest_page(
    conn: Connection, bucket: str, prefix: str, delimiter: str, after: str, max_keys: int
) -> Page[str]:
    """Up to `max_keys` objects and common prefixes after the key `after`."""
    return _fill(
        Page(after),
        lambda at, limit: versions.latest_listing(conn, bucket, prefix, at, limit),
        lambda version: version.key,
        lambda common: common + PAST,
        prefix,
        delimiter,
        max_keys,
    )


def versions_page(
    conn: Connection,
    bucket: str,
    prefix: str,
    delimiter: str,
    after: tuple[str, int] | None,
    max_keys: int,
) -> Page[tuple[str, int] | None]:
    """Up to `max_keys` versions (and delete markers) and common prefixes after (key, seq) `after`."""
    return _fill(
        Page(after),
        lambda at, limit: versions.all_versions(conn, bucket, prefix, at, limit),
        lambda version: (version.key, version.seq),
        lambda common: (common + PAST, -1),
        prefix,
        delimiter,
        max_keys,
    )


def _max_keys(request: Request) -> int:
    max_keys = int(request.get("MaxKeys", MAX_KEYS))
    if max_keys < 0:
        raise invalid_argument("Argument maxKeys must be an integer between 0 and 2147483647", "maxKeys")
    return min(max_keys, MAX_KEYS)


def _encoder(request: Request) -> Callable[[str], str]:
    if request.get("EncodingType") == "url":
        return lambda text: quote(text, safe="/")
    return lambda text: text


def _listed(version: Version, owner: str | None, out: Callable[[str], str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Key": out(version.key),
        "LastModified": version.last_modified,
        "ETag": version.etag,
        "Size": version.size,
        "StorageClass": version.attributes.get("StorageClass") or "STANDARD",
    }
    sums = version.attributes.get("Checksums") or {}
    if sums:
        entry["ChecksumAlgorithm"] = [name.removeprefix("Checksum") for name in sums]
        entry["ChecksumType"] = version.attributes.get("ChecksumType", "FULL_OBJECT")
    if owner:
        entry["Owner"] = {"ID": owner, "DisplayName": owner}
    return entry


def _page_members(page: Page[str], request: Request, out: Callable[[str], str], owner: str | None) -> Result:
    """`owner`: the account to name as every object's owner (the bucket owner's, as objects are
    owned by the bucket owner under ObjectOwnership BucketOwnerEnforced), or None to leave it out."""
    result: Result = {}
    if page.contents:
        result["Contents"] = [_listed(v, owner, out) for v in page.contents]
    if page.prefixes:
        result["CommonPrefixes"] = [{"Prefix": out(p)} for p in page.prefixes]
    if request.get("Delimiter"):
        result["Delimiter"] = out(request["Delimiter"])
    if request.get("EncodingType") == "url":
        result["EncodingType"] = "url"
    return result


class ListingApi:
    """The listing handlers of S3Api."""

    def list_objects(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:ListBucket", bucket, None, request)
        prefix = request.get("Prefix") or ""
        delimiter = request.get("Delimiter") or ""
        marker = request.get("Marker") or ""
        # A marker that is a common prefix (a NextMarker): resume past every key under it.
        after = marker + PAST if _marks_common_prefix(marker, prefix, delimiter) else marker
        with ctx.kernel.db.read() as conn:
            page = latest_page(conn, bucket.name, prefix, delimiter, after, _max_keys(request))
        out = _encoder(request)
        result: Result = {
            "Name": bucket.name,
            "Prefix": out(prefix),
            "Marker": out(marker),
            "MaxKeys": int(request.get("MaxKeys", MAX_KEYS)),
            "IsTruncated": page.truncated,
            **_page_members(page, request, out, bucket.account_id),
        }
        if page.truncated and delimiter:
            result["NextMarker"] = out(page.last_key)
        return result

    def list_objects_v2(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:ListBucket", bucket, None, request)
        prefix = request.get("Prefix") or ""
        delimiter = request.get("Delimiter") or ""
        max_keys = _max_keys(request)
        token = request.get("ContinuationToken")
        if token is not None:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except (ValueError, UnicodeDecodeError):
                raise invalid_argument(
                    "The continuation token provided is incorrect", "continuation-token", token
                ) from None
        else:
            after = request.get("StartAfter") or ""
        with ctx.kernel.db.read() as conn:
            page = latest_page(conn, bucket.name, prefix, delimiter, after, max_keys)
        out = _encoder(request)
        result: Result = {
            "Name": bucket.name,
            "Prefix": out(prefix),
            "MaxKeys": int(request.get("MaxKeys", MAX_KEYS)),
            "KeyCount": len(page.contents) + len(page.prefixes),
            "IsTruncated": page.truncated,
            **_page_members(page, request, out, bucket.account_id if request.get("FetchOwner") else None),
        }
        if token is not None:
            result["ContinuationToken"] = token
        if request.get("StartAfter"):
            result["StartAfter"] = out(request["StartAfter"])
        if page.truncated:
            result["NextContinuationToken"] = base64.urlsafe_b64encode(page.resume_after.encode()).decode()
        return result

    def list_object_versions(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:ListBucketVersions", bucket, None, request)
        prefix = request.get("Prefix") or ""
        delimiter = request.get("Delimiter") or ""
        max_keys = _max_keys(request)
        after: tuple[str, int] | None = None
        key_marker = request.get("KeyMarker")
        with ctx.kernel.db.read() as conn:
            if key_marker:
                marker_version = request.get("VersionIdMarker")
                after = (key_marker, -1)
                if _marks_common_prefix(key_marker, prefix, delimiter):
                    after = (key_marker + PAST, -1)
                elif marker_version:
                    found = versions.get(conn, bucket.name, key_marker, marker_version)
                    after = (key_marker, found.seq)
            page = versions_page(conn, bucket.name, prefix, delimiter, after, max_keys)
        out = _encoder(request)
        entries: list[dict[str, Any]] = []
        markers: list[dict[str, Any]] = []
        for version in page.contents:
            base = {
                "Key": out(version.key),
                "VersionId": version.version_id,
                "IsLatest": version.is_latest,
                "LastModified": version.last_modified,
                "Owner": {"ID": bucket.account_id, "DisplayName": bucket.account_id},
            }
            if version.delete_marker:
                markers.append(base)
            else:
                entries.append(
                    {
                        **base,
                        "ETag": version.etag,
                        "Size": version.size,
                        "StorageClass": version.attributes.get("StorageClass") or "STANDARD",
                    }
                )
        result: Result = {
            "Name": bucket.name,
            "Prefix": out(prefix),
            "MaxKeys": max_keys,
            "IsTruncated": page.truncated,
            "KeyMarker": key_marker or "",
            "VersionIdMarker": request.get("VersionIdMarker") or "",
        }
        if entries:
            result["Versions"] = entries
        if markers:
            result["DeleteMarkers"] = markers
        if page.prefixes:
            result["CommonPrefixes"] = [{"Prefix": out(p)} for p in page.prefixes]
        if delimiter:
            result["Delimiter"] = out(delimiter)
        if page.truncated:
            result["NextKeyMarker"] = out(page.last_key)
            if isinstance(page.last, Version):
                # Past a common prefix there is no version to resume after: the prefix alone marks it.
                result["NextVersionIdMarker"] = page.last.version_id
        if request.get("EncodingType") == "url":
            result["EncodingType"] = "url"
        return result
