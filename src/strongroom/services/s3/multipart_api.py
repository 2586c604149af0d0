"""Multipart uploads: create, upload part, complete, abort, list parts and uploads.

The upload's data keys are chosen at CreateMultipartUpload (its SSE, like AWS); each part is
encrypted on arrival into its own piece file, and completing links the pieces into the object
without decrypting or re-encrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from itertools import pairwise
from typing import Any

from sqlalchemy import delete, insert, select

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError
from strongroom.services.s3 import checksums, encryption
from strongroom.services.s3.access import authorize
from strongroom.services.s3.buckets_api import check_owner, read_bucket
from strongroom.services.s3.digests import BodyDigests
from strongroom.services.s3.errors import bad_digest, invalid_argument, invalid_request, no_such_upload
from strongroom.services.s3.objects_api import ObjectsApi, parse_tagging, stored_attributes
from strongroom.services.s3.storage import Piece
from strongroom.services.s3.tables import s3_parts, s3_uploads
from strongroom.services.s3.versions import NULL_VERSION, NewVersion

Request = dict[str, Any]
Result = dict[str, Any]

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000


class MultipartApi(ObjectsApi):
    """The multipart handlers of S3Api."""

    def create_multipart_upload(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        key = request["Key"]
        authorize(ctx, "s3:PutObject", bucket, key, request)
        algorithm = checksums.requested_algorithm(request)
        checksum_type = request.get("ChecksumType")
        if checksum_type is not None and algorithm is None:
            raise invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
            )
        if algorithm is not None and checksum_type is None:
            checksum_type = "FULL_OBJECT" if algorithm in checksums.FULL_OBJECT_ONLY else "COMPOSITE"
        if checksum_type == "COMPOSITE" and algorithm in checksums.FULL_OBJECT_ONLY:
            raise invalid_request(f"The {algorithm} checksum algorithm does not support COMPOSITE checksums.")
        if checksum_type == "FULL_OBJECT" and algorithm in ("SHA1", "SHA256"):
            raise invalid_request(
                f"The {algorithm} checksum algorithm does not support FULL_OBJECT checksums."
            )
        attributes = stored_attributes(request)
        tags = parse_tagging(request.get("Tagging"))
        if tags:
            attributes["Tags"] = tags
        if algorithm:
            attributes["ChecksumAlgorithm"] = algorithm
            attributes["ChecksumType"] = checksum_type
        choice = encryption.choose(ctx, bucket, request)
        data_id = secrets.token_hex(16)
        _, envelope = encryption.new_keys(ctx, bucket, key, data_id, choice)
        upload_id = secrets.token_urlsafe(48)
        with ctx.kernel.db.write() as conn:
            conn.execute(
                insert(s3_uploads).values(
                    upload_id=upload_id,
                    bucket=bucket.name,
                    key=key,
                    initiated=ctx.now(),
                    initiator=ctx.principal.arn,
                    attributes=json.dumps(attributes),
                    envelope=json.dumps(envelope),
                    data_id=data_id,
                )
            )
        result: Result = {
            "Bucket": bucket.name,
            "Key": key,
            "UploadId": upload_id,
            **encryption.response_headers(envelope),
        }
        if algorithm:
            result["ChecksumAlgorithm"] = algorithm
            result["ChecksumType"] = checksum_type
        return result

    def _upload(self, ctx: RequestContext, bucket: str, key: str, upload_id: str) -> Any:
        with ctx.kernel.db.read() as conn:
            row = conn.execute(select(s3_uploads).where(s3_uploads.c.upload_id == upload_id)).first()
        if row is None or row.bucket != bucket or row.key != key:
            raise no_such_upload(upload_id)
        return row

    def upload_part(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        key, part_number = request["Key"], int(request["PartNumber"])
        authorize(ctx, "s3:PutObject", bucket, key, request)
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
                "partNumber",
                str(part_number),
            )
        upload = self._upload(ctx, bucket.name, key, request["UploadId"])
        body: bytes = request.get("Body") or b""
        claimed_md5 = checksums.claimed_content_md5(request)
        attributes = json.loads(upload.attributes)
        algorithm = attributes.get("ChecksumAlgorithm")
        sent = checksums.requested_algorithm(request)
        if algorithm and sent and sent != algorithm:
            raise invalid_request(
                f"Checksum Type mismatch occurred, expected checksum Type: {algorithm.lower()}, "
                f"actual checksum Type: {sent.lower()}"
            )
        digests = BodyDigests(body, md5=True, algorithm=sent or algorithm)
        if not digests.parallel:
            self._verify_digests(request, claimed_md5, digests)
        envelope = json.loads(upload.envelope)
        customer = encryption.customer_key(ctx, request)
        keys = encryption.open_keys(ctx, bucket, key, upload.data_id, envelope, customer)
        piece = self.store.write(keys, upload.data_id, part_number, body)
        try:
            self._verify_digests(request, claimed_md5, digests)
        except BaseException:
            self.store.delete([piece.file])
            raise
        checksum = digests.checksum()
        sums = {f"Checksum{digests.algorithm}": checksum} if checksum is not None else {}
        etag = digests.etag()
        try:
            with ctx.kernel.db.write() as conn:
                if (
                    conn.execute(
                        select(s3_uploads.c.upload_id).where(s3_uploads.c.upload_id == upload.upload_id)
                    ).first()
                    is None
                ):
                    raise no_such_upload(upload.upload_id)
                old = conn.execute(
                    select(s3_parts.c.file).where(
                        s3_parts.c.upload_id == upload.upload_id, s3_parts.c.part_number == part_number
                    )
                ).scalar()
                conn.execute(
                    delete(s3_parts).where(
                        s3_parts.c.upload_id == upload.upload_id, s3_parts.c.part_number == part_number
                    )
                )
                conn.execute(
                    insert(s3_parts).values(
                        upload_id=upload.upload_id,
                        part_number=part_number,
                        size=len(body),
                        etag=etag,
                        file=piece.file,
                        checksums=json.dumps(sums),
                        last_modified=ctx.now(),
                    )
                )
        except BaseException:
            self.store.delete([piece.file])
            raise
        if old:
            self.store.delete([old])
        return {"ETag": etag, **encryption.response_headers(envelope), **sums}

    def complete_multipart_upload(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        key = request["Key"]
        authorize(ctx, "s3:PutObject", bucket, key, request)
        upload = self._upload(ctx, bucket.name, key, request["UploadId"])
        if request.get("IfMatch") is not None or request.get("IfNoneMatch") is not None:
            self._check_write_conditions(ctx, bucket, key, request)
        listed = (request.get("MultipartUpload") or {}).get("Parts") or []
        if not listed:
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        with ctx.kernel.db.read() as conn:
            stored = {
                row.part_number: row
                for row in conn.execute(select(s3_parts).where(s3_parts.c.upload_id == upload.upload_id))
            }
        attributes = json.loads(upload.attributes)
        algorithm = attributes.get("ChecksumAlgorithm")
        numbers = [int(part["PartNumber"]) for part in listed]
        if any(later <= earlier for earlier, later in pairwise(numbers)):
            raise ServiceError(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. The parts list must be specified in order by "
                "part number.",
            )
        chosen = []
        for index, part in enumerate(listed):
            number = int(part["PartNumber"])
            row = stored.get(number)
            if row is None or part.get("ETag", "").strip('"') != row.etag.strip('"'):
                raise ServiceError(
                    "InvalidPart",
                    "One or more of the specified parts could not be found.  The part may not have been "
                    "uploaded, or the specified entity tag may not have matched the part's entity tag.",
                    extra={"UploadId": upload.upload_id, "PartNumber": str(number)},
                )
            if index < len(listed) - 1 and row.size < MIN_PART_SIZE:
                raise ServiceError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    extra={
                        "ProposedSize": str(row.size),
                        "MinSizeAllowed": str(MIN_PART_SIZE),
                        "PartNumber": str(number),
                    },
                )
            if algorithm:
                sent = part.get(f"Checksum{algorithm}")
                stored_sum = json.loads(row.checksums).get(f"Checksum{algorithm}")
                if sent is not None and sent != stored_sum:
                    raise ServiceError(
                        "InvalidPart",
                        f"The upload was created using a {algorithm.lower()} checksum. The complete request "
                        f"referenced part {number} with a mismatched checksum.",
                    )
            chosen.append(row)
        digests = b"".join(bytes.fromhex(row.etag.strip('"')) for row in chosen)
        etag = f'"{hashlib.md5(digests).hexdigest()}-{len(chosen)}"'  # noqa: S324 - S3's multipart ETag
        pieces = [Piece(row.file, row.size, row.part_number) for row in chosen]
        size = sum(p.size for p in pieces)
        if request.get("MpuObjectSize") is not None and int(request["MpuObjectSize"]) != size:
            raise invalid_request(
                "The provided MpuObjectSize does not match the size of the uploaded object."
            )
        sums: dict[str, str] = {}
        checksum_type = attributes.get("ChecksumType")
        if algorithm:
            part_sums = [json.loads(row.checksums).get(f"Checksum{algorithm}") for row in chosen]
            if checksum_type == "COMPOSITE":
                sums = {f"Checksum{algorithm}": checksums.composite(algorithm, part_sums)}
            else:
                envelope_keys = (
                    encryption.open_keys(
                        ctx,
                        bucket,
                        key,
                        upload.data_id,
                        json.loads(upload.envelope),
                        encryption.customer_key(ctx, request),
                    )
                    if json.loads(upload.envelope).get("sse") != encryption.SSE_C
                    or request.get("SSECustomerKey")
                    else None
                )
                if envelope_keys is not None:
                    whole = self.store.read(envelope_keys, upload.data_id, pieces, 0, size)
                    sums = {f"Checksum{algorithm}": checksums.compute(algorithm, whole)}
            sent = request.get(f"Checksum{algorithm}")
            if sent is not None and sums and sent != sums[f"Checksum{algorithm}"]:
                raise bad_digest(f"The {algorithm} you specified did not match the calculated checksum.")
        attributes.pop("ChecksumAlgorithm", None)
        attributes["Checksums"] = sums
        attributes["PartsCount"] = len(chosen)
        if not sums:
            attributes.pop("ChecksumType", None)
        unused = [row.file for number, row in stored.items() if number not in {r.part_number for r in chosen}]
        envelope = json.loads(upload.envelope)
        new = NewVersion(
            key=key,
            size=size,
            etag=etag,
            attributes=attributes,
            envelope=envelope,
            pieces=pieces,
            data_id=upload.data_id,
            last_modified=ctx.now(),
        )
        from strongroom.services.s3 import buckets, versions
        from strongroom.services.s3.replication import enqueue_if_replicated

        with ctx.kernel.db.write() as conn:
            if (
                conn.execute(
                    select(s3_uploads.c.upload_id).where(s3_uploads.c.upload_id == upload.upload_id)
                ).first()
                is None
            ):
                raise no_such_upload(upload.upload_id)
            current = buckets.require(conn, bucket.name)
            version, obsolete = versions.add(conn, current, new)
            enqueue_if_replicated(conn, ctx.kernel.clock.now(), current, version)
            conn.execute(delete(s3_uploads).where(s3_uploads.c.upload_id == upload.upload_id))
        self.store.delete(obsolete + unused)
        result: Result = {
            "Location": f"/{bucket.name}/{key}",
            "Bucket": bucket.name,
            "Key": key,
            "ETag": etag,
            **encryption.response_headers(envelope),
            **sums,
        }
        if sums:
            result["ChecksumType"] = checksum_type
        if version.version_id != NULL_VERSION:
            result["VersionId"] = version.version_id
        return result

    def abort_multipart_upload(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        key = request["Key"]
        authorize(ctx, "s3:AbortMultipartUpload", bucket, key, request)
        upload = self._upload(ctx, bucket.name, key, request["UploadId"])
        with ctx.kernel.db.write() as conn:
            files = list(
                conn.execute(
                    select(s3_parts.c.file).where(s3_parts.c.upload_id == upload.upload_id)
                ).scalars()
            )
            conn.execute(delete(s3_parts).where(s3_parts.c.upload_id == upload.upload_id))
            conn.execute(delete(s3_uploads).where(s3_uploads.c.upload_id == upload.upload_id))
        self.store.delete(files)
        return {}

    def list_parts(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        key = request["Key"]
        authorize(ctx, "s3:ListMultipartUploadParts", bucket, key, request)
        upload = self._upload(ctx, bucket.name, key, request["UploadId"])
        marker = int(request.get("PartNumberMarker") or 0)
        max_parts = min(int(request.get("MaxParts", 1000)), 1000)
        with ctx.kernel.db.read() as conn:
            rows = list(
                conn.execute(
                    select(s3_parts)
                    .where(s3_parts.c.upload_id == upload.upload_id, s3_parts.c.part_number > marker)
                    .order_by(s3_parts.c.part_number)
                    .limit(max_parts + 1)
                )
            )
        truncated = len(rows) > max_parts
        rows = rows[:max_parts]
        attributes = json.loads(upload.attributes)
        result: Result = {
            "Bucket": bucket.name,
            "Key": key,
            "UploadId": upload.upload_id,
            "PartNumberMarker": marker,
            "MaxParts": max_parts,
            "IsTruncated": truncated,
            "Parts": [
                {
                    "PartNumber": r.part_number,
                    "LastModified": r.last_modified,
                    "ETag": r.etag,
                    "Size": r.size,
                    **json.loads(r.checksums),
                }
                for r in rows
            ],
            "Initiator": {"ID": upload.initiator, "DisplayName": upload.initiator},
            "Owner": {"ID": bucket.account_id, "DisplayName": bucket.account_id},
            "StorageClass": attributes.get("StorageClass") or "STANDARD",
        }
        if rows:
            result["NextPartNumberMarker"] = rows[-1].part_number
        if attributes.get("ChecksumAlgorithm"):
            result["ChecksumAlgorithm"] = attributes["ChecksumAlgorithm"]
            result["ChecksumType"] = attributes.get("ChecksumType")
        return result

    def list_multipart_uploads(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:ListBucketMultipartUploads", bucket, None, request)
        prefix = request.get("Prefix") or ""
        with ctx.kernel.db.read() as conn:
            rows = list(
                conn.execute(
                    select(s3_uploads)
                    .where(s3_uploads.c.bucket == bucket.name)
                    .order_by(s3_uploads.c.key, s3_uploads.c.initiated)
                )
            )
        uploads = [
            {
                "UploadId": r.upload_id,
                "Key": r.key,
                "Initiated": r.initiated,
                "StorageClass": "STANDARD",
                "Initiator": {"ID": r.initiator, "DisplayName": r.initiator},
                "Owner": {"ID": bucket.account_id, "DisplayName": bucket.account_id},
            }
            for r in rows
            if r.key.startswith(prefix)
        ]
        result: Result = {"Bucket": bucket.name, "IsTruncated": False, "MaxUploads": 1000, "Prefix": prefix}
        if uploads:
            result["Uploads"] = uploads
        return result


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
