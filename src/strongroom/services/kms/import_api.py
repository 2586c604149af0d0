"""Imported key material: GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial.

Keys created with Origin EXTERNAL start PendingImport with no material. Symmetric keys may hold
several imported materials (a NEW_KEY_MATERIAL import waits in PENDING_ROTATION until
RotateKeyOnDemand makes it current); asymmetric and HMAC keys hold exactly one, imported once
and reimported as the same. A multi-Region replica of an EXTERNAL key is created with
placeholders for its primary's materials and takes the same material (EXISTING_KEY_MATERIAL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, update

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.services.kms import wrapping
from strongroom.services.kms.access import usable_key
from strongroom.services.kms.asymmetric_material import generate_private_key, public_key_der
from strongroom.services.kms.import_tokens import (
    TOKEN_LIFETIME,
    ImportToken,
    InvalidImportToken,
    open_token,
    seal_token,
)
from strongroom.services.kms.imported_material import (
    DELETED,
    check_material,
    drop_material,
    incorrect_material,
    material_id_of,
    material_rows,
    refresh_key_state,
    restore,
    schedule_expiry,
)
from strongroom.services.kms.keys import Key, add_material, lock_key
from strongroom.services.kms.material import public_key_of
from strongroom.services.kms.rotation import related_keys
from strongroom.services.kms.rotation_api import own_key
from strongroom.services.kms.states import check_state
from strongroom.services.kms.tables import kms_key_materials

Request = dict[str, Any]
Result = dict[str, Any]

MAX_VALIDITY = timedelta(days=365)
_SYMMETRIC_ONLY = ("ImportType", "KeyMaterialDescription", "KeyMaterialId")


def require_external(key: Key) -> None:
    if key.origin != "EXTERNAL":
        raise ServiceError(
            "UnsupportedOperationException",
            f"{key.arn} has {key.origin} key material: "
            "only keys with EXTERNAL origin take imported key material.",
        )


class ImportApi:
    """GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial."""

    def get_parameters_for_import(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "GetParametersForImport").key
        own_key(ctx, key)
        require_external(key)
        algorithm, spec = request["WrappingAlgorithm"], request["WrappingKeySpec"]
        wrapping.check_wrapping_algorithm(key.key_spec, algorithm, spec)
        private = generate_private_key(spec)
        valid_to = ctx.now() + TOKEN_LIFETIME
        token = seal_token(ctx.kernel.root, ImportToken(key.arn, algorithm, spec, valid_to, private))
        return {
            "KeyId": key.arn,
            "ImportToken": token,
            "PublicKey": public_key_der(spec, private),
            "ParametersValidTo": valid_to,
        }

    def import_key_material(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "ImportKeyMaterial").key
        own_key(ctx, key)
        require_external(key)
        if not key.symmetric and any(request.get(name) is not None for name in _SYMMETRIC_ONLY):
            raise ValidationError(
                "ImportType, KeyMaterialDescription and KeyMaterialId apply only to "
                "symmetric encryption keys."
            )
        now = ctx.now()
        model = request.get("ExpirationModel") or "KEY_MATERIAL_EXPIRES"
        valid_to = request.get("ValidTo")
        if model == "KEY_MATERIAL_EXPIRES":
            if valid_to is None:
                raise ValidationError("ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.")
            if not now < valid_to <= now + MAX_VALIDITY:
                raise ValidationError("ValidTo must be in the future and at most 365 days from now.")
        elif valid_to is not None:
            raise ValidationError(
                "ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE."
            )
        try:
            token = open_token(ctx.kernel.root, request["ImportToken"], key.arn)
        except InvalidImportToken:
            raise ServiceError(
                "InvalidImportTokenException",
                "The import token is invalid or was issued for another KMS key.",
            ) from None
        if token.valid_to <= now:
            raise ServiceError("ExpiredImportTokenException", "The import token has expired.")
        secret = wrapping.unwrap_key_material(
            token.algorithm,
            token.wrapping_key_spec,
            token.wrapping_private_key,
            request["EncryptedKeyMaterial"],
        )
        check_material(key, secret)
        material_id = material_id_of(key, secret).hex()
        if request.get("KeyMaterialId") not in (None, material_id):
            raise incorrect_material()
        description = request.get("KeyMaterialDescription")
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, key)
            check_state("ImportKeyMaterial", key.state, key.arn)
            rows = material_rows(conn, key)
            match = next((r for r in rows if r.material_id == material_id), None)
            import_type = request.get("ImportType") or (
                "EXISTING_KEY_MATERIAL" if rows else "NEW_KEY_MATERIAL"
            )
            if import_type == "EXISTING_KEY_MATERIAL":
                if match is None:
                    raise incorrect_material()
                restore(
                    conn, ctx.kernel.root, key, match, secret,
                    valid_to=valid_to, expiration_model=model, description=description,
                )  # fmt: skip
            else:
                self._import_new(ctx, conn, key, secret, material_id, first=not rows, match=match)
                self._describe_new(conn, key, material_id, valid_to, model, description)
                schedule_expiry(conn, key, material_id, valid_to)
            refresh_key_state(conn, key)
        return {"KeyId": key.arn, "KeyMaterialId": material_id}

    @staticmethod
    def _import_new(
        ctx: RequestContext,
        conn: Connection,
        key: Key,
        secret: bytes,
        material_id: str,
        *,
        first: bool,
        match: Any,
    ) -> None:
        if key.multi_region_key_type == "REPLICA":
            raise ServiceError(
                "UnsupportedOperationException",
                f"{key.arn} is a multi-Region replica key: import new key material into its primary key, "
                "then the same material here with ImportType EXISTING_KEY_MATERIAL.",
            )
        if not first and not key.symmetric:
            raise ServiceError(
                "UnsupportedOperationException",
                f"The key material of {key.key_spec} keys cannot change after the first import.",
            )
        if match is not None:
            raise incorrect_material("This key material is already associated with the KMS key.")
        now = ctx.now()
        add_material(
            conn,
            ctx.kernel.root,
            key,
            secret,
            now=now,
            origin="EXTERNAL",
            public_key=public_key_of(key.key_spec, secret),
            material_id=bytes.fromhex(material_id),
            make_current=first,
        )
        if first:
            return
        pending_state = "PENDING_MULTI_REGION_IMPORT_AND_ROTATION" if key.multi_region else "PENDING_ROTATION"
        conn.execute(
            update(kms_key_materials)
            .where(
                kms_key_materials.c.account_id == key.account_id,
                kms_key_materials.c.region == key.region,
                kms_key_materials.c.key_id == key.key_id,
                kms_key_materials.c.material_id == material_id,
            )
            .values(material_state=pending_state)
        )
        for replica in related_keys(conn, key):
            if replica.region != key.region:
                add_placeholder(
                    conn, ctx, replica, material_id, current=False, material_state="PENDING_ROTATION"
                )

    @staticmethod
    def _describe_new(
        conn: Connection, key: Key, material_id: str, valid_to: Any, model: str, description: str | None
    ) -> None:
        conn.execute(
            update(kms_key_materials)
            .where(
                kms_key_materials.c.account_id == key.account_id,
                kms_key_materials.c.region == key.region,
                kms_key_materials.c.key_id == key.key_id,
                kms_key_materials.c.material_id == material_id,
            )
            .values(
                import_state="IMPORTED", valid_to=valid_to, expiration_model=model, description=description
            )
        )

    def delete_imported_key_material(self, ctx: RequestContext, request: Request) -> Result:
        # AWS allows this on a key pending deletion too (its state then stays PendingDeletion).
        key = usable_key(
            ctx, request["KeyId"], "DeleteImportedKeyMaterial", state_operation="DescribeKey"
        ).key
        own_key(ctx, key)
        require_external(key)
        wanted = request.get("KeyMaterialId")
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, key)
            rows = material_rows(conn, key)
            row = next((r for r in rows if (r.material_id == wanted if wanted else r.current)), None)
            if row is None:
                if wanted:
                    raise ServiceError(
                        "NotFoundException", f"Key material {wanted} is not associated with {key.arn}."
                    )
                raise ServiceError("KMSInvalidStateException", f"{key.arn} is pending import.")
            drop_material(conn, key, row)
        return {"KeyId": key.arn, "KeyMaterialId": row.material_id}


def add_placeholder(
    conn: Connection, ctx: RequestContext, key: Key, material_id: str, *, current: bool, material_state: str
) -> None:
    """A material row waiting for its import (a replica of a key with imported material)."""
    rows = material_rows(conn, key)
    if any(r.material_id == material_id for r in rows):
        return
    conn.execute(
        kms_key_materials.insert().values(
            account_id=key.account_id,
            region=key.region,
            key_id=key.key_id,
            version=max((r.version for r in rows), default=0) + 1,
            material_id=material_id,
            sealed=DELETED,
            public_key=None,
            created_at=ctx.now(),
            origin="EXTERNAL",
            current=current,
            rotation_type=None,
            import_state="PENDING_IMPORT",
            material_state=material_state,
        )
    )
