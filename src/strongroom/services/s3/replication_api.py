"""Get/Put/DeleteBucketReplication with AWS's V2 rule schema and its validation."""

from __future__ import annotations

from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError
from strongroom.services.s3 import buckets
from strongroom.services.s3.access import authorize
from strongroom.services.s3.buckets_api import check_owner, clear_config, read_bucket, store_config
from strongroom.services.s3.errors import invalid_request, malformed_xml, not_configured

Request = dict[str, Any]
Result = dict[str, Any]

MAX_RULES = 1000


def validate_configuration(ctx: RequestContext, config: dict[str, Any]) -> None:
    """AWS's checks on a replication configuration (InvalidRequest / MalformedXML, 400)."""
    rules = config.get("Rules") or []
    role = config.get("Role") or ""
    if not rules or len(rules) > MAX_RULES:
        raise malformed_xml()
    if not role.startswith("arn:aws:iam::") or ":role/" not in role:
        raise invalid_request("Invalid ReplicationConfiguration: Role must be an IAM role ARN.")
    v2 = any("Filter" in rule for rule in rules)
    ids: set[str] = set()
    priorities: set[int] = set()
    for rule in rules:
        rule_id = rule.get("ID") or ""
        if rule_id in ids and rule_id:
            raise invalid_request("Rule Id must be unique.")
        ids.add(rule_id)
        if rule.get("Status") not in ("Enabled", "Disabled"):
            raise malformed_xml()
        if v2 != ("Filter" in rule):
            raise invalid_request("Replication configuration cannot mix Prefix and Filter rules.")
        if v2:
            if "DeleteMarkerReplication" not in rule:
                raise invalid_request(
                    "DeleteMarkerReplication must be specified for this version of Cross Region Replication "
                    "configuration schema."
                )
            priority = int(rule.get("Priority") or 0)
            if len(rules) > 1 and priority in priorities:
                raise invalid_request(
                    "Found overlapping priorities. Priority values must be unique for rules with a Filter."
                )
            priorities.add(priority)
            spec = rule.get("Filter") or {}
            tagged = "Tag" in spec or bool((spec.get("And") or {}).get("Tags"))
            if tagged and (rule["DeleteMarkerReplication"] or {}).get("Status") == "Enabled":
                raise invalid_request(
                    "Delete marker replication is not supported if any Tag filter is specified."
                )
        destination = rule.get("Destination") or {}
        target = str(destination.get("Bucket") or "")
        if not target.startswith("arn:aws:s3:::"):
            raise invalid_request("Invalid Destination bucket ARN.")
        if destination.get("AccessControlTranslation") and not destination.get("Account"):
            raise invalid_request(
                "Destination Account must be specified if AccessControlTranslation is specified."
            )
        sse_kms = ((rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}).get(
            "Status"
        )
        replica_key = (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
        if sse_kms == "Enabled" and not replica_key:
            raise invalid_request(
                "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."
            )
        if replica_key and sse_kms != "Enabled":
            raise invalid_request(
                "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present."
            )
        with ctx.kernel.db.read() as conn:
            dest = buckets.find(conn, target.removeprefix("arn:aws:s3:::"))
        if dest is None:
            raise invalid_request("Destination bucket must exist.")
        if not dest.versioned:
            raise invalid_request("Destination bucket must have versioning enabled.")


class ReplicationApi:
    """The replication-configuration handlers of S3Api."""

    def put_bucket_replication(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        check_owner(bucket, request)
        authorize(ctx, "s3:PutReplicationConfiguration", bucket)
        # AWS also checks that the caller may hand the role to S3.
        config = request.get("ReplicationConfiguration") or {}
        ctx.authorize("iam:PassRole", str(config.get("Role") or "*"))
        if not bucket.versioned:
            raise invalid_request(
                "Versioning must be 'Enabled' on the bucket to apply a replication configuration"
            )
        validate_configuration(ctx, config)
        return store_config(ctx, bucket, replication=config)

    def get_bucket_replication(self, ctx: RequestContext, request: Request) -> Result:
        bucket = read_bucket(ctx, request["Bucket"])
        authorize(ctx, "s3:GetReplicationConfiguration", bucket)
        if not bucket.replication:
            raise not_configured(
                "ReplicationConfigurationNotFoundError",
                "The replication configuration was not found",
                bucket.name,
            )
        return {"ReplicationConfiguration": bucket.replication}

    def delete_bucket_replication(self, ctx: RequestContext, request: Request) -> Result:
        return clear_config(ctx, request, "s3:PutReplicationConfiguration", "replication")


__all__ = ["ReplicationApi", "ServiceError"]
