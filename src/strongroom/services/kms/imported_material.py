"""Imported key material: its id, what a key spec accepts, expiry and deletion.

The id of imported material is derived from the key id and the material (HMAC-SHA256 keyed by
the key id), as AWS derives it: reimporting the same material gives the same id (which is how
"the same key material" is recognised without keeping any plaintext), a multi-Region replica
gets the same id as its primary, and the id tells nothing about the material.

Deleting or expiring material keeps its row (and its id, for reimport) but drops the sealed
bytes: the row's `import_state` becomes PENDING_IMPORT and the key's state PendingImport
(unless it is pending deletion), until the same material is imported again. Expiry is a
scheduler job (`kms/expire-key-material`, keyed ``<account>/<region>/<key id>/<material id>``)
due at the material's ValidTo.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from strongroom.aws.errors import ServiceError
from strongroom.core.crypto import RootOfTrust, canonical_aad
from strongroom.core.kernel import Kernel
from strongroom.core.scheduler import Job, Scheduler
from strongroom.services.kms import wrapping
from strongroom.services.kms.key_events import MATERIAL_EXPIRATION, publish_key_event
from strongroom.services.kms.keys import MATERIAL_PURPOSE, Key, find_key, update_key
from strongroom.services.kms.material import SPECS, public_key_of
from strongroom.services.kms.states import KeyState
from strongroom.services.kms.tables import kms_key_materials

EXPIRE_JOB = "kms/expire-key-material"
# AWS's accepted lengths of imported HMAC key material, in bytes.
HMAC_MATERIAL_BYTES = {
    "HMAC_224": (28, 64),
    "HMAC_256": (32, 64),
    "HMAC_384": (48, 128),
    "HMAC_512": (64, 128),
}
DELETED = b""
PENDING_ROTATION_STATES = (
    "PENDING_ROTATION",
    "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
)  # the `sealed` value of material that was deleted or expired


def material_id_of(key: Key, secret: bytes) -> bytes:
    return hmac.new(
        canonical_aad("strongroom kms imported key material id v1", key.key_id), secret, hashlib.sha256
    ).digest()


def incorrect_material(message: str = "") -> ServiceError:
    return ServiceError(
        "IncorrectKeyMaterialException",
        message
        or "The key material in the request is not the key material previously imported into this key.",
    )


def check_material(key: Key, secret: bytes) -> None:
    """Refuse material that a key of this spec cannot hold (ValidationException)."""
    if key.key_spec == "SYMMETRIC_DEFAULT":
        if len(secret) != 32:
            raise ServiceError(
                "ValidationException", "Imported symmetric key material must be 256 bits (32 bytes)."
            )
        return
    if key.key_spec in HMAC_MATERIAL_BYTES:
        low, high = HMAC_MATERIAL_BYTES[key.key_spec]
        if not low <= len(secret) <= high:
            raise ServiceError(
                "ValidationException",
                f"Imported {key.key_spec} key material must be {low} to {high} bytes long.",
            )
        return
    if SPECS[key.key_spec].symmetric_bytes is None:
        wrapping.check_imported_private_key(key.key_spec, secret)


def material_rows(conn: Connection, key: Key) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(kms_key_materials)
            .where(
                kms_key_materials.c.account_id == key.account_id,
                kms_key_materials.c.region == key.region,
                kms_key_materials.c.key_id == key.key_id,
            )
            .order_by(kms_key_materials.c.version)
        )
    )


def _where(key: Key, version: int) -> Any:
    return (
        (kms_key_materials.c.account_id == key.account_id)
        & (kms_key_materials.c.region == key.region)
        & (kms_key_materials.c.key_id == key.key_id)
        & (kms_key_materials.c.version == version)
    )


def expiry_job_key(key: Key, material_id: str) -> str:
    return f"{key.account_id}/{key.region}/{key.key_id}/{material_id}"


def restore(
    conn: Connection,
    root: RootOfTrust,
    key: Key,
    row: Row[Any],
    secret: bytes,
    *,
    valid_to: datetime | None,
    expiration_model: str,
    description: str | None,
) -> None:
    """Reimport material into an existing row (after deletion or expiry, or to change its expiry)."""
    values: dict[str, Any] = {
        "sealed": root.seal(secret, purpose=MATERIAL_PURPOSE, record=f"{key.arn}#{row.version}"),
        "import_state": "IMPORTED",
        "valid_to": valid_to,
        "expiration_model": expiration_model,
    }
    if row.public_key is None:  # a replica's placeholder learns its public key from the material
        values["public_key"] = public_key_of(key.key_spec, secret)
    if description is not None:
        values["description"] = description
    conn.execute(update(kms_key_materials).where(_where(key, row.version)).values(**values))
    schedule_expiry(conn, key, row.material_id, valid_to)


def schedule_expiry(conn: Connection, key: Key, material_id: str, valid_to: datetime | None) -> None:
    if valid_to is None:
        Scheduler.cancel(conn, EXPIRE_JOB, expiry_job_key(key, material_id))
    else:
        Scheduler.schedule(conn, EXPIRE_JOB, expiry_job_key(key, material_id), valid_to)


def drop_material(conn: Connection, key: Key, row: Row[Any]) -> None:
    """Delete the material of one row (kept as PENDING_IMPORT) and make the key PendingImport."""
    conn.execute(
        update(kms_key_materials)
        .where(_where(key, row.version))
        .values(sealed=DELETED, import_state="PENDING_IMPORT", valid_to=None)
    )
    Scheduler.cancel(conn, EXPIRE_JOB, expiry_job_key(key, row.material_id))
    refresh_key_state(conn, key)


def refresh_key_state(conn: Connection, key: Key) -> None:
    """The key's state and ValidTo/ExpirationModel from its material rows (PendingDeletion stays)."""
    current = find_key(conn, key.account_id, key.region, key.key_id)
    if current is None:
        return
    rows = material_rows(conn, current)
    # Material waiting to become current (imported for a coming on-demand rotation) does not
    # make the key unusable while it is missing.
    needed = [r for r in rows if r.material_state not in PENDING_ROTATION_STATES]
    complete = bool(needed) and all(r.import_state != "PENDING_IMPORT" for r in needed)
    values: dict[str, Any] = {}
    head = next((r for r in rows if r.current), None)
    values["valid_to"] = head.valid_to if head is not None and complete else None
    values["expiration_model"] = head.expiration_model if head is not None else None
    if current.state not in (KeyState.PENDING_DELETION, KeyState.PENDING_REPLICA_DELETION):
        if not complete:
            values["state"] = KeyState.PENDING_IMPORT.value
        elif current.state == KeyState.PENDING_IMPORT:
            values["state"] = KeyState.ENABLED.value
    update_key(conn, current, **values)


class MaterialExpiry:
    """The scheduler's handler for imported material reaching its ValidTo."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def expire_due_material(self, conn: Connection, job: Job) -> None:
        account_id, region, key_id, material_id = job.key.split("/", 3)
        key = find_key(conn, account_id, region, key_id)
        if key is None:
            return
        now = self.kernel.clock.now()
        for row in material_rows(conn, key):
            if row.material_id != material_id or row.import_state == "PENDING_IMPORT":
                continue
            if row.valid_to is not None and row.valid_to > now:
                schedule_expiry(conn, key, material_id, row.valid_to)  # reimported with a later date
                return
            drop_material(conn, key, row)
            publish_key_event(conn, self.kernel, key, MATERIAL_EXPIRATION)
