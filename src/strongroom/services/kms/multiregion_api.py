"""Multi-Region keys: ReplicateKey and UpdatePrimaryRegion.

A multi-Region key (`mrk-` id, CreateKey MultiRegion=True) is one `kms_keys` row per Region with
the same key id. The replica gets the primary's shared properties (key spec, usage, origin,
rotation settings) and the same material versions under the same material ids, each sealed
under the replica's own ARN; its key policy, description, tags, aliases, grants and state are
its own. Because ciphertexts name the key id and material id and Decrypt resolves a KeyId-less
blob in the Region of the request, a blob made in one Region decrypts with the replica in any
other. Shared properties stay in step: rotation (`rotation.py`) changes every Region at once.

Replicas are Enabled at once (AWS shows a transient Creating state for a few seconds); a replica
of a key with imported material starts PendingImport with placeholders for each of the
primary's materials, to be imported again as EXISTING_KEY_MATERIAL.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Connection, update

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.core.scheduler import Scheduler
from strongroom.services.kms import policies, tags
from strongroom.services.kms.access import KEY_RESOURCE_TYPE, authorize_key, usable_key
from strongroom.services.kms.aws_managed import ROTATION_JOB
from strongroom.services.kms.import_api import add_placeholder
from strongroom.services.kms.imported_material import material_rows
from strongroom.services.kms.keys import (
    MATERIAL_PURPOSE,
    Key,
    ResolvedKey,
    add_material,
    count_keys,
    find_key,
    insert_key,
    key_arn,
    key_metadata,
    lock_key,
)
from strongroom.services.kms.keys_api import MAX_KEYS_PER_REGION, validated_policy
from strongroom.services.kms.rotation import job_key, related_keys
from strongroom.services.kms.rotation_api import own_key
from strongroom.services.kms.states import KeyState, check_state
from strongroom.services.kms.tables import kms_key_materials, kms_keys

Request = dict[str, Any]
Result = dict[str, Any]


def in_region(ctx: RequestContext, region: str) -> RequestContext:
    """The same caller and call, evaluated as if made in another Region (aws:RequestedRegion)."""
    return dataclasses.replace(ctx, region=region, audit_resources=ctx.audit_resources)


def require_primary(key: Key) -> None:
    if not key.multi_region:
        raise ServiceError("UnsupportedOperationException", f"{key.arn} is not a multi-Region key.")
    if key.multi_region_key_type != "PRIMARY":
        raise ServiceError("UnsupportedOperationException", f"{key.arn} is not a multi-Region primary key.")


class MultiRegionApi:
    """ReplicateKey, UpdatePrimaryRegion."""

    def replicate_key(self, ctx: RequestContext, request: Request) -> Result:
        primary = usable_key(ctx, request["KeyId"], "ReplicateKey").key
        own_key(ctx, primary)
        require_primary(primary)
        region: str = request["ReplicaRegion"]
        if region == primary.region:
            raise ValidationError(f"The replica Region must differ from the primary key's Region ({region}).")
        replica_ctx = in_region(ctx, region)
        arn = key_arn(primary.account_id, region, primary.key_id)
        new_tags = tags.requested(request.get("Tags"))
        # AWS: kms:CreateKey (and kms:TagResource for Tags) in IAM policies of the replica Region.
        replica_ctx.authorize(
            "kms:CreateKey",
            "*",
            request_tags=new_tags,
            context_keys={
                "kms:CallerAccount": ctx.account_id,
                "kms:KeySpec": primary.key_spec,
                "kms:KeyUsage": primary.key_usage,
                "kms:KeyOrigin": primary.origin,
                "kms:MultiRegion": True,
                "kms:MultiRegionKeyType": "REPLICA",
            },
        )
        if new_tags:
            replica_ctx.authorize("kms:TagResource", arn, request_tags=new_tags)
        policy = request.get("Policy")
        if policy is not None:
            validated_policy(
                replica_ctx, arn, ctx.account_id, policy, bool(request.get("BypassPolicyLockoutSafetyCheck"))
            )
        else:
            policy = policies.default_key_policy(ctx.account_id)
        now = ctx.now()
        with ctx.kernel.db.write() as conn:
            ctx.kernel.db.lock(conn, f"kms:keys:{ctx.account_id}:{region}")
            primary = lock_key(conn, primary)
            check_state("ReplicateKey", primary.state, primary.arn)  # scheduled for deletion meanwhile?
            existing = find_key(conn, primary.account_id, region, primary.key_id)
            if existing is not None:
                raise ServiceError(
                    "AlreadyExistsException",
                    f"Replica key {arn} already exists"
                    + (" and is pending deletion." if existing.state == KeyState.PENDING_DELETION else "."),
                )
            if count_keys(conn, ctx.account_id, region) >= MAX_KEYS_PER_REGION:
                raise ServiceError(
                    "LimitExceededException", f"Cannot exceed quota for KeysPerRegion: {MAX_KEYS_PER_REGION}"
                )
            replica = dataclasses.replace(
                primary,
                region=region,
                arn=arn,
                description=request.get("Description") or "",
                state=(KeyState.PENDING_IMPORT if primary.origin == "EXTERNAL" else KeyState.ENABLED).value,
                valid_to=None,
                created_at=now,
                deletion_date=None,
                pending_window_days=None,
                policy=policy,
                multi_region_key_type="REPLICA",
                primary_region=primary.region,
            )
            insert_key(conn, replica)
            self._copy_material(ctx, conn, primary, replica)
            tags.put(conn, replica, new_tags)
            metadata = key_metadata(conn, replica)
        ctx.audit_resources.append((KEY_RESOURCE_TYPE, arn))
        return {
            "ReplicaKeyMetadata": metadata,
            "ReplicaPolicy": policy,
            "ReplicaTags": tags.as_list(new_tags),
        }

    @staticmethod
    def _copy_material(ctx: RequestContext, conn: Connection, primary: Key, replica: Key) -> None:
        """The primary's material versions, same ids, resealed under the replica's ARN."""
        root = ctx.kernel.root
        external = primary.origin == "EXTERNAL"
        for row in material_rows(conn, primary):
            if external:
                add_placeholder(
                    conn,
                    ctx,
                    replica,
                    row.material_id,
                    current=row.current,
                    material_state=row.material_state or "CURRENT",
                )
                continue
            secret = root.open(row.sealed, purpose=MATERIAL_PURPOSE, record=f"{primary.arn}#{row.version}")
            add_material(
                conn,
                root,
                replica,
                secret,
                now=row.created_at,
                origin=row.origin,
                public_key=row.public_key,
                rotation_type=row.rotation_type,
                material_id=bytes.fromhex(row.material_id),
                make_current=row.current,
            )
        if not external:
            # add_material marks older versions NON_CURRENT; keep the primary's own labels.
            for row in material_rows(conn, primary):
                conn.execute(
                    update(kms_key_materials)
                    .where(
                        kms_key_materials.c.account_id == replica.account_id,
                        kms_key_materials.c.region == replica.region,
                        kms_key_materials.c.key_id == replica.key_id,
                        kms_key_materials.c.material_id == row.material_id,
                    )
                    .values(
                        current=row.current, material_state=row.material_state, description=row.description
                    )
                )

    def update_primary_region(self, ctx: RequestContext, request: Request) -> Result:
        primary = usable_key(ctx, request["KeyId"], "UpdatePrimaryRegion").key
        own_key(ctx, primary)
        require_primary(primary)
        region: str = request["PrimaryRegion"]
        with ctx.kernel.db.read() as conn:
            target = find_key(conn, primary.account_id, region, primary.key_id)
        if target is None or target.multi_region_key_type != "REPLICA":
            raise ServiceError(
                "NotFoundException",
                f"Key '{key_arn(primary.account_id, region, primary.key_id)}' does not exist",
            )
        # AWS: kms:UpdatePrimaryRegion on the replica too, under its own key policy, in its Region.
        authorize_key(in_region(ctx, region), ResolvedKey(target), "UpdatePrimaryRegion")
        check_state("UpdatePrimaryRegion", target.state, target.arn)
        with ctx.kernel.db.write() as conn:
            primary = lock_key(conn, primary)
            for copy in related_keys(conn, primary):
                conn.execute(
                    update(kms_keys)
                    .where(
                        kms_keys.c.account_id == copy.account_id,
                        kms_keys.c.region == copy.region,
                        kms_keys.c.key_id == copy.key_id,
                    )
                    .values(
                        multi_region_key_type="PRIMARY" if copy.region == region else "REPLICA",
                        primary_region=region,
                    )
                )
            Scheduler.cancel(conn, ROTATION_JOB, job_key(primary))
            if primary.rotation_enabled and primary.next_rotation_at is not None:
                Scheduler.schedule(conn, ROTATION_JOB, job_key(target), primary.next_rotation_at)
        ctx.audit_resources.append((KEY_RESOURCE_TYPE, target.arn))
        return {}
