"""ListObjects, ListObjectsV2 and ListObjectVersions: keys in UTF-8 binary order, as AWS lists them.

Python compares strings by code point, which is UTF-8 byte order; the key columns sort the same
way in the database (see `tables.object_key_type`), so a listing resumes with a plain `key >`.
With a delimiter, the keys under one common prefix are skipped in one step by resuming after
`prefix + PAST`, the greatest code point.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
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


@dataclass
class Page:
    """One page of the latest versions: objects, common prefixes, and where the next page starts."""

    contents: list[Version] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    truncated: bool = False
    resume_after: str = ""
    last_listed: str = ""


def latest_page(
    conn: Connection, bucket: str, prefix: str, delimiter: str, after: str, max_keys: int
) -> Page:
    """Up to `max_keys` objects and common prefixes after `after`, rolling keys up at `delimiter`."""
    page = Page(resume_after=after)
    while max_keys > 0:
        batch = versions.latest_listing(conn, bucket, prefix, page.resume_after, MAX_KEYS)
        if not batch:
            return page
        for version in batch:
            if len(page.contents) + len(page.prefixes) >= max_keys:
                page.truncated = True
                return page
            if delimiter:
                rest = version.key[len(prefix) :]
                cut = rest.find(delimiter)
                if cut >= 0:
                    common = prefix + rest[: cut + len(delimiter)]
                    page.prefixes.append(common)
                    page.last_listed = common
                    page.resume_after = common + PAST
                    break  # the next batch starts past every key under this prefix
            page.contents.append(version)
            page.last_listed = page.resume_after = version.key
    return page


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


def _page_members(page: Page, request: Request, out: Callable[[str], str], owner: str | None) -> Result:
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
        after = marker
        rest = marker[len(prefix) :] if marker.startswith(prefix) else ""
        if delimiter and rest.endswith(delimiter) and rest.find(delimiter) == len(rest) - len(delimiter):
            # The marker is a common prefix (a NextMarker): resume past every key under it.
            after = marker + PAST
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
            result["NextMarker"] = out(page.last_listed)
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
        max_keys = _max_keys(request)
        after: tuple[str, int] | None = None
        key_marker = request.get("KeyMarker")
        with ctx.kernel.db.read() as conn:
            if key_marker:
                marker_version = request.get("VersionIdMarker")
                after = (key_marker, -1)
                if marker_version:
                    found = versions.get(conn, bucket.name, key_marker, marker_version)
                    after = (key_marker, found.seq)
            rows = versions.all_versions(conn, bucket.name, prefix, after, max_keys + 1)
        truncated = len(rows) > max_keys
        rows = rows[:max_keys]
        out = _encoder(request)
        entries: list[dict[str, Any]] = []
        markers: list[dict[str, Any]] = []
        for version in rows:
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
            "IsTruncated": truncated,
            "KeyMarker": key_marker or "",
            "VersionIdMarker": request.get("VersionIdMarker") or "",
        }
        if entries:
            result["Versions"] = entries
        if markers:
            result["DeleteMarkers"] = markers
        if truncated and rows:
            result["NextKeyMarker"] = out(rows[-1].key)
            result["NextVersionIdMarker"] = rows[-1].version_id
        if request.get("EncodingType") == "url":
            result["EncodingType"] = "url"
        return result
