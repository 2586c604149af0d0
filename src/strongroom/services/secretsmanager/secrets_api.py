"""The lifecycle of a secret: create, describe, list, update, delete, restore, tag."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.core.scheduler import Job
from strongroom.services.secretsmanager import envelope, listing, policies, records, tags
from strongroom.services.secretsmanager.base import Request, Result, SecretsBase
from strongroom.services.secretsmanager.errors import (
    exists,
    invalid_parameter,
    invalid_request,
)
from strongroom.services.secretsmanager.names import SecretRef, check_name, new_arn, parse_secret_id
from strongroom.services.secretsmanager.records import CURRENT, Secret

PURGE_JOB = "secretsmanager/purge"
DEFAULT_RECOVERY_DAYS = 30
_DEFAULT_ALIAS_NAME = ":alias/aws/secretsmanager"
# What a linked cross-account replica takes from its primary, of what UpdateSecret can set.
_FROM_THE_PRIMARY = ("SecretString", "SecretBinary", "Description", "Type")
_ALREADY_DELETED = (
    "You can't perform this operation on the secret because it was already scheduled for deletion."
)


def value_of(request: Request) -> tuple[bytes, bool] | None:
    """The value a request carries, as bytes, and whether it is binary."""
    string, binary = request.get("SecretString"), request.get("SecretBinary")
    if string is not None and binary is not None:
        raise invalid_parameter(
            "You can't specify both a binary secret value and a string secret value in the same secret."
        )
    if string is not None:
        return str(string).encode("utf-8"), False
    if binary is not None:
        return bytes(binary), True
    return None


class SecretsApi(SecretsBase):
    """CreateSecret … RestoreSecret, TagResource, UntagResource."""

    def setup(self) -> None:
        self.kernel.scheduler.register(PURGE_JOB, self._purge)

    def sync_replicas(
        self, ctx: RequestContext, primary_arn: str, plaintexts: dict[str, tuple[bytes, bool]]
    ) -> None:
        """Bring every replica of a primary up to date (ReplicationApi does the work)."""

    # -- create ----------------------------------------------------------------------------------

    def create_secret(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        check_name(name)
        value = value_of(request)
        cross_account_primary = request.get("CrossAccountPrimaryARN") or None
        if cross_account_primary is not None:
            _check_replica_request(ctx, request, cross_account_primary)
        new_tags = tags.checked(request.get("Tags"))
        description = request.get("Description")
        kms_key = request.get("KmsKeyId") or None
        replica_regions = request.get("AddReplicaRegions") or []
        arn = new_arn(ctx.partition, ctx.region, ctx.account_id, name)
        keys: dict[str, Any] = {"secretsmanager:Name": name}
        if description is not None:
            keys["secretsmanager:Description"] = description
        if kms_key:
            keys["secretsmanager:KmsKeyArn"] = kms_key
        if replica_regions:
            keys["secretsmanager:AddReplicaRegions"] = [r["Region"] for r in replica_regions]
        ctx.authorize(
            "secretsmanager:CreateSecret", arn, request_tags=tags.as_map(new_tags), context_keys=keys
        )
        if cross_account_primary is not None:
            # AWS attaches the managed cross-account-replication policy to the new replica.
            ctx.authorize(
                "secretsmanager:PutResourcePolicy",
                arn,
                context_keys={
                    "secretsmanager:Name": name,
                    "secretsmanager:PolicyName": policies.REPLICATION_POLICY,
                },
            )
        version_id = request.get("ClientRequestToken") or str(uuid.uuid4())
        with ctx.kernel.db.read() as conn:
            existing = records.find(conn, SecretRef(ctx.account_id, ctx.region, None, name))
        if existing is not None:
            return self._create_again(ctx, existing, version_id, value)
        sealed = None
        if value is not None:
            sealed = envelope.seal(
                ctx,
                key_id=kms_key,
                arn=arn,
                version_id=version_id,
                value=value[0],
                is_binary=value[1],
                region=ctx.region,
            )
        now = ctx.now()
        secret_id = str(uuid.uuid4())
        with ctx.kernel.db.write_unique(
            lambda: exists(f"The operation failed because the secret {name} already exists.")
        ) as conn:
            records.insert_secret(
                conn,
                secret_id=secret_id,
                account_id=ctx.account_id,
                region=ctx.region,
                name=name,
                arn=arn,
                description=description,
                kms_key_id=kms_key,
                secret_type=request.get("Type"),
                created_at=now,
                last_changed_at=now,
                tags=new_tags,
                rotation_enabled=False,
                replicas=[],
                cross_account_primary=None
                if cross_account_primary is None
                else {"PrimarySecretARN": cross_account_primary, "ReplicationStatus": "Pending"},
            )
            if sealed is not None and value is not None:
                records.insert_version(
                    conn,
                    secret_id,
                    version_id,
                    now,
                    kms_key_arn=sealed.kms_key_arn,
                    encrypted_data_key=sealed.encrypted_data_key,
                    ciphertext=sealed.ciphertext,
                    is_binary=value[1],
                )
                records.apply_stages(conn, secret_id, {}, {CURRENT: version_id})
        result: Result = {"ARN": arn, "Name": name}
        if value is not None:
            result["VersionId"] = version_id
        if replica_regions:
            plaintexts = {version_id: value} if value is not None else {}
            result["ReplicationStatus"] = self.replicate(
                ctx, arn, replica_regions, bool(request.get("ForceOverwriteReplicaSecret")), plaintexts
            )
        return result

    def replicate(
        self,
        ctx: RequestContext,
        primary_arn: str,
        regions: list[dict[str, Any]],
        force_overwrite: bool,
        plaintexts: dict[str, tuple[bytes, bool]],
    ) -> list[dict[str, Any]]:
        raise invalid_request("Replication is not available.")

    def _create_again(
        self, ctx: RequestContext, existing: Secret, version_id: str, value: tuple[bytes, bool] | None
    ) -> Result:
        """CreateSecret retried with the same ClientRequestToken and value answers as the first."""
        if existing.deleted_at is not None:
            raise invalid_request(
                "You can't create this secret because a secret with this name is already scheduled "
                "for deletion."
            )
        duplicate = exists(f"The operation failed because the secret {existing.name} already exists.")
        if value is None:
            raise duplicate
        with ctx.kernel.db.read() as conn:
            version = records.version(conn, existing.secret_id, version_id)
        if version is None or not version.has_value:
            raise duplicate
        self.authorize_secret(ctx, "secretsmanager:CreateSecret", existing)
        if self.open(ctx, existing, version) != value[0] or version.is_binary != value[1]:
            raise exists("You can't modify an existing version, you can only create new versions.")
        return {"ARN": existing.arn, "Name": existing.name, "VersionId": version_id}

    # -- read ------------------------------------------------------------------------------------

    def describe_secret(self, ctx: RequestContext, request: Request) -> Result:
        secret = self.load(ctx, request["SecretId"], "secretsmanager:DescribeSecret")
        result = self.describe(secret)
        if secret.cross_account_primary is not None:
            result["CrossAccountPrimary"] = dict(secret.cross_account_primary)
        if secret.cross_account_replicas:
            result["CrossAccountReplicas"] = [dict(e) for e in secret.cross_account_replicas]
        return result

    def list_secrets(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("secretsmanager:ListSecrets", "*")
        filters = request.get("Filters") or []
        listing.check_filters(filters)
        with ctx.kernel.db.read() as conn:
            found = records.in_region(conn, ctx.account_id, ctx.region)
        if not request.get("IncludePlannedDeletion"):
            found = [s for s in found if s.deleted_at is None]
        found = [s for s in found if listing.matches(s, filters)]
        ordered = listing.sort(found, request.get("SortBy"), request.get("SortOrder"))
        salt = repr(
            (filters, request.get("SortBy"), request.get("SortOrder"), request.get("IncludePlannedDeletion"))
        )
        chunk, token = listing.page(
            ordered, request.get("NextToken"), int(request.get("MaxResults") or 100), salt
        )
        result: Result = {"SecretList": [self.describe(s, listing=True) for s in chunk]}
        if token:
            result["NextToken"] = token
        return result

    # -- update ----------------------------------------------------------------------------------

    def update_secret(self, ctx: RequestContext, request: Request) -> Result:
        keys: dict[str, Any] = {}
        if request.get("Description") is not None:
            keys["secretsmanager:Description"] = request["Description"]
        if request.get("KmsKeyId"):
            keys["secretsmanager:KmsKeyArn"] = request["KmsKeyId"]
        secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:UpdateSecret",
            context_keys=keys,
            live=True,
            primary=True,
            sets_value=any(request.get(m) is not None for m in _FROM_THE_PRIMARY),
        )
        value = value_of(request)
        if "KmsKeyId" in request and secret.cross_account_primary is not None:
            _check_replica_key(request["KmsKeyId"] or "")
        changes: dict[str, Any] = {}
        if request.get("Description") is not None:
            changes["description"] = request["Description"]
        if request.get("Type") is not None:
            changes["secret_type"] = request["Type"]
        if "KmsKeyId" in request:
            changes["kms_key_id"] = request["KmsKeyId"] or None
            secret.kms_key_id = changes["kms_key_id"]
        result: Result = {"ARN": secret.arn, "Name": secret.name}
        reencrypted = self._reencrypt(ctx, secret) if "KmsKeyId" in request else []
        version_id = request.get("ClientRequestToken") or str(uuid.uuid4())
        sealed = None
        if value is not None:
            with ctx.kernel.db.read() as conn:
                present = records.version(conn, secret.secret_id, version_id)
            if present is not None and present.has_value:
                if self.open(ctx, secret, present) != value[0]:
                    raise exists("You can't modify an existing version, you can only create new versions.")
                return {**result, "VersionId": version_id}
            sealed = self.seal(ctx, secret, version_id, value[0], value[1])
        now = ctx.now()
        with ctx.kernel.db.write_unique(
            lambda: exists("You can't modify an existing version, you can only create new versions.")
        ) as conn:
            current = records.by_id(conn, secret.secret_id, for_update=True)
            if current is None or current.deleted_at is not None:
                raise invalid_request(
                    "You can't perform this operation on the secret because it was marked for deletion."
                )
            for version_id_re, again in reencrypted:
                records.fill_version(
                    conn,
                    secret.secret_id,
                    version_id_re,
                    kms_key_arn=again.kms_key_arn,
                    encrypted_data_key=again.encrypted_data_key,
                    ciphertext=again.ciphertext,
                    is_binary=again.is_binary,
                )
            if sealed is not None and value is not None:
                self._add_version(conn, current, version_id, sealed, value[1], [CURRENT], now)
                result["VersionId"] = version_id
            records.update_secret(conn, secret.secret_id, last_changed_at=now, **changes)
        self.sync_replicas(ctx, secret.arn, {version_id: value} if value is not None else {})
        return result

    def _reencrypt(self, ctx: RequestContext, secret: Secret) -> list[tuple[str, Any]]:
        """Re-encrypt the labelled versions under the new key where the caller can read them."""
        from strongroom.aws.errors import AWSError

        out: list[tuple[str, Any]] = []
        with ctx.kernel.db.read() as conn:
            labelled = {v: records.version(conn, secret.secret_id, v) for v in set(secret.stage_map.values())}
        for version_id, version in labelled.items():
            if version is None or not version.has_value:
                continue
            try:
                plaintext = self.open(ctx, secret, version)
                sealed = self.seal(ctx, secret, version_id, plaintext, version.is_binary)
            except AWSError:
                continue  # AWS leaves a version it cannot re-encrypt under its old key
            out.append((version_id, _Resealed(sealed, version.is_binary)))
        return out

    def _add_version(
        self,
        conn: Connection,
        secret: Secret,
        version_id: str,
        sealed: envelope.Sealed,
        is_binary: bool,
        stages: list[str],
        now: Any,
    ) -> dict[str, str]:
        """Insert (or fill a rotation's empty) version and attach its labels; returns the labels."""
        from strongroom.services.secretsmanager import staging

        present = records.version(conn, secret.secret_id, version_id)
        if present is None:
            records.insert_version(
                conn,
                secret.secret_id,
                version_id,
                now,
                kms_key_arn=sealed.kms_key_arn,
                encrypted_data_key=sealed.encrypted_data_key,
                ciphertext=sealed.ciphertext,
                is_binary=is_binary,
            )
        elif present.has_value:
            raise exists("You can't modify an existing version, you can only create new versions.")
        else:
            records.fill_version(
                conn,
                secret.secret_id,
                version_id,
                kms_key_arn=sealed.kms_key_arn,
                encrypted_data_key=sealed.encrypted_data_key,
                ciphertext=sealed.ciphertext,
                is_binary=is_binary,
            )
        after = staging.attach(secret.stage_map, version_id, stages)
        pending = after.get(records.PENDING)
        if CURRENT in stages and pending is not None and pending != version_id:
            # A new current value abandons the rotation in progress, as on AWS.
            del after[records.PENDING]
            self.publish(secret.account_id, secret.region, "RotationAbandoned", secret.arn, conn=conn)
        records.apply_stages(conn, secret.secret_id, secret.stage_map, after)
        records.prune_versions(conn, secret.secret_id, set(after.values()), now)
        secret.stage_map = after
        return after

    # -- delete and restore ----------------------------------------------------------------------

    def delete_secret(self, ctx: RequestContext, request: Request) -> Result:
        force = bool(request.get("ForceDeleteWithoutRecovery"))
        window = request.get("RecoveryWindowInDays")
        keys: dict[str, Any] = {"secretsmanager:ForceDeleteWithoutRecovery": force}
        if window is not None:
            keys["secretsmanager:RecoveryWindowInDays"] = int(window)
        secret = self.load(ctx, request["SecretId"], "secretsmanager:DeleteSecret", context_keys=keys)
        if force and window is not None:
            raise invalid_parameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        days = DEFAULT_RECOVERY_DAYS if window is None else int(window)
        if not force and not 7 <= days <= 30:
            raise invalid_parameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        if secret.is_replica:
            raise invalid_request(
                "You can't delete a replica secret directly. Remove its Region from replication "
                "in the primary secret's Region instead."
            )
        if secret.replicas:
            regions = ", ".join(r["Region"] for r in secret.replicas)
            raise invalid_request(
                f"You can't delete secret {secret.name} that still has replica regions [{regions}]"
            )
        if secret.cross_account_primary is not None:
            raise invalid_request(
                "You can't delete a cross-account replica secret. Call StopReplicationToReplica on it first."
            )
        associated = [
            e["ReplicaSecretARN"]
            for e in secret.cross_account_replicas
            if e["ReplicationStatus"] != records.DETACHED
        ]
        if associated:
            raise invalid_request(
                f"You can't delete secret {secret.name} that still has cross-account replicas "
                f"[{', '.join(associated)}]. Call DisassociateCrossAccountReplica first."
            )
        if secret.deleted_at is not None and not force:
            raise invalid_request(_ALREADY_DELETED)
        now = ctx.now()
        with ctx.kernel.db.write() as conn:
            if force:
                records.delete_secret(conn, secret.secret_id)
                ctx.kernel.scheduler.cancel(conn, PURGE_JOB, secret.secret_id)
                self.publish(
                    secret.account_id, secret.region, "EndSecretVersionDelete", secret.arn, conn=conn
                )
                deletion = now
            else:
                deletion = now + timedelta(days=days)
                records.update_secret(conn, secret.secret_id, deleted_at=now, purge_at=deletion)
                ctx.kernel.scheduler.schedule(conn, PURGE_JOB, secret.secret_id, deletion)
                self.publish(
                    secret.account_id, secret.region, "StartSecretVersionDelete", secret.arn, conn=conn
                )
        return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": deletion}

    def restore_secret(self, ctx: RequestContext, request: Request) -> Result:
        secret = self.load(ctx, request["SecretId"], "secretsmanager:RestoreSecret")
        if secret.deleted_at is not None:
            with ctx.kernel.db.write() as conn:
                records.update_secret(conn, secret.secret_id, deleted_at=None, purge_at=None)
                ctx.kernel.scheduler.cancel(conn, PURGE_JOB, secret.secret_id)
                self.publish(
                    secret.account_id, secret.region, "CancelSecretVersionDelete", secret.arn, conn=conn
                )
        return {"ARN": secret.arn, "Name": secret.name}

    def _purge(self, conn: Connection, job: Job) -> None:
        secret = records.by_id(conn, job.key, for_update=True)
        if secret is None or secret.deleted_at is None:
            return
        records.delete_secret(conn, secret.secret_id)
        self.publish(secret.account_id, secret.region, "EndSecretVersionDelete", secret.arn, conn=conn)

    # -- tags ------------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, request: Request) -> Result:
        new_tags = tags.checked(request["Tags"])
        ref_secret = self.load(
            ctx, request["SecretId"], "secretsmanager:TagResource", live=True, primary=True
        )
        ctx.authorize(
            "secretsmanager:TagResource",
            ref_secret.arn,
            resource_policy=ref_secret.resource_policy,
            resource_account=ref_secret.account_id,
            resource_tags=ref_secret.tag_map,
            request_tags=tags.as_map(new_tags),
        )
        with ctx.kernel.db.write() as conn:
            secret = records.by_id(conn, ref_secret.secret_id, for_update=True)
            if secret is None:
                raise invalid_request(
                    "You can't perform this operation on the secret because it was deleted."
                )
            records.update_secret(conn, secret.secret_id, tags=tags.merged(secret.tags, new_tags))
        self.sync_replicas(ctx, ref_secret.arn, {})
        return {}

    def untag_resource(self, ctx: RequestContext, request: Request) -> Result:
        keys = list(request["TagKeys"])
        ref_secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:UntagResource",
            context_keys={"aws:TagKeys": keys},
            live=True,
            primary=True,
        )
        with ctx.kernel.db.write() as conn:
            secret = records.by_id(conn, ref_secret.secret_id, for_update=True)
            if secret is None:
                raise invalid_request(
                    "You can't perform this operation on the secret because it was deleted."
                )
            records.update_secret(conn, secret.secret_id, tags=tags.without(secret.tags, keys))
        self.sync_replicas(ctx, ref_secret.arn, {})
        return {}


