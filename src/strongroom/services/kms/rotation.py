"""Key rotation: new key material on schedule or on demand, old material kept for decryption.

A rotation adds a material version that becomes current (`keys.add_material`); ciphertexts name
the material that made them, so every earlier version keeps decrypting. A multi-Region key
rotates as one: its primary and every replica get the same new material under the same
material id (each sealed under its own ARN), so a blob made in one Region opens in the others.

Automatic rotation is a scheduler job (`kms/rotate-key`, keyed ``<account>/<region>/<key id>``
of the primary key) due at the key's next rotation date. When the business clock jumps past
several periods at once the job catches up, rotating once per elapsed period and dating each
rotation when it was due, as AWS would have. A key that is not Enabled does not rotate; its job
looks again a day later, so a re-enabled key whose rotation is overdue rotates within a day
(AWS: "immediately") and then keeps its period.

On-demand rotation (`kms/rotate-key-on-demand`) is asynchronous as in AWS: RotateKeyOnDemand
leaves a job due at once, GetKeyRotationStatus shows its OnDemandRotationStartDate until the
scheduler has run it, and a second request meanwhile is a ConflictException.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, func, select, update

from strongroom.core.crypto import RootOfTrust
from strongroom.core.kernel import Kernel
from strongroom.core.scheduler import Job, Scheduler, scheduler_jobs
from strongroom.services.kms.aws_managed import ROTATION_JOB
from strongroom.services.kms.key_events import ROTATION, publish_key_event
from strongroom.services.kms.keys import Key, add_material, find_key
from strongroom.services.kms.material import generate_key_material
from strongroom.services.kms.states import KeyState
from strongroom.services.kms.tables import kms_key_materials, kms_keys

ON_DEMAND_JOB = "kms/rotate-key-on-demand"
DEFAULT_PERIOD_DAYS = 365
MAX_ON_DEMAND_ROTATIONS = 25
RECHECK_DISABLED = timedelta(days=1)
MAX_CATCH_UP = 100  # rotations made in one pass after a long clock jump


def job_key(key: Key) -> str:
    return f"{key.account_id}/{key.region}/{key.key_id}"


def _split_job_key(value: str) -> tuple[str, str, str]:
    account_id, region, key_id = value.split("/", 2)
    return account_id, region, key_id


def related_keys(conn: Connection, key: Key) -> list[Key]:
    """The key and, for a multi-Region key, every other Region's copy (the primary first)."""
    if not key.multi_region:
        return [key]
    rows = conn.execute(
        select(kms_keys).where(kms_keys.c.account_id == key.account_id, kms_keys.c.key_id == key.key_id)
    ).all()
    keys = [Key.from_row(row) for row in rows]
    return sorted(keys, key=lambda k: (k.multi_region_key_type != "PRIMARY", k.region))


def primary_of(conn: Connection, key: Key) -> Key:
    if key.multi_region_key_type != "REPLICA":
        return key
    return next((k for k in related_keys(conn, key) if k.multi_region_key_type == "PRIMARY"), key)


def rotate(conn: Connection, root: RootOfTrust, key: Key, *, now: datetime, rotation_type: str) -> bytes:
    """New current material for `key` and all its replicas; returns the new material id."""
    secret = generate_key_material(key.key_spec)
    material_id = os.urandom(32)
    for copy in related_keys(conn, key):
        add_material(conn, root, copy, secret, now=now, rotation_type=rotation_type, material_id=material_id)
    return material_id


def set_rotation(
    conn: Connection, key: Key, *, enabled: bool, period_days: int | None, next_at: datetime | None
) -> None:
    """Store the rotation settings on the key and its replicas (a shared property) and (re)schedule."""
    for copy in related_keys(conn, key):
        conn.execute(
            update(kms_keys)
            .where(
                kms_keys.c.account_id == copy.account_id,
                kms_keys.c.region == copy.region,
                kms_keys.c.key_id == copy.key_id,
            )
            .values(rotation_enabled=enabled, rotation_period_days=period_days, next_rotation_at=next_at)
        )
    primary = primary_of(conn, key)
    if enabled and next_at is not None:
        Scheduler.schedule(conn, ROTATION_JOB, job_key(primary), next_at)
    else:
        Scheduler.cancel(conn, ROTATION_JOB, job_key(primary))


def last_rotation_at(conn: Connection, key: Key) -> datetime:
    """When the key's current material was made (its creation when never rotated)."""
    value = conn.execute(
        select(func.max(kms_key_materials.c.created_at)).where(
            kms_key_materials.c.account_id == key.account_id,
            kms_key_materials.c.region == key.region,
            kms_key_materials.c.key_id == key.key_id,
        )
    ).scalar()
    return value if isinstance(value, datetime) else key.created_at


