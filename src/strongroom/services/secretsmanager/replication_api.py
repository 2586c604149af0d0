"""Replication: to other regions (ReplicateSecretToRegions, RemoveRegionsFromReplication), to
another account (AssociateCrossAccountReplica, DisassociateCrossAccountReplica), promotion
(StopReplicationToReplica), and keeping replicas in step with their primary.

A region replica is a secret of its own in its region: the primary's name and ARN suffix, its
versions re-encrypted under a KMS key of that region (the replica's KmsKeyId or that region's
aws/secretsmanager) with the replica's ARN in the encryption context. It answers reads in its
region, refuses writes, and follows every change of its primary (values, labels, description,
tags, resource policy). The primary's `replicas` list holds each region's status.

A cross-account replica is a secret the other account created with `CrossAccountPrimaryARN`,
under a customer managed key of its own. Once the primary's account associates it, it follows
the primary's values, labels, description and type, and until it is Detached its own account
cannot set them (`SecretsBase.load(sets_value=True)`); its tags, resource policy, key and
lifecycle stay its own. Its managed `cross-account-replication` policy is in policies.py.
Its versions are re-encrypted by the identity AWS documents: the
replication role if one was given (assumed through STS by secretsmanager.amazonaws.com), else
the caller who changed the primary — kms:Decrypt on the primary's key, kms:Encrypt on the
replica's. Accounts on one Strongroom node form no organization (there is no Organizations
service), so `ReplicaRestriction` is accepted either way and the permission chain decides.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AccessDenied, AWSError
from strongroom.core.crypto.randomness import random_bytes
from strongroom.core.iam.principals import Principal, service_principal
from strongroom.services.secretsmanager import envelope, policies, records
from strongroom.services.secretsmanager.base import SERVICE_HOST, Request, Result, replication_status
from strongroom.services.secretsmanager.errors import (
    MARKED_FOR_DELETION,
    invalid_parameter,
    invalid_request,
    kms_access_denied,
    limit_exceeded,
    not_found,
)
from strongroom.services.secretsmanager.names import SecretRef, in_region, parse_secret_id
from strongroom.services.secretsmanager.records import DETACHED, Secret, Version
from strongroom.services.secretsmanager.rotation_api import RotationApi

_IN_SYNC = "Replication succeeded"
_NAME_TAKEN = "Failed to replicate secret: a secret with this name already exists in this region."
Plaintexts = dict[str, tuple[bytes, bool]]
Sealer = Callable[[str, bytes, bool], envelope.Sealed]

IN_SYNC, FAILED, PENDING = "InSync", "Failed", "Pending"
_ROLE_ARN = r"arn:aws[a-z-]*:iam::(\d{12}):role/.+"
_SESSION_NAME = "secretsmanager-replication"
_STOPPED_BY_PRIMARY = "Replication was stopped by the primary secret's account."
_STOPPED_BY_REPLICA = "Replication was stopped by the replica secret's account."
_KMS_INPUT_CODES = frozenset(
    {"NotFoundException", "ValidationException", "InvalidArnException", "InvalidKeyUsageException"}
)


class ReplicationApi(RotationApi):
    """ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica,
    AssociateCrossAccountReplica, DisassociateCrossAccountReplica."""

    def setup(self) -> None:
        super().setup()
        self._role_sessions: dict[str, tuple[datetime, Principal]] = {}

    # -- to other regions ------------------------------------------------------------------------

    def replicate_secret_to_regions(self, ctx: RequestContext, request: Request) -> Result:
        regions = request["AddReplicaRegions"]
        secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:ReplicateSecretToRegions",
            context_keys={"secretsmanager:AddReplicaRegions": [r.get("Region") for r in regions]},
            live=True,
            primary=True,
        )
        if secret.cross_account_primary is not None:
            raise invalid_request("You can't replicate a cross-account replica secret to other Regions.")
        status = self.replicate(
            ctx, secret.arn, regions, bool(request.get("ForceOverwriteReplicaSecret")), {}
        )
        return {"ARN": secret.arn, "ReplicationStatus": status}

    def replicate(
        self,
        ctx: RequestContext,
        primary_arn: str,
        regions: list[dict[str, Any]],
        force_overwrite: bool,
        plaintexts: Plaintexts,
    ) -> list[dict[str, Any]]:
        with ctx.kernel.db.read() as conn:
            primary = records.by_arn(conn, primary_arn)
        assert primary is not None
        known = {r["Region"] for r in primary.replicas}
        entries = list(primary.replicas)
        for item in regions:
            region = item.get("Region")
            if not region or region == primary.region:
                raise invalid_parameter(f"Invalid replica region: {region}")
            if region in known:
                continue
            entry: dict[str, Any] = {
                "Region": region,
                "KmsKeyId": item.get("KmsKeyId") or envelope.DEFAULT_KEY,
            }
            try:
                self._write_replica(
                    ctx, primary, region, item.get("KmsKeyId") or None, plaintexts, force_overwrite
                )
                entry.update(Status="InSync", StatusMessage=_IN_SYNC)
            except _ReplicaFailed as failure:
                entry.update(Status="Failed", StatusMessage=str(failure))
            entries.append(entry)
            known.add(region)
        with ctx.kernel.db.write() as conn:
            records.update_secret(conn, primary.secret_id, replicas=entries)
        primary.replicas = entries
        return replication_status(primary)

    def _write_replica(
        self,
        ctx: RequestContext,
        primary: Secret,
        region: str,
        kms_key: str | None,
        plaintexts: Plaintexts,
        force_overwrite: bool,
    ) -> None:
        """Create or refresh the replica in `region` from the primary's current state."""
        replica_arn = in_region(primary.arn, region)
        with ctx.kernel.db.read() as conn:
            existing = records.by_arn(conn, replica_arn)
            by_name = records.find(conn, SecretRef(primary.account_id, region, None, primary.name))
            primary_versions = records.all_versions(conn, primary.secret_id)
            replica_versions = (
                {v.version_id for v in records.all_versions(conn, existing.secret_id)} if existing else set()
            )
        if by_name is not None and by_name.arn != replica_arn and not force_overwrite:
            raise _ReplicaFailed(_NAME_TAKEN)
        if existing is not None:
            kms_key = existing.kms_key_id

        def seal(version_id: str, plaintext: bytes, is_binary: bool) -> envelope.Sealed:
            return envelope.seal(
                ctx,
                key_id=kms_key,
                arn=replica_arn,
                version_id=version_id,
                value=plaintext,
                is_binary=is_binary,
                region=region,
            )

        sealed = self._reseal(ctx, primary, primary_versions, replica_versions, plaintexts, seal)
        now = ctx.now()
        with ctx.kernel.db.write() as conn:
            if by_name is not None and by_name.arn != replica_arn:
                records.delete_secret(conn, by_name.secret_id)
            replica = records.by_arn(conn, replica_arn, for_update=True)
            current_primary = records.by_id(conn, primary.secret_id)
            if current_primary is None:
                return
            metadata = {
                "description": current_primary.description,
                "tags": current_primary.tags,
                "resource_policy": current_primary.resource_policy,
                "secret_type": current_primary.secret_type,
                "last_changed_at": now,
                "last_rotated_at": current_primary.last_rotated_at,
            }
            if replica is None:
                replica_id = str(uuid.uuid4())
                records.insert_secret(
                    conn,
                    secret_id=replica_id,
                    account_id=primary.account_id,
                    region=region,
                    name=primary.name,
                    arn=replica_arn,
                    kms_key_id=kms_key,
                    created_at=now,
                    rotation_enabled=False,
                    replicas=[],
                    primary_arn=primary.arn,
                    **metadata,
                )
                before: dict[str, str] = {}
            else:
                replica_id = replica.secret_id
                records.update_secret(conn, replica_id, **metadata)
                before = replica.stage_map
            _mirror_versions(conn, replica_id, primary_versions, sealed, current_primary.stage_map, before)

    def _reseal(
        self,
        ctx: RequestContext,
        primary: Secret,
        primary_versions: list[Version],
        present: set[str],
        plaintexts: Plaintexts,
        seal: Sealer,
    ) -> dict[str, tuple[envelope.Sealed, bool]]:
        """Every primary version the replica lacks, opened as `ctx` and sealed for the replica."""
        sealed: dict[str, tuple[envelope.Sealed, bool]] = {}
        for version in primary_versions:
            if not version.has_value or version.version_id in present:
                continue
            try:
                if version.version_id in plaintexts:
                    plaintext, is_binary = plaintexts[version.version_id]
                else:
                    plaintext, is_binary = self.open(ctx, primary, version), version.is_binary
                sealed[version.version_id] = (seal(version.version_id, plaintext, is_binary), is_binary)
            except AWSError as error:
                raise _ReplicaFailed(f"Failed to replicate secret: {error.message}") from None
        return sealed

    def sync_replicas(self, ctx: RequestContext, primary_arn: str, plaintexts: Plaintexts) -> None:
        with ctx.kernel.db.read() as conn:
            primary = records.by_arn(conn, primary_arn)
        if primary is None:
            return
        self._sync_cross_account(ctx, primary, plaintexts)
        if not primary.replicas:
            return
        entries = []
        for entry in primary.replicas:
            entry = dict(entry)
            try:
                self._write_replica(ctx, primary, entry["Region"], None, plaintexts, force_overwrite=False)
                entry.update(Status="InSync", StatusMessage=_IN_SYNC)
            except _ReplicaFailed as failure:
                entry.update(Status="Failed", StatusMessage=str(failure))
            entries.append(entry)
        with ctx.kernel.db.write() as conn:
            records.update_secret(conn, primary.secret_id, replicas=entries)

    def remove_regions_from_replication(self, ctx: RequestContext, request: Request) -> Result:
        regions = list(request["RemoveReplicaRegions"])
        secret = self.load(
            ctx, request["SecretId"], "secretsmanager:RemoveRegionsFromReplication", primary=True
        )
        known = {r["Region"] for r in secret.replicas}
        for region in regions:
            if region not in known:
                raise invalid_parameter(f"Region {region} is not a replica region of this secret.")
        with ctx.kernel.db.write() as conn:
            for region in regions:
                replica = records.by_arn(conn, in_region(secret.arn, region), for_update=True)
                if replica is not None and replica.primary_arn == secret.arn:
                    records.delete_secret(conn, replica.secret_id)
            remaining = [r for r in secret.replicas if r["Region"] not in regions]
            records.update_secret(conn, secret.secret_id, replicas=remaining)
        secret.replicas = remaining
        return {"ARN": secret.arn, "ReplicationStatus": replication_status(secret)}

    def stop_replication_to_replica(self, ctx: RequestContext, request: Request) -> Result:
        replica = self.load(ctx, request["SecretId"], "secretsmanager:StopReplicationToReplica")
        if replica.cross_account_primary is not None:
            return self._stop_cross_account(ctx, replica)
        if not replica.is_replica:
            raise invalid_request("This secret is not a replica secret.")
        with ctx.kernel.db.write() as conn:
            records.update_secret(conn, replica.secret_id, primary_arn=None)
            primary = records.by_arn(conn, replica.primary_arn or "", for_update=True)
            if primary is not None:
                remaining = [r for r in primary.replicas if r["Region"] != replica.region]
                records.update_secret(conn, primary.secret_id, replicas=remaining)
        return {"ARN": replica.arn}

    # -- to another account ----------------------------------------------------------------------

    def associate_cross_account_replica(self, ctx: RequestContext, request: Request) -> Result:
        primary = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:AssociateCrossAccountReplica",
            live=True,
            primary=True,
        )
        if primary.cross_account_primary is not None:
            raise invalid_request("You can't replicate a cross-account replica secret to another account.")
        self.authorize_secret(ctx, "secretsmanager:GetSecretValue", primary)
        ref = _replica_ref(request["CrossAccountReplicaARN"], primary)
        role_arn = request.get("ReplicationRoleARN") or None
        if role_arn is not None:
            _check_role(ctx, role_arn, primary.account_id)
        replica = self._accepting_replica(ctx, ref, primary)
        taken = [
            e["ReplicaSecretARN"]
            for e in primary.cross_account_replicas
            if e["ReplicaSecretARN"] != replica.arn and e["ReplicationStatus"] != DETACHED
        ]
        if taken:
            raise limit_exceeded(
                f"A primary secret can have at most one cross-account replica; {primary.name} already "
                f"replicates to {taken[0]}."
            )
        acting = self._replication_context(ctx, role_arn, primary)
        self._dry_run(acting, primary, replica)
        try:
            self._write_cross_account(acting, primary, replica.arn, {})
        except _ReplicaFailed as failure:
            raise invalid_request(str(failure)) from None
        entry: dict[str, Any] = {"ReplicaSecretARN": replica.arn}
        if role_arn is not None:
            entry["ReplicationRoleARN"] = role_arn
        entry.update(ReplicationStatus=IN_SYNC, StatusMessage=_IN_SYNC)
        with ctx.kernel.db.write() as conn:
            current = records.by_id(conn, primary.secret_id, for_update=True)
            if current is None or current.deleted_at is not None:
                raise invalid_request(MARKED_FOR_DELETION)
            others = [e for e in current.cross_account_replicas if e["ReplicaSecretARN"] != replica.arn]
            if any(e["ReplicationStatus"] != DETACHED for e in others):
                raise limit_exceeded("A primary secret can have at most one cross-account replica.")
            records.update_secret(conn, primary.secret_id, cross_account_replicas=[entry])
        return {"ARN": primary.arn, "CrossAccountReplicaARN": replica.arn, "ReplicationStatus": IN_SYNC}

    def disassociate_cross_account_replica(self, ctx: RequestContext, request: Request) -> Result:
        primary = self.load(ctx, request["SecretId"], "secretsmanager:DisassociateCrossAccountReplica")
        ref = _replica_ref(request["CrossAccountReplicaARN"], primary)
        entry = _entry_for(primary, ref)
        if entry is None:
            raise not_found("Secrets Manager can't find the specified cross-account replica of this secret.")
        replica_arn = entry["ReplicaSecretARN"]
        with ctx.kernel.db.write() as conn:
            current = records.by_id(conn, primary.secret_id, for_update=True)
            if current is None:
                raise not_found()
            remaining = [e for e in current.cross_account_replicas if e["ReplicaSecretARN"] != replica_arn]
            records.update_secret(conn, primary.secret_id, cross_account_replicas=remaining)
            replica = records.by_arn(conn, replica_arn, for_update=True)
            if replica is not None and replica.cross_account_primary_arn == primary.arn:
                records.update_secret(
                    conn,
                    replica.secret_id,
                    cross_account_primary=_primary_status(primary.arn, DETACHED, _STOPPED_BY_PRIMARY),
                )
        return {"ARN": primary.arn, "CrossAccountReplicaARN": replica_arn}

    def _stop_cross_account(self, ctx: RequestContext, replica: Secret) -> Result:
        """Promote a cross-account replica to a standalone secret; the primary sees it Detached."""
        # AWS removes the managed cross-account-replication policy, hence this permission too.
        self.authorize_secret(
            ctx,
            "secretsmanager:DeleteResourcePolicy",
            replica,
            {"secretsmanager:PolicyName": policies.REPLICATION_POLICY},
        )
        with ctx.kernel.db.write() as conn:
            records.update_secret(conn, replica.secret_id, cross_account_primary=None)
            primary = records.by_arn(conn, replica.cross_account_primary_arn or "", for_update=True)
            if primary is not None:
                entries = [
                    _entry_status(e, DETACHED, _STOPPED_BY_REPLICA)
                    if e["ReplicaSecretARN"] == replica.arn
                    else e
                    for e in primary.cross_account_replicas
                ]
                records.update_secret(conn, primary.secret_id, cross_account_replicas=entries)
        return {"ARN": replica.arn}

    def _accepting_replica(self, ctx: RequestContext, ref: SecretRef, primary: Secret) -> Secret:
        """The replica, once the caller may AcceptCrossAccountReplication on it (as on AWS, the
        caller's identity acts on the replica; its managed policy names the primary's account)."""
        action = "secretsmanager:AcceptCrossAccountReplication"
        with ctx.kernel.db.read() as conn:
            replica = records.find(conn, ref)
        if replica is None:
            assert ref.arn is not None
            ctx.authorize(action, ref.arn, context_keys={"secretsmanager:SecretId": ref.arn})
            raise not_found("Secrets Manager can't find the specified cross-account replica secret.")
        keys: dict[str, Any] = {"secretsmanager:SecretId": replica.arn}
        for key, value in replica.tag_map.items():
            keys[f"secretsmanager:ResourceTag/{key}"] = value
        ctx.authorize(
            action,
            replica.arn,
            resource_policy=policies.with_replication_policy(replica),
            resource_account=replica.account_id,
            resource_tags=replica.tag_map,
            context_keys=keys,
        )
        ctx.audit_resources.append(("AWS::SecretsManager::Secret", replica.arn))
        if replica.cross_account_primary_arn != primary.arn:
            raise invalid_request(
                "The replica secret was not created as a cross-account replica of this primary secret. "
                "Create it with CreateSecret and CrossAccountPrimaryARN set to the primary secret's ARN."
            )
        if replica.deleted_at is not None:
            raise invalid_request(MARKED_FOR_DELETION)
        return replica

    def _replication_context(
        self, ctx: RequestContext, role_arn: str | None, primary: Secret
    ) -> RequestContext:
        """Who replicates: the replication role's session, or (no role) the caller itself."""
        if role_arn is None:
            return ctx
        now = ctx.now()
        cached = self._role_sessions.get(role_arn)
        if cached is None or cached[0] - now < timedelta(minutes=5):
            service = self.service_context(primary.account_id, primary.region, "AssumeRole")
            service.principal = service_principal(primary.account_id, SERVICE_HOST)
            try:
                issued = service.call(
                    "sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": _SESSION_NAME}
                )["Credentials"]
            except AWSError:
                code, status = ctx.access_denied
                raise AccessDenied(
                    f"Secrets Manager can't assume the replication role {role_arn}: its trust policy must "
                    f"allow {SERVICE_HOST} to call sts:AssumeRole.",
                    code=code,
                    status=status,
                ) from None
            resolved = ctx.kernel.credentials.resolve(issued["AccessKeyId"], issued["SessionToken"])
            cached = (issued["Expiration"], resolved.principal)
            self._role_sessions[role_arn] = cached
        acting = self.service_context(primary.account_id, primary.region, ctx.operation)
        acting.principal = cached[1]
        return acting

    def _dry_run(self, acting: RequestContext, primary: Secret, replica: Secret) -> None:
        """AWS's dry-run permission checks: kms:Decrypt on the primary's key, kms:Encrypt on the
        replica's, as the identity that will replicate."""
        current = primary.stage_map.get(records.CURRENT, "AWSCURRENT")
        with acting.kernel.db.read() as conn:
            version = records.version(conn, primary.secret_id, current)
        primary_key = (
            version.kms_key_arn
            if version is not None and version.kms_key_arn
            else primary.kms_key_id or envelope.DEFAULT_KEY
        )
        checks = (
            (
                "Decrypt",
                primary_key,
                {
                    "KeyId": primary_key,
                    "CiphertextBlob": b"\0",
                    "EncryptionContext": envelope.encryption_context(primary.arn, current),
                    "DryRun": True,
                    "DryRunModifiers": ["IGNORE_CIPHERTEXT"],
                },
            ),
            (
                "Encrypt",
                replica_key_arn(replica),
                {
                    "KeyId": replica_key_arn(replica),
                    "Plaintext": b"\0" * 32,
                    "EncryptionContext": envelope.encryption_context(replica.arn, current),
                    "DryRun": True,
                },
            ),
        )
        for operation, key, params in checks:
            try:
                acting.call("kms", operation, params)
            except AWSError as error:
                if error.code != "DryRunOperationException":
                    raise _kms_refusal(error, key) from None

    def _write_cross_account(
        self, acting: RequestContext, primary: Secret, replica_arn: str, plaintexts: Plaintexts
    ) -> None:
        """Bring the replica's versions, labels, description and type up to the primary's."""
        with acting.kernel.db.read() as conn:
            replica = records.by_arn(conn, replica_arn)
            if replica is None:
                raise _ReplicaFailed("Failed to replicate secret: the replica secret no longer exists.")
            primary_versions = records.all_versions(conn, primary.secret_id)
            present = {v.version_id for v in records.all_versions(conn, replica.secret_id)}
        key_arn = replica_key_arn(replica)

        def seal(version_id: str, plaintext: bytes, is_binary: bool) -> envelope.Sealed:
            return _seal_with_encrypt(acting, key_arn, replica_arn, version_id, plaintext, is_binary)

        sealed = self._reseal(acting, primary, primary_versions, present, plaintexts, seal)
        with acting.kernel.db.write() as conn:
            current = records.by_arn(conn, replica_arn, for_update=True)
            current_primary = records.by_id(conn, primary.secret_id)
            if current is None or current_primary is None or current.cross_account_primary_arn != primary.arn:
                raise _ReplicaFailed(
                    "Failed to replicate secret: the replica secret no longer replicates from this primary."
                )
            records.update_secret(
                conn,
                current.secret_id,
                description=current_primary.description,
                secret_type=current_primary.secret_type,
                last_changed_at=acting.now(),
                cross_account_primary=_primary_status(primary.arn, IN_SYNC, _IN_SYNC),
            )
            _mirror_versions(
                conn,
                current.secret_id,
                primary_versions,
                sealed,
                current_primary.stage_map,
                current.stage_map,
            )

    def _sync_cross_account(self, ctx: RequestContext, primary: Secret, plaintexts: Plaintexts) -> None:
        """Follow a change of the primary into its associated cross-account replica; a failure
        becomes the replication status on both sides, never the caller's error."""
        for entry in primary.cross_account_replicas:
            if entry["ReplicationStatus"] == DETACHED:
                continue
            replica_arn = entry["ReplicaSecretARN"]
            try:
                acting = self._replication_context(ctx, entry.get("ReplicationRoleARN"), primary)
                self._write_cross_account(acting, primary, replica_arn, plaintexts)
                status, message = IN_SYNC, _IN_SYNC
            except _ReplicaFailed as failure:
                status, message = FAILED, str(failure)
            except AWSError as error:
                status, message = FAILED, f"Failed to replicate secret: {error.message}"
            with ctx.kernel.db.write() as conn:
                current = records.by_id(conn, primary.secret_id, for_update=True)
                if current is None:
                    return
                entries = [
                    _entry_status(e, status, message)
                    if e["ReplicaSecretARN"] == replica_arn and e["ReplicationStatus"] != DETACHED
                    else e
                    for e in current.cross_account_replicas
                ]
                records.update_secret(conn, primary.secret_id, cross_account_replicas=entries)
                replica = records.by_arn(conn, replica_arn, for_update=True)
                if (
                    status == FAILED
                    and replica is not None
                    and replica.cross_account_primary_arn == primary.arn
                ):
                    records.update_secret(
                        conn,
                        replica.secret_id,
                        cross_account_primary=_primary_status(primary.arn, FAILED, message),
                    )