def _check_replica_request(ctx: RequestContext, request: Request, primary_arn: str) -> None:
    """CreateSecret with CrossAccountPrimaryARN: a valueless replica under a customer managed key,
    of a primary secret in another account of the same partition and region."""
    forbidden = [
        member
        for member in ("SecretString", "SecretBinary", "Description", "AddReplicaRegions", "Type")
        if request.get(member) is not None
    ]
    if forbidden:
        raise invalid_parameter(
            f"You can't include {', '.join(forbidden)} when you create a cross-account replica secret: "
            "its value and metadata come from the primary secret."
        )
    ref = parse_secret_id(primary_arn, ctx.account_id, ctx.region)
    if ref.arn is None:
        raise invalid_parameter("CrossAccountPrimaryARN must be the ARN of a secret.")
    if primary_arn.split(":")[1] != ctx.partition or ref.region != ctx.region:
        raise invalid_parameter(
            "The primary secret must be in the same Region and partition as the replica secret."
        )
    if ref.account == ctx.account_id:
        raise invalid_parameter(
            "The primary secret must be in a different account. To replicate within your account, "
            "use ReplicateSecretToRegions."
        )
    _check_replica_key(request.get("KmsKeyId") or "")


def _check_replica_key(key: str) -> None:
    if not key or key.removeprefix("arn:").endswith(_DEFAULT_ALIAS_NAME) or key == envelope.DEFAULT_KEY:
        raise invalid_parameter(
            "A cross-account replica secret must be encrypted with a customer managed KMS key: specify "
            "KmsKeyId. The AWS managed key aws/secretsmanager does not support cross-account access."
        )


class _Resealed:
    """A version re-encrypted under a new key, ready to be written."""

    def __init__(self, sealed: envelope.Sealed, is_binary: bool) -> None:
        self.kms_key_arn = sealed.kms_key_arn
        self.encrypted_data_key = sealed.encrypted_data_key
        self.ciphertext = sealed.ciphertext
        self.is_binary = is_binary
