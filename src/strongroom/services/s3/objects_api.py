"""Object operations: Put/Get/Head/Delete (with versions), DeleteObjects, listings, CopyObject
(re-encrypting to the target's settings) and object tagging."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AWSError, ServiceError
from strongroom.services.s3 import buckets, checksums, encryption, versions
from strongroom.services.s3.access import authorize
from strongroom.services.s3.buckets import Bucket
from strongroom.services.s3.buckets_api import check_owner, check_tag_set, read_bucket
from strongroom.services.s3.digests import BodyDigests
from strongroom.services.s3.errors import (
    access_denied,
    invalid_argument,
    invalid_request,
    method_not_allowed,
    no_such_key,
    not_modified,
    precondition_failed,
)
from strongroom.services.s3.replication import enqueue_if_replicated
from strongroom.services.s3.storage import SEGMENT_SIZE, CorruptObject, ObjectStore, Piece, PlaintextStream
from strongroom.services.s3.versions import NULL_VERSION, NewVersion, Version

Request = dict[str, Any]
Result = dict[str, Any]

MAX_PUT_SIZE = 5 * 1024**3
_STORED_HEADERS = (
    "ContentType",
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "Expires",
    "WebsiteRedirectLocation",
    "StorageClass",
)


def etag_of(body: bytes) -> str:
    return f'"{hashlib.md5(body).hexdigest()}"'  # noqa: S324 - S3's ETag is an MD5


def parse_tagging(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    pairs = parse_qsl(text, keep_blank_values=True)
    tags = dict(pairs)
    if len(tags) != len(pairs):
        raise invalid_argument(
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
            "parameters without tag name duplicates.",
            "x-amz-tagging",
            text,
        )
    check_tag_set([{"Key": k, "Value": v} for k, v in tags.items()], limit=10)
    return tags


def stored_attributes(request: Request) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        name: request[name] for name in _STORED_HEADERS if request.get(name) is not None
    }
    if isinstance(attributes.get("Expires"), datetime):
        attributes["Expires"] = attributes["Expires"].isoformat()
    if request.get("Metadata"):
        attributes["Metadata"] = {k.lower(): v for k, v in request["Metadata"].items()}
    return attributes


def parse_range(text: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) of a `bytes=` range, None to send the whole object; InvalidRange if unsatisfiable."""
    if not text or not text.startswith("bytes=") or "," in text:
        return None
    first, dash, last = text[6:].strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":
            if not last:
                return None
            count = int(last)
            if count == 0:
                raise _invalid_range(text, size)
            return max(0, size - count), size
        start = int(first)
        end = int(last) + 1 if last else size
    except ValueError:
        return None
    if end <= start - 1:
        return None
    if start >= size:
        raise _invalid_range(text, size)
    return start, min(end, size)


def _invalid_range(text: str, size: int) -> ServiceError:
    return ServiceError(
        "InvalidRange",
        "The requested range is not satisfiable",
        status=416,
        extra={"RangeRequested": text, "ActualObjectSize": str(size)},
    )


def check_read_conditions(request: Request, version: Version) -> None:
    """If-Match / If-None-Match / If-(Un)Modified-Since, with S3's precedence."""
    etag = version.etag
    modified = version.last_modified.replace(microsecond=0)
    if_match, if_none = request.get("IfMatch"), request.get("IfNoneMatch")
    match_ok = if_match is not None and _etag_matches(if_match, etag)
    if if_match is not None and not match_ok:
        raise precondition_failed("If-Match")
    since = request.get("IfUnmodifiedSince")
    if since is not None and if_match is None and modified > since:
        raise precondition_failed("If-Unmodified-Since")
    if if_none is not None and _etag_matches(if_none, etag):
        raise not_modified()
    modified_since = request.get("IfModifiedSince")
    if modified_since is not None and if_none is None and modified <= modified_since:
        raise not_modified()


def _etag_matches(condition: str, etag: str) -> bool:
    wanted = [c.strip() for c in condition.split(",")]
    return "*" in wanted or etag in wanted or etag.strip('"') in [w.strip('"') for w in wanted]


