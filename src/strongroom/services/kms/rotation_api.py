"""Key rotation: Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError
from strongroom.core.scheduler import Scheduler
from strongroom.services.kms import pagination
from strongroom.services.kms.access import usable_key
from strongroom.services.kms.keys import Key, lock_key, not_found_key
from strongroom.services.kms.rotation import (
    DEFAULT_PERIOD_DAYS,
    MAX_ON_DEMAND_ROTATIONS,
    ON_DEMAND_JOB,
    job_key,
    last_rotation_at,
    on_demand_rotations,
    on_demand_started_at,
    primary_of,
    set_rotation,
)
from strongroom.services.kms.states import KeyState, check_state
from strongroom.services.kms.tables import kms_key_materials

Request = dict[str, Any]
Result = dict[str, Any]


def unsupported(message: str) -> ServiceError:
    return ServiceError("UnsupportedOperationException", message)


def own_key(ctx: RequestContext, key: Key) -> None:
    """Operations AWS allows only on keys of the caller's own account."""
    if key.account_id != ctx.account_id:
        raise not_found_key(key.arn)


def require_symmetric(key: Key, operation: str) -> None:
    if not key.symmetric:
        raise unsupported(f"{key.arn} is not a symmetric encryption key: {operation} is not supported.")


def require_rotatable(key: Key, operation: str) -> None:
    """What AWS checks before changing a key's rotation: a customer key of its own making, the primary."""
    require_symmetric(key, operation)
    if key.key_manager != "CUSTOMER":
        raise unsupported(f"{key.arn} is an AWS managed key: KMS rotates it every year.")
    if key.multi_region_key_type == "REPLICA":
        raise unsupported(
            f"{key.arn} is a multi-Region replica key: rotation is a shared property set on its primary key."
        )


class RotationApi:
    """EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations."""

    def enable_key_rotation(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "EnableKeyRotation").key
        own_key(ctx, key)
        require_rotatable(key, "EnableKeyRotation")
        if key.origin != "AWS_KMS":
            raise unsupported(
                f"{key.arn} has {key.origin} key material: automatic rotation is not supported."
            )
        period = int(request.get("RotationPeriodInDays") or DEFAULT_PERIOD_DAYS)
        now = ctx.now()
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, key)
            check_state("EnableKeyRotation", key.state, key.arn)
            if key.rotation_enabled:
                # A new period counts from the latest rotation (or the key's creation), as in AWS.
                next_at = max(last_rotation_at(conn, key) + timedelta(days=period), now)
            else:
                next_at = now + timedelta(days=period)
            set_rotation(conn, key, enabled=True, period_days=period, next_at=next_at)
        return {}

    def disable_key_rotation(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "DisableKeyRotation").key
        own_key(ctx, key)
        require_rotatable(key, "DisableKeyRotation")
        if key.origin != "AWS_KMS":
            raise unsupported(
                f"{key.arn} has {key.origin} key material: automatic rotation is not supported."
            )
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, key)
            check_state("DisableKeyRotation", key.state, key.arn)
            set_rotation(conn, key, enabled=False, period_days=None, next_at=None)
        return {}

    def get_key_rotation_status(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "GetKeyRotationStatus").key
        require_symmetric(key, "GetKeyRotationStatus")
        with ctx.kernel.db.read() as conn:
            started = on_demand_started_at(conn, key)
        # A key pending deletion reports rotation off; cancelling the deletion brings it back.
        enabled = key.rotation_enabled and key.state != KeyState.PENDING_DELETION
        result: Result = {"KeyRotationEnabled": enabled, "KeyId": key.arn}
        if enabled:
            result["RotationPeriodInDays"] = key.rotation_period_days or DEFAULT_PERIOD_DAYS
            if key.next_rotation_at is not None:
                result["NextRotationDate"] = key.next_rotation_at
        if started is not None:
            result["OnDemandRotationStartDate"] = started
        return result

    def rotate_key_on_demand(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "RotateKeyOnDemand").key
        own_key(ctx, key)
        require_rotatable(key, "RotateKeyOnDemand")
        now = ctx.now()
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, key)
            check_state("RotateKeyOnDemand", key.state, key.arn)
            if on_demand_started_at(conn, key) is not None:
                raise ServiceError("ConflictException", f"An on-demand rotation of {key.arn} is in progress.")
            if on_demand_rotations(conn, key) >= MAX_ON_DEMAND_ROTATIONS:
                raise ServiceError(
                    "LimitExceededException",
                    f"{key.arn} has reached the maximum of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.",
                )
            if key.origin == "EXTERNAL" and not _has_pending_rotation(conn, key):
                raise ServiceError(
                    "KMSInvalidStateException",
                    f"{key.arn} has no imported key material in PENDING_ROTATION state to rotate to.",
                )
            Scheduler.schedule(
                conn, ON_DEMAND_JOB, job_key(primary_of(conn, key)), now, {"requested_at": now.isoformat()}
            )
        return {"KeyId": key.arn}

    def list_key_rotations(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "ListKeyRotations").key
        own_key(ctx, key)
        require_symmetric(key, "ListKeyRotations")
        everything = request.get("IncludeKeyMaterial") == "ALL_KEY_MATERIAL"
        with ctx.kernel.db.read() as conn:
            rows = conn.execute(
                select(kms_key_materials)
                .where(
                    kms_key_materials.c.account_id == key.account_id,
                    kms_key_materials.c.region == key.region,
                    kms_key_materials.c.key_id == key.key_id,
                )
                .order_by(kms_key_materials.c.version)
            ).all()
        if not everything:
            rows = [r for r in rows if r.rotation_type is not None]
        chunk, more = pagination.page(rows, request)
        return {"Rotations": [_rotation_entry(key, row) for row in chunk], **more}


def _has_pending_rotation(conn: Any, key: Key) -> bool:
    return (
        conn.execute(
            select(kms_key_materials.c.version).where(
                kms_key_materials.c.account_id == key.account_id,
                kms_key_materials.c.region == key.region,
                kms_key_materials.c.key_id == key.key_id,
                kms_key_materials.c.material_state == "PENDING_ROTATION",
            )
        ).first()
        is not None
    )


def _rotation_entry(key: Key, row: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"KeyId": key.key_id, "KeyMaterialId": row.material_id}
    if row.description:
        entry["KeyMaterialDescription"] = row.description
    if key.origin == "EXTERNAL":
        entry["ImportState"] = row.import_state or "IMPORTED"
        if row.expiration_model:
            entry["ExpirationModel"] = row.expiration_model
        if row.valid_to is not None:
            entry["ValidTo"] = row.valid_to
    entry["KeyMaterialState"] = row.material_state or ("CURRENT" if row.current else "NON_CURRENT")
    if row.rotation_type is not None:
        entry["RotationDate"] = row.created_at
        entry["RotationType"] = row.rotation_type
    return entry
