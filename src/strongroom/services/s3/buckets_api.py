"""Bucket operations: create, delete, head, list, location, and the bucket-level configurations
(versioning, tagging, public access block, ownership controls, policy, default encryption)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError
from strongroom.core.iam.document import parse_policy
from strongroom.core.iam.policy_errors import MalformedPolicy
from strongroom.core.store import Database
from strongroom.services.s3 import buckets, versions
from strongroom.services.s3.access import authorize
from strongroom.services.s3.buckets import DEFAULT_ENCRYPTION, Bucket
from strongroom.services.s3.encryption import AES256, DSSE, KMS
from strongroom.services.s3.errors import access_denied, invalid_argument, malformed_xml, not_configured
from strongroom.services.s3.names import bucket_arn, check_bucket_name
from strongroom.services.s3.tables import s3_buckets, s3_uploads

Request = dict[str, Any]
Result = dict[str, Any]
_MAX_POLICY = 20 * 1024


def read_bucket(ctx: RequestContext, name: str) -> Bucket:
    with ctx.kernel.db.read() as conn:
        return buckets.require(conn, name)


def store_config(ctx: RequestContext, bucket: Bucket, **settings: Any) -> Result:
    """Write bucket-level settings (None clears one): the empty answer of Put/Delete<Setting>."""
    with ctx.kernel.db.write() as conn:
        buckets.set_config(conn, bucket.name, **settings)
    return {}


def clear_config(ctx: RequestContext, request: Request, action: str, setting: str) -> Result:
    """Delete<Setting>: authorize `action` on the bucket, then clear the one setting."""
    bucket = read_bucket(ctx, request["Bucket"])
    authorize(ctx, action, bucket)
    return store_config(ctx, bucket, **{setting: None})


def check_owner(bucket: Bucket, request: Request) -> None:
    expected = request.get("ExpectedBucketOwner")
    if expected is not None and expected != bucket.account_id:
        raise access_denied()


def _is_public(policy_text: str) -> bool:
    """A policy that grants to everyone without a condition (what BlockPublicPolicy refuses)."""
    document = json.loads(policy_text)
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        values = aws if isinstance(aws, list) else [aws]
        if "*" in values:
            return True
    return False


class BucketsApi:
    """The bucket-level handlers of S3Api."""

    def _db(self, ctx: RequestContext) -> Database:
        return ctx.kernel.db

    # -- buckets -------------------------------------------------------------------------------

    def create_bucket(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Bucket"]
        check_bucket_name(name)
        configuration = request.get("CreateBucketConfiguration") or {}
        location = configuration.get("LocationConstraint")
        if location is None:
            if ctx.region != "us-east-1":
                raise ServiceError(
                    "IllegalLocationConstraintException",
                    "The unspecified location constraint is incompatible for the region specific endpoint "
                    "this request was sent to.",
                )
            region = "us-east-1"
        else:
            if location == "us-east-1":
                raise ServiceError(
                    "InvalidLocationConstraint", "The specified location-constraint is not valid"
                )
            if location == "EU":
                location = "eu-west-1"
            if location != ctx.region:
                raise ServiceError(
                    "IllegalLocationConstraintException",
                    f"The {location} location constraint is incompatible for the region specific endpoint "
                    f"this request was sent to.",
                )
            region = location
        ctx.authorize("s3:CreateBucket", bucket_arn(name))
        ownership = request.get("ObjectOwnership") or "BucketOwnerEnforced"
        with ctx.kernel.db.write() as conn:
            ctx.kernel.db.lock(conn, f"s3:bucket:{name}")
            existing = buckets.find(conn, name)
            if existing is not None:
                if existing.account_id == ctx.account_id and existing.region == "us-east-1" == region:
                    return {"Location": f"/{name}"}
                if existing.account_id == ctx.account_id:
                    raise ServiceError(
                        "BucketAlreadyOwnedByYou",
                        "Your previous request to create the named bucket succeeded and you already own it.",
                        status=409,
                        extra={"BucketName": name},
                    )
                raise ServiceError(
                    "BucketAlreadyExists",
                    "The requested bucket name is not available. The bucket namespace is shared by all users "
                    "of the system. Please select a different name and try again.",
                    status=409,
                    extra={"BucketName": name},
                )
            conn.execute(
                insert(s3_buckets).values(
                    name=name,
                    account_id=ctx.account_id,
                    region=region,
                    created_at=ctx.now(),
                    versioning="",
                    ownership=json.dumps({"Rules": [{"ObjectOwnership": ownership}]}),
                    public_access_block=json.dumps(
                        {
                            "BlockPublicAcls": True,
                            "IgnorePublicAcls": True,
                            "BlockPublicPolicy": True,
                            "RestrictPublicBuckets": True,
                        }
                    ),
                    encryption=json.dumps(DEFAULT_ENCRYPTION),
                )
            )
        ctx.audit_resources.append(("AWS::S3::Bucket", bucket_arn(name)))
        location_header = f"/{name}" if region == "us-east-1" else f"http://{name}.s3.amazonaws.com/"
        return {"Location": location_header, "BucketArn": bucket_arn(name)}

    def delete_bucket(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:DeleteBucket", bucket)
        with ctx.kernel.db.write() as conn:
            if (
                versions.any_in_bucket(conn, bucket.name)
                or conn.execute(
                    select(s3_uploads.c.upload_id).where(s3_uploads.c.bucket == bucket.name).limit(1)
                ).first()
            ):
                raise ServiceError(
                    "BucketNotEmpty",
                    "The bucket you tried to delete is not empty",
                    status=409,
                    extra={"BucketName": bucket.name},
                )
            conn.execute(delete(s3_buckets).where(s3_buckets.c.name == bucket.name))
        return {}

    def head_bucket(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:ListBucket", bucket)
        return {"BucketRegion": bucket.region, "BucketArn": bucket_arn(bucket.name)}

    def list_buckets(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("s3:ListAllMyBuckets", "*")
        query = select(s3_buckets).where(s3_buckets.c.account_id == ctx.account_id)
        prefix = request.get("Prefix")
        region = request.get("BucketRegion")
        with ctx.kernel.db.read() as conn:
            # Sorted here, by code point: a PostgreSQL locale collation would ignore "-" and ".".
            rows = sorted((Bucket.from_row(r) for r in conn.execute(query)), key=lambda b: b.name)
        listed = [
            {
                "Name": b.name,
                "CreationDate": b.created_at,
                "BucketRegion": b.region,
                "BucketArn": bucket_arn(b.name),
            }
            for b in rows
            if (not prefix or b.name.startswith(prefix)) and (not region or b.region == region)
        ]
        return {"Buckets": listed, "Owner": {"ID": ctx.account_id, "DisplayName": ctx.account_id}}

    def get_bucket_location(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetBucketLocation", bucket)
        return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}

    # -- versioning -----------------------------------------------------------------------------

    def put_bucket_versioning(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:PutBucketVersioning", bucket)
        status = (request.get("VersioningConfiguration") or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise malformed_xml()
        if status == "Suspended" and bucket.replication:
            raise ServiceError(
                "InvalidBucketState",
                "A replication configuration is present on this bucket, so you cannot change the versioning "
                "state. To change the versioning state, first delete the replication configuration.",
                status=409,
            )
        return store_config(ctx, bucket, versioning=status)

    def get_bucket_versioning(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetBucketVersioning", bucket)
        return {"Status": bucket.versioning} if bucket.versioning else {}

    # -- tagging --------------------------------------------------------------------------------

    def put_bucket_tagging(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:PutBucketTagging", bucket)
        tag_set = (request.get("Tagging") or {}).get("TagSet") or []
        check_tag_set(tag_set, limit=50)
        return store_config(ctx, bucket, tags=tag_set)

    def get_bucket_tagging(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetBucketTagging", bucket)
        if not bucket.tags:
            raise not_configured("NoSuchTagSet", "The TagSet does not exist", bucket.name)
        return {"TagSet": bucket.tags}

    def delete_bucket_tagging(self, ctx: RequestContext, request: Request) -> Result:
        return clear_config(ctx, request, "s3:PutBucketTagging", "tags")

    # -- public access block and ownership ---------------------------------------------------------

    def put_public_access_block(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:PutBucketPublicAccessBlock", bucket)
        config = request.get("PublicAccessBlockConfiguration") or {}
        return store_config(ctx, bucket, public_access_block=config)

    def get_public_access_block(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetBucketPublicAccessBlock", bucket)
        if bucket.public_access_block is None:
            raise not_configured(
                "NoSuchPublicAccessBlockConfiguration",
                "The public access block configuration was not found",
                bucket.name,
            )
        return {"PublicAccessBlockConfiguration": bucket.public_access_block}

    def delete_public_access_block(self, ctx: RequestContext, request: Request) -> Result:
        return clear_config(ctx, request, "s3:PutBucketPublicAccessBlock", "public_access_block")

    def put_bucket_ownership_controls(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:PutBucketOwnershipControls", bucket)
        controls = request.get("OwnershipControls") or {}
        rules = controls.get("Rules") or []
        if len(rules) != 1 or rules[0].get("ObjectOwnership") not in (
            "BucketOwnerPreferred",
            "ObjectWriter",
            "BucketOwnerEnforced",
        ):
            raise malformed_xml()
        return store_config(ctx, bucket, ownership=controls)

    def get_bucket_ownership_controls(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetBucketOwnershipControls", bucket)
        if bucket.ownership is None:
            raise not_configured(
                "OwnershipControlsNotFoundError", "The bucket ownership controls were not found", bucket.name
            )
        return {"OwnershipControls": bucket.ownership}

    def delete_bucket_ownership_controls(self, ctx: RequestContext, request: Request) -> Result:
        return clear_config(ctx, request, "s3:PutBucketOwnershipControls", "ownership")

    # -- bucket policy ----------------------------------------------------------------------------

    def put_bucket_policy(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:PutBucketPolicy", bucket)
        text = request.get("Policy") or ""
        if len(text.encode()) > _MAX_POLICY:
            raise ServiceError("PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
        try:
            parse_policy(text, kind="resource")
        except MalformedPolicy as error:
            raise ServiceError("MalformedPolicy", error.message) from None
        if (bucket.public_access_block or {}).get("BlockPublicPolicy") and _is_public(text):
            raise access_denied(
                "User is not authorized to perform: s3:PutBucketPolicy because public policies are blocked "
                "by the BlockPublicPolicy block public access setting."
            )
        return store_config(ctx, bucket, policy=text)

    def get_bucket_policy(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetBucketPolicy", bucket)
        if not bucket.policy:
            raise not_configured("NoSuchBucketPolicy", "The bucket policy does not exist", bucket.name)
        return {"Policy": bucket.policy}

    def delete_bucket_policy(self, ctx: RequestContext, request: Request) -> Result:
        return clear_config(ctx, request, "s3:DeleteBucketPolicy", "policy")

    def get_bucket_policy_status(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetBucketPolicyStatus", bucket)
        if not bucket.policy:
            raise not_configured("NoSuchBucketPolicy", "The bucket policy does not exist", bucket.name)
        return {"PolicyStatus": {"IsPublic": _is_public(bucket.policy)}}

    # -- default encryption --------------------------------------------------------------------------

    def put_bucket_encryption(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:PutEncryptionConfiguration", bucket)
        config = request.get("ServerSideEncryptionConfiguration") or {}
        rules = config.get("Rules") or []
        if len(rules) != 1:
            raise malformed_xml()
        rule = rules[0]
        default = rule.get("ApplyServerSideEncryptionByDefault")
        if default is not None:
            algorithm = default.get("SSEAlgorithm")
            if algorithm not in (AES256, KMS, DSSE):
                raise malformed_xml()
            if default.get("KMSMasterKeyID") and algorithm == AES256:
                raise invalid_argument(
                    "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or "
                    "aws:kms:dsse",
                    "ApplyServerSideEncryptionByDefault",
                )
        blocked = (rule.get("BlockedEncryptionTypes") or {}).get("EncryptionType")
        if blocked is not None and (
            not blocked
            or any(t not in ("NONE", "SSE-C") for t in blocked)
            or ("NONE" in blocked and len(blocked) > 1)
        ):
            raise malformed_xml()
        stored = {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": default or {"SSEAlgorithm": AES256},
                    "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
                    # A rule that does not mention BlockedEncryptionTypes keeps what the bucket had.
                    "BlockedEncryptionTypes": {"EncryptionType": blocked}
                    if blocked is not None
                    else {"EncryptionType": bucket.blocked_encryption_types or ["NONE"]},
                }
            ]
        }
        return store_config(ctx, bucket, encryption=stored)

    def get_bucket_encryption(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetEncryptionConfiguration", bucket)
        return {"ServerSideEncryptionConfiguration": bucket.encryption}

    def delete_bucket_encryption(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:PutEncryptionConfiguration", bucket)
        return store_config(ctx, bucket, encryption=DEFAULT_ENCRYPTION)


def check_tag_set(tag_set: list[dict[str, str]], *, limit: int) -> None:
    if len(tag_set) > limit:
        raise ServiceError(
            "BadRequest" if limit == 10 else "InvalidTag",
            "Object tags cannot be greater than 10"
            if limit == 10
            else "Bucket tag count cannot be greater than 50",
        )
    seen: set[str] = set()
    for tag in tag_set:
        key, value = tag.get("Key", ""), tag.get("Value", "")
        if key in seen:
            raise ServiceError("InvalidTag", "Cannot provide multiple Tags with the same key")
        seen.add(key)
        if not 1 <= len(key) <= 128 or len(value) > 256 or key.startswith("aws:"):
            raise ServiceError("InvalidTag", "The TagKey you have provided is invalid")