class ObjectsApi:
    """The object-level handlers of S3Api."""

    store: ObjectStore

    # -- writing ------------------------------------------------------------------------------------

    def put_object(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        key = request["Key"]
        body: bytes = request.get("Body") or b""
        tags = parse_tagging(request.get("Tagging"))
        authorize(ctx, "s3:PutObject", bucket, key, request)
        if tags:
            authorize(ctx, "s3:PutObjectTagging", bucket, key, request)
        if len(body) > MAX_PUT_SIZE:
            raise ServiceError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        claimed_md5 = checksums.claimed_content_md5(request)
        algorithm = checksums.requested_algorithm(request)
        if request.get("IfMatch") is not None or request.get("IfNoneMatch") is not None:
            self._check_write_conditions(ctx, bucket, key, request)
        choice = encryption.choose(ctx, bucket, request)
        plain_etag = choice.algorithm == encryption.AES256
        digests = BodyDigests(body, md5=plain_etag or claimed_md5 is not None, algorithm=algorithm)
        if not digests.parallel:
            # Already computed: refuse a bad digest before any KMS call or write.
            self._verify_digests(request, claimed_md5, digests)
        attributes = stored_attributes(request)
        if tags:
            attributes["Tags"] = tags
        data_id = secrets.token_hex(16)
        keys, envelope = encryption.new_keys(ctx, bucket, key, data_id, choice)
        piece = self.store.write(keys, data_id, 0, body)
        try:
            sums = self._verify_digests(request, claimed_md5, digests)
        except BaseException:
            self.store.delete([piece.file])
            raise
        attributes["Checksums"] = sums
        if sums:
            attributes["ChecksumType"] = "FULL_OBJECT"
        etag = digests.etag() if plain_etag else _opaque_etag(data_id)
        version = self._commit(
            ctx,
            bucket,
            NewVersion(
                key=key,
                size=len(body),
                etag=etag,
                attributes=attributes,
                envelope=envelope,
                pieces=[piece],
                data_id=data_id,
                last_modified=ctx.now(),
            ),
        )
        result: Result = {"ETag": etag, **encryption.response_headers(envelope), **sums}
        if sums:
            result["ChecksumType"] = "FULL_OBJECT"
        if version.version_id != NULL_VERSION:
            result["VersionId"] = version.version_id
        if choice.context:
            result["SSEKMSEncryptionContext"] = request.get("SSEKMSEncryptionContext")
        return result

    @staticmethod
    def _verify_digests(request: Request, claimed_md5: bytes | None, digests: BodyDigests) -> dict[str, str]:
        """BadDigest unless the body matches its Content-MD5 and checksum; the checksum to keep."""
        if claimed_md5 is not None:
            checksums.check_content_md5(claimed_md5, digests.md5())
        return checksums.verified(request, digests.algorithm, digests.checksum())

    def _check_write_conditions(
        self, ctx: RequestContext, bucket: Bucket, key: str, request: Request
    ) -> None:
        with ctx.kernel.db.read() as conn:
            try:
                current: Version | None = versions.get(conn, bucket.name, key, None)
            except ServiceError:
                current = None
        if current is not None and current.delete_marker:
            current = None
        if request.get("IfNoneMatch") is not None and current is not None:
            raise precondition_failed("If-None-Match")
        if_match = request.get("IfMatch")
        if if_match is not None:
            if current is None:
                raise no_such_key(key)
            if not _etag_matches(if_match, current.etag):
                raise precondition_failed("If-Match")

    def _commit(self, ctx: RequestContext, bucket: Bucket, new: NewVersion) -> Version:
        """Store a version whose files are written; the files go if the transaction does not commit."""
        try:
            with ctx.kernel.db.write() as conn:
                current = buckets.require(conn, bucket.name)  # versioning as of this transaction
                version, obsolete = versions.add(conn, current, new)
                enqueue_if_replicated(conn, ctx.kernel.clock.now(), current, version)
        except BaseException:
            self.store.delete([p.file for p in new.pieces])
            raise
        self.store.delete_later(obsolete)
        return version

    # -- reading ------------------------------------------------------------------------------------

    def _readable(self, ctx: RequestContext, request: Request, action: str) -> tuple[Bucket, Version]:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        key, version_id = request["Key"], request.get("VersionId")
        with ctx.kernel.db.read() as conn:
            try:
                version: Version | None = versions.get(conn, bucket.name, key, version_id)
            except ServiceError as missing:
                version = None
                error: AWSError = missing
        tags = version.attributes.get("Tags") if version is not None else None
        try:
            authorize(
                ctx,
                f"{action}Version" if version_id is not None else action,
                bucket,
                key,
                request,
                existing_tags=tags,
            )
        except AWSError:
            raise
        if version is None:
            # Without s3:ListBucket AWS answers a missing key with 403, so keys do not leak.
            try:
                authorize(ctx, "s3:ListBucket", bucket)
            except AWSError:
                raise access_denied() from None
            raise error
        if version.delete_marker:
            if version_id is not None:
                raise method_not_allowed((ctx.operation == "HeadObject" and "HEAD") or "GET", "DeleteMarker")
            raise ServiceError(
                "NoSuchKey", "The specified key does not exist.", status=404, extra={"Key": key}
            )
        return bucket, version

    def _describe(self, version: Version, request: Request) -> Result:
        attributes = version.attributes
        result: Result = {
            "ETag": version.etag,
            "LastModified": version.last_modified,
            "ContentLength": version.size,
            "ContentType": attributes.get("ContentType") or "binary/octet-stream",
            "AcceptRanges": "bytes",
            **encryption.response_headers(version.envelope),
        }
        for name in _STORED_HEADERS[1:]:
            if attributes.get(name) is not None and name != "StorageClass":
                result[name] = attributes[name]
        if attributes.get("StorageClass") not in (None, "STANDARD"):
            result["StorageClass"] = attributes["StorageClass"]
        if attributes.get("Metadata"):
            result["Metadata"] = attributes["Metadata"]
        if version.version_id != NULL_VERSION:
            result["VersionId"] = version.version_id
        if version.replication_status:
            result["ReplicationStatus"] = version.replication_status
        if attributes.get("Tags"):
            result["TagCount"] = len(attributes["Tags"])
        if attributes.get("PartsCount") and request.get("PartNumber"):
            result["PartsCount"] = attributes["PartsCount"]
        if request.get("ChecksumMode") == "ENABLED" and attributes.get("Checksums"):
            result.update(attributes["Checksums"])
            result["ChecksumType"] = attributes.get("ChecksumType", "FULL_OBJECT")
        for header in (
            "ContentType",
            "CacheControl",
            "ContentDisposition",
            "ContentEncoding",
            "ContentLanguage",
        ):
            override = request.get(f"Response{header}")
            if override is not None:
                result[header] = override
        return result

    def _part_range(self, version: Version, part_number: int) -> tuple[int, int]:
        offset = 0
        pieces = version.pieces
        if version.attributes.get("PartsCount"):
            for index, piece in enumerate(pieces, start=1):
                if index == part_number:
                    return offset, offset + piece.size
                offset += piece.size
        elif part_number == 1:
            return 0, version.size
        raise ServiceError("InvalidPartNumber", "The requested partnumber is not satisfiable", status=416)

    def get_object(self, ctx: RequestContext, request: Request) -> Result:
        bucket, version = self._readable(ctx, request, "s3:GetObject")
        customer = encryption.customer_key(ctx, request)
        keys = encryption.open_keys(ctx, bucket, version.key, version.data_id, version.envelope, customer)
        check_read_conditions(request, version)
        result = self._describe(version, request)
        span: tuple[int, int] | None
        if request.get("PartNumber"):
            span = self._part_range(version, int(request["PartNumber"]))
        else:
            span = parse_range(request.get("Range"), version.size)
        start, end = span if span is not None else (0, version.size)
        body: bytes | PlaintextStream
        try:
            if end - start > SEGMENT_SIZE:
                # Sent while it is decrypted; its first segment is checked here, the rest as sent.
                body = self.store.stream(keys, version.data_id, version.pieces, start, end)
            else:
                body = self.store.read(keys, version.data_id, version.pieces, start, end)
        except CorruptObject:
            raise ServiceError(
                "InternalError", "We encountered an internal error. Please try again.", status=500
            ) from None
        if span is not None:
            result["ContentRange"] = f"bytes {start}-{end - 1}/{version.size}"
            result.pop("ChecksumType", None)
            for name in checksums.MEMBERS:
                result.pop(f"Checksum{name}", None)
        result["ContentLength"] = len(body)
        result["Body"] = body
        return result

    def head_object(self, ctx: RequestContext, request: Request) -> Result:
        bucket, version = self._readable(ctx, request, "s3:GetObject")
        customer = encryption.customer_key(ctx, request)
        if version.envelope.get("sse") == encryption.SSE_C or customer is not None:
            encryption.open_keys(ctx, bucket, version.key, version.data_id, version.envelope, customer)
        check_read_conditions(request, version)
        result = self._describe(version, request)
        if request.get("PartNumber"):
            start, end = self._part_range(version, int(request["PartNumber"]))
            result["ContentLength"] = end - start
        else:
            span = parse_range(request.get("Range"), version.size)
            if span is not None:
                result["ContentLength"] = span[1] - span[0]
                result["ContentRange"] = f"bytes {span[0]}-{span[1] - 1}/{version.size}"
        return result

    # -- deleting ---------------------------------------------------------------------------------

    def delete_object(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        key, version_id = request["Key"], request.get("VersionId")
        authorize(ctx, "s3:DeleteObjectVersion" if version_id else "s3:DeleteObject", bucket, key, request)
        return self._delete(ctx, bucket, key, version_id)

    def _delete(self, ctx: RequestContext, bucket: Bucket, key: str, version_id: str | None) -> Result:
        obsolete: list[str] = []
        result: Result = {}
        with ctx.kernel.db.write() as conn:
            if version_id is not None:
                try:
                    version = versions.get(conn, bucket.name, key, version_id)
                except ServiceError as error:
                    if error.code == "NoSuchVersion":
                        return {"VersionId": version_id}
                    raise
                versions.remove(conn, version)
                obsolete = version.files
                result = {"VersionId": version_id}
                if version.delete_marker:
                    result["DeleteMarker"] = True
            elif bucket.versioning in ("Enabled", "Suspended"):
                marker, obsolete = versions.add(
                    conn,
                    bucket,
                    NewVersion(
                        key=key,
                        size=0,
                        etag="",
                        attributes={},
                        envelope={},
                        pieces=[],
                        data_id="",
                        last_modified=ctx.now(),
                        delete_marker=True,
                    ),
                )
                enqueue_if_replicated(conn, ctx.kernel.clock.now(), bucket, marker)
                result = {"DeleteMarker": True}
                if marker.version_id != NULL_VERSION:
                    result["VersionId"] = marker.version_id
            else:
                try:
                    version = versions.get(conn, bucket.name, key, None)
                except ServiceError:
                    return {}
                versions.remove(conn, version)
                obsolete = version.files
        self.store.delete(obsolete)
        return result

    def delete_objects(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        spec = request.get("Delete") or {}
        objects = spec.get("Objects") or []
        if len(objects) > 1000:
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        deleted: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for item in objects:
            key, version_id = item["Key"], item.get("VersionId")
            try:
                authorize(
                    ctx, "s3:DeleteObjectVersion" if version_id else "s3:DeleteObject", bucket, key, request
                )
                outcome = self._delete(ctx, bucket, key, version_id)
            except AWSError as error:
                errors.append(
                    {"Key": key, "VersionId": version_id, "Code": error.code, "Message": error.message}
                )
                continue
            entry: dict[str, Any] = {"Key": key}
            if version_id:
                entry["VersionId"] = version_id
            if outcome.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                if outcome.get("VersionId") and not version_id:
                    entry["DeleteMarkerVersionId"] = outcome["VersionId"]
            deleted.append(entry)
        result: Result = {}
        if not spec.get("Quiet"):
            result["Deleted"] = deleted
        if errors:
            result["Errors"] = [{k: v for k, v in e.items() if v is not None} for e in errors]
        return result

    # -- copying ------------------------------------------------------------------------------------

    def copy_object(self, ctx: RequestContext, request: Request) -> Result:
        source_bucket_name, source_key, source_version_id = _copy_source(request["CopySource"])
        target = read_bucket(ctx, request["Bucket"])
        check_owner(target, request)
        source_request: Request = {
            "Bucket": source_bucket_name,
            "Key": source_key,
            "VersionId": source_version_id,
            "ExpectedBucketOwner": request.get("ExpectedSourceBucketOwner"),
        }
        source_bucket, source = self._readable(ctx, source_request, "s3:GetObject")
        key = request["Key"]
        authorize(ctx, "s3:PutObject", target, key, request)
        conditions = {
            "IfMatch": request.get("CopySourceIfMatch"),
            "IfNoneMatch": request.get("CopySourceIfNoneMatch"),
            "IfModifiedSince": request.get("CopySourceIfModifiedSince"),
            "IfUnmodifiedSince": request.get("CopySourceIfUnmodifiedSince"),
        }
        try:
            check_read_conditions(conditions, source)
        except ServiceError as error:
            if error.code == "NotModified":
                raise precondition_failed("x-amz-copy-source-If-None-Match") from None
            raise
        source_customer = encryption.customer_key(ctx, request, "CopySourceSSECustomer")
        source_keys = encryption.open_keys(
            ctx, source_bucket, source.key, source.data_id, source.envelope, source_customer
        )
        directive = request.get("MetadataDirective") or "COPY"
        changes_encryption = any(
            request.get(name) is not None
            for name in ("ServerSideEncryption", "SSECustomerAlgorithm", "SSEKMSKeyId", "BucketKeyEnabled")
        )
        if (
            source_bucket.name == target.name
            and source.key == key
            and directive == "COPY"
            and not changes_encryption
            and request.get("StorageClass") is None
            and request.get("WebsiteRedirectLocation") is None
        ):
            raise invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself without "
                "changing the object's metadata, storage class, website redirect location or encryption "
                "attributes."
            )
        body = self.store.read(source_keys, source.data_id, source.pieces, 0, source.size)
        if directive == "REPLACE":
            attributes = stored_attributes(request)
        else:
            attributes = {k: v for k, v in source.attributes.items() if k in (*_STORED_HEADERS, "Metadata")}
        tagging_directive = request.get("TaggingDirective") or "COPY"
        tags = (
            parse_tagging(request.get("Tagging"))
            if tagging_directive == "REPLACE"
            else dict(source.attributes.get("Tags") or {})
        )
        if tags:
            attributes["Tags"] = tags
        algorithm = checksums.requested_algorithm(request) or next(
            (name.removeprefix("Checksum") for name in source.attributes.get("Checksums") or {}), None
        )
        sums = {f"Checksum{algorithm}": checksums.compute(algorithm, body)} if algorithm else {}
        attributes["Checksums"] = sums
        if sums:
            attributes["ChecksumType"] = "FULL_OBJECT"
        choice = encryption.choose(ctx, target, request)
        data_id = secrets.token_hex(16)
        keys, envelope = encryption.new_keys(ctx, target, key, data_id, choice)
        piece = self.store.write(keys, data_id, 0, body)
        etag = etag_of(body) if choice.algorithm == encryption.AES256 else _opaque_etag(data_id)
        now = ctx.now()
        version = self._commit(
            ctx,
            target,
            NewVersion(
                key=key,
                size=len(body),
                etag=etag,
                attributes=attributes,
                envelope=envelope,
                pieces=[piece],
                data_id=data_id,
                last_modified=now,
            ),
        )
        result: Result = {
            "CopyObjectResult": {"ETag": etag, "LastModified": now, **sums},
            **encryption.response_headers(envelope),
        }
        if source.version_id != NULL_VERSION:
            result["CopySourceVersionId"] = source.version_id
        if version.version_id != NULL_VERSION:
            result["VersionId"] = version.version_id
        return result

    # -- object tagging -----------------------------------------------------------------------------

    def get_object_tagging(self, ctx: RequestContext, request: Request) -> Result:
        _, version = self._readable(ctx, request, "s3:GetObjectTagging")
        tags = version.attributes.get("Tags") or {}
        result: Result = {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
        if version.version_id != NULL_VERSION:
            result["VersionId"] = version.version_id
        return result

    def put_object_tagging(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        key, version_id = request["Key"], request.get("VersionId")
        tag_set = (request.get("Tagging") or {}).get("TagSet") or []
        check_tag_set(tag_set, limit=10)
        authorize(
            ctx, "s3:PutObjectVersionTagging" if version_id else "s3:PutObjectTagging", bucket, key, request
        )
        with ctx.kernel.db.write() as conn:
            version = versions.get(conn, bucket.name, key, version_id)
            if version.delete_marker:
                raise method_not_allowed("PUT", "DeleteMarker")
            attributes = dict(version.attributes)
            attributes["Tags"] = {t["Key"]: t["Value"] for t in tag_set}
            versions.set_fields(conn, version, attributes=attributes)
        return {"VersionId": version.version_id} if version.version_id != NULL_VERSION else {}

    def delete_object_tagging(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        key, version_id = request["Key"], request.get("VersionId")
        authorize(
            ctx,
            "s3:DeleteObjectVersionTagging" if version_id else "s3:DeleteObjectTagging",
            bucket,
            key,
            request,
        )
        with ctx.kernel.db.write() as conn:
            version = versions.get(conn, bucket.name, key, version_id)
            attributes = {k: v for k, v in version.attributes.items() if k != "Tags"}
            versions.set_fields(conn, version, attributes=attributes)
        return {"VersionId": version.version_id} if version.version_id != NULL_VERSION else {}


def _opaque_etag(data_id: str) -> str:
    # AWS: the ETag of an SSE-KMS or SSE-C object is not an MD5 of its data.
    return f'"{hashlib.md5(bytes.fromhex(data_id)).hexdigest()}"'  # noqa: S324


def _copy_source(text: str) -> tuple[str, str, str | None]:
    path, _, query = text.partition("?")
    path = unquote(path).lstrip("/")
    bucket, slash, key = path.partition("/")
    if not slash or not key or not bucket:
        raise invalid_argument("Invalid copy source object key", "x-amz-copy-source", text)
    version_id = dict(parse_qsl(query)).get("versionId") if query else None
    return bucket, key, version_id


def pieces_size(pieces: list[Piece]) -> int:
    return sum(p.size for p in pieces)