# -- pieces both kinds of replication share --------------------------------------------------------


def _mirror_versions(
    conn: Connection,
    replica_id: str,
    primary_versions: list[Version],
    sealed: dict[str, tuple[envelope.Sealed, bool]],
    primary_stages: dict[str, str],
    replica_stages: dict[str, str],
) -> None:
    """Write the newly sealed versions, drop those the primary no longer has, copy its labels."""
    keep = {v.version_id for v in primary_versions}
    for version in primary_versions:
        if version.version_id not in sealed:
            continue
        seal, is_binary = sealed[version.version_id]
        records.insert_version(
            conn,
            replica_id,
            version.version_id,
            version.created_at,
            kms_key_arn=seal.kms_key_arn,
            encrypted_data_key=seal.encrypted_data_key,
            ciphertext=seal.ciphertext,
            is_binary=is_binary,
        )
    present = {v.version_id for v in records.all_versions(conn, replica_id)}
    for version_id in present - keep:
        records.delete_version(conn, replica_id, version_id)
    labels = {s: v for s, v in primary_stages.items() if v in present & keep}
    records.apply_stages(conn, replica_id, replica_stages, labels)


# -- cross-account pieces ----------------------------------------------------------------------------


def replica_key_arn(replica: Secret) -> str:
    """The replica's KMS key as an ARN: the primary's account can only name it that way."""
    key = replica.kms_key_id or envelope.DEFAULT_KEY
    if key.startswith("arn:"):
        return key
    resource = key if key.startswith("alias/") else f"key/{key}"
    partition = replica.arn.split(":")[1]
    return f"arn:{partition}:kms:{replica.region}:{replica.account_id}:{resource}"


