"""What every Secrets Manager handler shares: finding and authorizing a secret, describing it,
encrypting and decrypting its versions through KMS, and publishing its events.

KMS is only ever called outside this service's write transactions: KMS writes too (an AWS
managed key is created on first use), and on SQLite a nested writer would wait on our own lock.

GetSecretValue's read — the secret, its labels, resource policy and tags, and the version it
names with its ciphertext and KMS-encrypted data key — comes from the kernel's stamped cache
"secretsmanager" (`readable`), loaded in one read transaction on a miss. Every operation not in
`SecretsManagerApi.pure_reads` drops it when its handler returns, the scheduler when a
"secretsmanager/..." job commits, and work outside a request (rotation runs, recording an access)
after each of its commits (`changed`), on every worker of the node at once; other nodes reload
within the cache's ttl. An entry holds only ciphertext: every read still calls KMS Decrypt as
the caller, so a disabled key or a revoked permission refuses the very next read.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.aws.service import ServiceApi
from strongroom.core.iam.principals import root_principal
from strongroom.services.secretsmanager import envelope, records
from strongroom.services.secretsmanager.errors import (
    MARKED_FOR_DELETION,
    ON_CROSS_ACCOUNT_REPLICA,
    ON_REPLICA,
    invalid_request,
    not_found,
)
from strongroom.services.secretsmanager.names import SecretRef, parse_secret_id
from strongroom.services.secretsmanager.records import Secret, Version

log = logging.getLogger(__name__)

Request = dict[str, Any]
Result = dict[str, Any]
SERVICE_HOST = "secretsmanager.amazonaws.com"
CACHE = "secretsmanager"
# A secret version may be 64 KB of ciphertext: at most ~128 MB of them per worker.
_CACHED_VERSIONS = 2_000
_SECRET_TYPE = "AWS::SecretsManager::Secret"


@dataclass(frozen=True)
class Readable:
    """A cached GetSecretValue read: the secret (None: no such secret) and the version it names
    (None: no such version). Shared by every reader of the process: never modify either."""

    secret: Secret | None
    version: Version | None
    # Worked out once per load rather than on every read: the condition keys and resource tags
    # GetSecretValue is authorized with (`secret_context_keys`), the version's staging labels.
    context_keys: Mapping[str, Any] = field(default_factory=dict)
    tag_map: Mapping[str, str] = field(default_factory=dict)
    stages: tuple[str, ...] = ()


def read_context_keys(version_id: str | None, stage: str | None) -> dict[str, Any]:
    """The condition keys a GetSecretValue adds for the version and stage it asks for."""
    keys: dict[str, Any] = {}
    if version_id:
        keys["secretsmanager:VersionId"] = version_id
    if stage:
        keys["secretsmanager:VersionStage"] = stage
    return keys


def secret_context_keys(secret: Secret, context_keys: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The secretsmanager:* condition keys of a request on `secret`, then `context_keys`."""
    keys: dict[str, Any] = {"secretsmanager:SecretId": secret.arn}
    for key, value in secret.tag_map.items():
        keys[f"secretsmanager:ResourceTag/{key}"] = value
    if secret.rotation_lambda_arn:
        keys["secretsmanager:resource/AllowRotationLambdaArn"] = secret.rotation_lambda_arn
    primary_region = secret.primary_arn.split(":")[3] if secret.primary_arn else secret.region
    keys["secretsmanager:SecretPrimaryRegion"] = primary_region
    if context_keys:
        keys.update(context_keys)
    return keys


def _readable(
    secret: Secret | None, version: Version | None, version_id: str | None, stage: str | None
) -> Readable:
    if secret is None:
        return Readable(None, version)
    stages = tuple(secret.labels_by_version.get(version.version_id, ())) if version is not None else ()
    return Readable(
        secret,
        version,
        MappingProxyType(secret_context_keys(secret, read_context_keys(version_id, stage))),
        MappingProxyType(secret.tag_map),
        stages,
    )


