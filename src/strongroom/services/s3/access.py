"""The one path to authorize an S3 request: the caller's policies and the bucket policy together,
with S3's condition keys."""

from __future__ import annotations

from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.services.s3.buckets import Bucket
from strongroom.services.s3.names import bucket_arn, object_arn

# Request members whose presence S3 exposes as condition keys, by condition key.
_HEADER_KEYS = {
    "s3:x-amz-server-side-encryption": "ServerSideEncryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
    "s3:x-amz-server-side-encryption-customer-algorithm": "SSECustomerAlgorithm",
    "s3:x-amz-acl": "ACL",
    "s3:x-amz-storage-class": "StorageClass",
    "s3:x-amz-metadata-directive": "MetadataDirective",
    "s3:x-amz-copy-source": "CopySource",
    "s3:prefix": "Prefix",
    "s3:delimiter": "Delimiter",
    "s3:max-keys": "MaxKeys",
    "s3:VersionId": "VersionId",
}


def condition_keys(bucket: Bucket, request: dict[str, Any] | None) -> dict[str, Any]:
    keys: dict[str, Any] = {
        "s3:ResourceAccount": bucket.account_id,
        "s3:signatureversion": "AWS4-HMAC-SHA256",
        "s3:authType": "REST-HEADER",
    }
    for name, member in _HEADER_KEYS.items():
        value = (request or {}).get(member)
        if value is not None:
            keys[name] = str(value) if not isinstance(value, int | bool) else value
    if request and "ServerSideEncryption" in request and request.get("BucketKeyEnabled") is not None:
        keys["s3:x-amz-server-side-encryption-bucket-key-enabled"] = bool(request["BucketKeyEnabled"])
    return keys


def authorize(
    ctx: RequestContext,
    action: str,
    bucket: Bucket,
    key: str | None = None,
    request: dict[str, Any] | None = None,
    *,
    extra: dict[str, Any] | None = None,
    existing_tags: dict[str, str] | None = None,
) -> None:
    resource = object_arn(bucket.name, key) if key is not None else bucket_arn(bucket.name)
    keys = condition_keys(bucket, request)
    if existing_tags:
        for tag, value in existing_tags.items():
            keys[f"s3:ExistingObjectTag/{tag}"] = value
    if extra:
        keys.update(extra)
    ctx.authorize(
        action,
        resource,
        resource_policy=bucket.policy,
        resource_account=bucket.account_id,
        context_keys=keys,
    )
    ctx.audit_resources.append(("AWS::S3::Object" if key is not None else "AWS::S3::Bucket", resource))