def _seal_with_encrypt(
    ctx: RequestContext, key_arn: str, arn: str, version_id: str, value: bytes, is_binary: bool
) -> envelope.Sealed:
    """Seal as AWS does for a cross-account replica: a fresh data key encrypted under the
    replica's key with kms:Encrypt, the permission AWS documents for the replica's key."""
    data_key = random_bytes(32)
    result = ctx.call(
        "kms",
        "Encrypt",
        {
            "KeyId": key_arn,
            "Plaintext": data_key,
            "EncryptionContext": envelope.encryption_context(arn, version_id),
        },
    )
    ciphertext = envelope.encrypt_value(
        data_key, arn=arn, version_id=version_id, value=value, is_binary=is_binary
    )
    return envelope.Sealed(str(result["KeyId"]), bytes(result["CiphertextBlob"]), ciphertext)


def _replica_ref(replica_arn: str, primary: Secret) -> SecretRef:
    """The replica a CrossAccountReplicaARN names: a secret ARN of another account in the
    primary's partition and region."""
    ref = parse_secret_id(replica_arn, primary.account_id, primary.region)
    if ref.arn is None:
        raise invalid_parameter("CrossAccountReplicaARN must be the ARN of a secret.")
    if replica_arn.split(":")[1] != primary.arn.split(":")[1] or ref.region != primary.region:
        raise invalid_parameter(
            "The replica secret must be in the same Region and partition as the primary secret."
        )
    if ref.account == primary.account_id:
        raise invalid_parameter(
            "The replica secret must be in a different account from the primary secret. To replicate "
            "within your account, use ReplicateSecretToRegions."
        )
    return ref


