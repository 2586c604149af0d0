"""Replication to other regions: ReplicateSecretToRegions, RemoveRegionsFromReplication,
StopReplicationToReplica, and keeping replicas in step with their primary.

A replica is a secret of its own in its region: the primary's name and ARN suffix, its versions
re-encrypted under a KMS key of that region (the replica's KmsKeyId or that region's
aws/secretsmanager) with the replica's ARN in the encryption context. It answers reads in its
region, refuses writes, and follows every change of its primary (values, labels, description,
tags, resource policy). The primary's `replicas` list holds each region's status.
"""

from __future__ import annotations

import uuid
from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AWSError
from strongroom.services.secretsmanager import envelope, records
from strongroom.services.secretsmanager.base import Request, Result, replication_status
from strongroom.services.secretsmanager.errors import invalid_parameter, invalid_request
from strongroom.services.secretsmanager.names import SecretRef, in_region
from strongroom.services.secretsmanager.records import Secret
from strongroom.services.secretsmanager.rotation_api import RotationApi

_IN_SYNC = "Replication succeeded"
_NAME_TAKEN = "Failed to replicate secret: a secret with this name already exists in this region."
Plaintexts = dict[str, tuple[bytes, bool]]


class ReplicationApi(RotationApi):
    """ReplicateSecretToRegions, RemoveRegionsFromReplication, StopReplicationToReplica."""

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
        sealed: dict[str, tuple[envelope.Sealed, bool]] = {}
        for version in primary_versions:
            if not version.has_value or version.version_id in replica_versions:
                continue
            try:
                if version.version_id in plaintexts:
                    plaintext, is_binary = plaintexts[version.version_id]
                else:
                    plaintext, is_binary = self.open(ctx, primary, version), version.is_binary
                sealed[version.version_id] = (
                    envelope.seal(
                        ctx,
                        key_id=kms_key,
                        arn=replica_arn,
                        version_id=version.version_id,
                        value=plaintext,
                        is_binary=is_binary,
                        region=region,
                    ),
                    is_binary,
                )
            except AWSError as error:
                raise _ReplicaFailed(f"Failed to replicate secret: {error.message}") from None
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
            labels = {s: v for s, v in current_primary.stage_map.items() if v in present & keep}
            records.apply_stages(conn, replica_id, before, labels)

    def sync_replicas(self, ctx: RequestContext, primary_arn: str, plaintexts: Plaintexts) -> None:
        with ctx.kernel.db.read() as conn:
            primary = records.by_arn(conn, primary_arn)
        if primary is None or not primary.replicas:
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
        if not replica.is_replica:
            raise invalid_request("This secret is not a replica secret.")
        with ctx.kernel.db.write() as conn:
            records.update_secret(conn, replica.secret_id, primary_arn=None)
            primary = records.by_arn(conn, replica.primary_arn or "", for_update=True)
            if primary is not None:
                remaining = [r for r in primary.replicas if r["Region"] != replica.region]
                records.update_secret(conn, primary.secret_id, replicas=remaining)
        return {"ARN": replica.arn}


class _ReplicaFailed(Exception):
    """A replica could not be written; the message goes into its StatusMessage."""