def midnight(moment: datetime) -> datetime:
    """LastAccessedDate is a day: AWS keeps the date of the last access, not the time."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


class SecretsBase(ServiceApi):
    """Helpers of the Secrets Manager API classes."""

    model_name = "secretsmanager"

    # -- finding and authorizing -----------------------------------------------------------------

    @staticmethod
    def ref(ctx: RequestContext, secret_id: str) -> SecretRef:
        return parse_secret_id(secret_id, ctx.account_id, ctx.region)

    def load(
        self,
        ctx: RequestContext,
        secret_id: str,
        action: str,
        *,
        context_keys: dict[str, Any] | None = None,
        live: bool = False,
        primary: bool = False,
        sets_value: bool = False,
    ) -> Secret:
        """The secret a SecretId names, once the caller may perform `action` on it.

        `live`: refuse a secret scheduled for deletion. `primary`: refuse a region replica.
        `sets_value`: the operation sets what a linked cross-account replica takes from its
        primary (versions, labels, description, type); refuse it there, or the primary's next
        change would silently overwrite it."""
        ref = self.ref(ctx, secret_id)
        with ctx.kernel.db.read() as conn:
            secret = records.find(conn, ref)
        if secret is None:
            raise self.missing(ctx, ref, action)
        self.authorize_secret(ctx, action, secret, context_keys)
        if live and secret.deleted_at is not None:
            raise invalid_request(MARKED_FOR_DELETION)
        if primary and secret.is_replica:
            raise invalid_request(ON_REPLICA)
        if sets_value and secret.follows_cross_account_primary:
            raise invalid_request(ON_CROSS_ACCOUNT_REPLICA)
        return secret

    @staticmethod
    def missing(ctx: RequestContext, ref: SecretRef, action: str) -> Exception:
        """The error for a SecretId that names no secret, once the caller may know that."""
        # Authorize against the name first, so a caller without access learns nothing.
        guess = ref.arn or ctx.arn("secretsmanager", f"secret:{ref.name}")
        ctx.authorize(action, guess, context_keys={"secretsmanager:SecretId": guess})
        return not_found()

    def readable(
        self, ctx: RequestContext, ref: SecretRef, version_id: str | None, stage: str | None
    ) -> Readable:
        """The secret and version GetSecretValue reads, from the read cache."""

        def load() -> Readable:
            with ctx.kernel.db.read() as conn:
                secret, version = records.with_version(conn, ref, version_id, stage)
            return _readable(secret, version, version_id, stage)

        key = ("value", ref, version_id, stage)
        return cast(Readable, self.kernel.caches.named(CACHE, max_entries=_CACHED_VERSIONS).get(key, load))

    def changed(self) -> None:
        """Secrets changed outside a request's handler (after the commit): drop the read cache."""
        self.kernel.caches.changed(CACHE)

    @staticmethod
    def authorize_secret(
        ctx: RequestContext, action: str, secret: Secret, context_keys: dict[str, Any] | None = None
    ) -> None:
        SecretsBase.authorize_with(
            ctx, action, secret, secret_context_keys(secret, context_keys), secret.tag_map
        )

    @staticmethod
    def authorize_with(
        ctx: RequestContext,
        action: str,
        secret: Secret,
        keys: Mapping[str, Any],
        tags: Mapping[str, str],
    ) -> None:
        """`authorize_secret` with the condition keys and tags already worked out (a cached read)."""
        ctx.authorize(
            action,
            secret.arn,
            resource_policy=secret.resource_policy,
            resource_account=secret.account_id,
            resource_tags=tags,
            context_keys=keys,
        )
        ctx.audit_resources.append((_SECRET_TYPE, secret.arn))

    # -- values ------------------------------------------------------------------------------------

    @staticmethod
    def seal(
        ctx: RequestContext,
        secret: Secret,
        version_id: str,
        value: bytes,
        is_binary: bool,
    ) -> envelope.Sealed:
        return envelope.seal(
            ctx,
            key_id=secret.kms_key_id,
            arn=secret.arn,
            version_id=version_id,
            value=value,
            is_binary=is_binary,
            region=secret.region,
        )

    @staticmethod
    def open(ctx: RequestContext, secret: Secret, version: Version) -> bytes:
        if version.ciphertext is None or version.encrypted_data_key is None or version.kms_key_arn is None:
            raise not_found(
                f"Secrets Manager can't find the specified secret value for VersionId: {version.version_id}"
            )
        return envelope.open_value(
            ctx,
            kms_key_arn=version.kms_key_arn,
            encrypted_data_key=version.encrypted_data_key,
            ciphertext=version.ciphertext,
            arn=secret.arn,
            version_id=version.version_id,
            is_binary=version.is_binary,
            region=secret.region,
        )

    # -- describing --------------------------------------------------------------------------------

    @staticmethod
    def describe(secret: Secret, *, listing: bool = False) -> Result:
        out: Result = {"ARN": secret.arn, "Name": secret.name}
        if secret.secret_type:
            out["Type"] = secret.secret_type
        if secret.description is not None:
            out["Description"] = secret.description
        if secret.kms_key_id:
            out["KmsKeyId"] = secret.kms_key_id
        if secret.rotation_lambda_arn or secret.rotation_enabled:
            out["RotationEnabled"] = secret.rotation_enabled
        if secret.rotation_lambda_arn:
            out["RotationLambdaARN"] = secret.rotation_lambda_arn
        if secret.rotation_rules:
            out["RotationRules"] = secret.rotation_rules
        if secret.last_rotated_at:
            out["LastRotatedDate"] = secret.last_rotated_at
        out["LastChangedDate"] = secret.last_changed_at
        if secret.last_accessed_at:
            out["LastAccessedDate"] = secret.last_accessed_at
        if secret.deleted_at:
            out["DeletedDate"] = secret.deleted_at
        if secret.rotation_enabled and secret.next_rotation_at:
            out["NextRotationDate"] = secret.next_rotation_at
        if secret.tags:
            out["Tags"] = secret.tags
        out["SecretVersionsToStages" if listing else "VersionIdsToStages"] = secret.labels_by_version
        if secret.owning_service:
            out["OwningService"] = secret.owning_service
        out["CreatedDate"] = secret.created_at
        if secret.primary_arn or secret.replicas:
            out["PrimaryRegion"] = secret.primary_arn.split(":")[3] if secret.primary_arn else secret.region
        if secret.replicas and not listing:
            out["ReplicationStatus"] = replication_status(secret)
        return out

    # -- work outside a request --------------------------------------------------------------------

    def service_context(self, account: str, region: str, operation: str) -> RequestContext:
        """Secrets Manager acting for an account on its own (rotation, replication, deletion)."""
        assert self.dispatcher is not None, "the gateway binds every API before serving"
        return RequestContext(
            kernel=self.kernel,
            dispatcher=self.dispatcher,
            service="secretsmanager",
            operation=operation,
            region=region,
            principal=root_principal(account),
            request_id=str(uuid.uuid4()),
            source_ip="",
            user_agent=SERVICE_HOST,
            secure_transport=True,
            access_denied=self.access_denied,
        )

    def publish(
        self,
        account: str,
        region: str,
        event_name: str,
        secret_arn: str,
        *,
        conn: Connection | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """An "AWS Service Event via CloudTrail" event, as Secrets Manager sends for rotation,
        version deletion and replication."""
        bus = getattr(self.kernel, "events", None)
        if bus is None:
            return
        now = self.kernel.clock.now()
        detail: dict[str, Any] = {
            "eventVersion": "1.11",
            "userIdentity": {"accountId": account, "invokedBy": SERVICE_HOST},
            "eventTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": SERVICE_HOST,
            "eventName": event_name,
            "awsRegion": region,
            "sourceIPAddress": SERVICE_HOST,
            "userAgent": SERVICE_HOST,
            "requestParameters": None,
            "responseElements": None,
            "additionalEventData": {"SecretId": secret_arn, **(extra or {})},
            "requestID": str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
            "readOnly": False,
            "eventType": "AwsServiceEvent",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
        }
        try:
            bus.publish(
                account,
                region,
                "aws.secretsmanager",
                "AWS Service Event via CloudTrail",
                detail,
                [secret_arn],
                conn=conn,
            )
        except Exception:
            if conn is not None:
                raise
            log.exception("could not publish %s for %s", event_name, secret_arn)


def replication_status(secret: Secret) -> list[dict[str, Any]]:
    out = []
    for replica in secret.replicas:
        item = {k: v for k, v in replica.items() if k in ("Region", "KmsKeyId", "Status", "StatusMessage")}
        if replica.get("LastAccessedDate"):
            item["LastAccessedDate"] = datetime.fromisoformat(replica["LastAccessedDate"])
        out.append(item)
    return out