def _check_role(ctx: RequestContext, role_arn: str, account: str) -> None:
    match = re.fullmatch(_ROLE_ARN, role_arn)
    if match is None or match.group(1) != account:
        raise invalid_parameter(
            "ReplicationRoleARN must be the ARN of an IAM role in the primary secret's account."
        )
    ctx.authorize("iam:PassRole", role_arn, context_keys={"iam:PassedToService": SERVICE_HOST})


def _entry_for(primary: Secret, ref: SecretRef) -> dict[str, Any] | None:
    """The primary's entry for the replica a full or partial ARN names."""
    assert ref.arn is not None
    for entry in primary.cross_account_replicas:
        arn = entry["ReplicaSecretARN"]
        if arn == ref.arn or arn.rsplit("-", 1)[0] == ref.arn:
            return entry
    return None


def _primary_status(primary_arn: str, status: str, message: str) -> dict[str, Any]:
    return {"PrimarySecretARN": primary_arn, "ReplicationStatus": status, "StatusMessage": message}


def _entry_status(entry: dict[str, Any], status: str, message: str) -> dict[str, Any]:
    return {**entry, "ReplicationStatus": status, "StatusMessage": message}


def _kms_refusal(error: AWSError, key: str) -> AWSError:
    if error.code == "AccessDeniedException":
        return kms_access_denied()
    if error.status >= 500:
        return error
    if error.code in _KMS_INPUT_CODES:
        return invalid_parameter(
            f"The KMS key {key} can't be used for cross-account replication: {error.message}"
        )
    return invalid_request(f"The KMS key {key} can't be used for cross-account replication: {error.message}")


class _ReplicaFailed(Exception):
    """A replica could not be written; the message goes into its StatusMessage."""