def on_demand_started_at(conn: Connection, key: Key) -> datetime | None:
    """When a still-pending on-demand rotation of the key was requested."""
    value = conn.execute(
        select(scheduler_jobs.c.due_at).where(
            and_(
                scheduler_jobs.c.kind == ON_DEMAND_JOB, scheduler_jobs.c.key == job_key(primary_of(conn, key))
            )
        )
    ).scalar()
    return value if isinstance(value, datetime) else None


def on_demand_rotations(conn: Connection, key: Key) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(kms_key_materials)
            .where(
                kms_key_materials.c.account_id == key.account_id,
                kms_key_materials.c.region == key.region,
                kms_key_materials.c.key_id == key.key_id,
                kms_key_materials.c.rotation_type == "ON_DEMAND",
            )
        ).scalar()
        or 0
    )


def promote_pending_material(conn: Connection, key: Key, now: datetime) -> bool:
    """Make imported material waiting in PENDING_ROTATION current, in every Region; False if none."""
    found = False
    for copy in related_keys(conn, key):
        where = (
            (kms_key_materials.c.account_id == copy.account_id)
            & (kms_key_materials.c.region == copy.region)
            & (kms_key_materials.c.key_id == copy.key_id)
        )
        pending = conn.execute(
            select(kms_key_materials.c.version)
            .where(where, kms_key_materials.c.material_state == "PENDING_ROTATION")
            .order_by(kms_key_materials.c.version)
        ).scalar()
        if pending is None:
            continue
        found = True
        conn.execute(update(kms_key_materials).where(where).values(current=False))
        conn.execute(
            update(kms_key_materials)
            .where(where, kms_key_materials.c.material_state == "CURRENT")
            .values(material_state="NON_CURRENT")
        )
        conn.execute(
            update(kms_key_materials)
            .where(where, kms_key_materials.c.version == pending)
            .values(current=True, material_state="CURRENT", rotation_type="ON_DEMAND", created_at=now)
        )
    return found


class RotationJobs:
    """The scheduler's handlers for automatic and on-demand rotation."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def register(self) -> None:
        self.kernel.scheduler.register(ROTATION_JOB, self.rotate_due_key)
        self.kernel.scheduler.register(ON_DEMAND_JOB, self.rotate_on_demand)

    def rotate_due_key(self, conn: Connection, job: Job) -> None:
        key = find_key(conn, *_split_job_key(job.key))
        if key is None or not key.rotation_enabled or key.multi_region_key_type == "REPLICA":
            return  # deleted, rotation disabled, or no longer the primary (its new primary has the job)
        now = self.kernel.clock.now()
        period = timedelta(days=key.rotation_period_days or DEFAULT_PERIOD_DAYS)
        due = key.next_rotation_at or now
        if due > now:
            Scheduler.schedule(conn, ROTATION_JOB, job.key, due)
            return
        if key.state != KeyState.ENABLED:
            Scheduler.schedule(conn, ROTATION_JOB, job.key, now + RECHECK_DISABLED, {"waited": True})
            return
        if job.payload.get("waited"):
            # Re-enabled after missing its date: one rotation now, then the period runs from here.
            self._rotate_automatically(conn, key, now)
            due = now + period
        else:
            rotations = 0
            while due <= now and rotations < MAX_CATCH_UP:
                self._rotate_automatically(conn, key, due)
                due += period
                rotations += 1
            if due <= now:
                due = now + period
        set_rotation(conn, key, enabled=True, period_days=key.rotation_period_days, next_at=due)

    def _rotate_automatically(self, conn: Connection, key: Key, at: datetime) -> None:
        rotate(conn, self.kernel.root, key, now=at, rotation_type="AUTOMATIC")
        for copy in related_keys(conn, key):
            publish_key_event(conn, self.kernel, copy, ROTATION)

    def rotate_on_demand(self, conn: Connection, job: Job) -> None:
        key = find_key(conn, *_split_job_key(job.key))
        if key is None or key.state != KeyState.ENABLED:
            return
        now = self.kernel.clock.now()
        if key.origin == "EXTERNAL":
            if not promote_pending_material(conn, key, now):
                return
        else:
            rotate(conn, self.kernel.root, key, now=now, rotation_type="ON_DEMAND")
        # "Whenever AWS KMS rotates key material, it sends a KMS CMK Rotation event" — on-demand too.
        for copy in related_keys(conn, key):
            publish_key_event(conn, self.kernel, copy, ROTATION)


def register_jobs(kernel: Kernel) -> None:
    """Every scheduled job of rotation, import expiry and multi-Region keys (called from KmsApi.setup)."""
    from strongroom.services.kms.imported_material import EXPIRE_JOB, MaterialExpiry

    RotationJobs(kernel).register()
    kernel.scheduler.register(EXPIRE_JOB, MaterialExpiry(kernel).expire_due_material)
