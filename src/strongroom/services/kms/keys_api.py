"""Key lifecycle: create, describe, list, enable/disable, deletion, description, key policies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError, ValidationError
from strongroom.core.iam.evaluation import Decision
from strongroom.core.kernel import Kernel
from strongroom.core.scheduler import Job, Scheduler
from strongroom.services.kms import pagination, policies, tags
from strongroom.services.kms.access import KEY_RESOURCE_TYPE, usable_key
from strongroom.services.kms.asymmetric_material import UNAVAILABLE_REASONS
from strongroom.services.kms.imported_material import refresh_key_state
from strongroom.services.kms.key_events import DELETION, publish_key_event
from strongroom.services.kms.keys import (
    Key,
    add_material,
    count_keys,
    delete_key,
    find_key,
    insert_key,
    key_arn,
    key_metadata,
    lock_key,
    new_key_id,
    update_key,
)
from strongroom.services.kms.material import SPECS, UnsupportedKeySpec, generate_key_material, public_key_of
from strongroom.services.kms.rotation import related_keys
from strongroom.services.kms.states import KeyState, check_state
from strongroom.services.kms.tables import kms_keys

Request = dict[str, Any]
Result = dict[str, Any]

DELETE_KEY_JOB = "kms/delete-key"
MAX_KEYS_PER_REGION = 100_000
MIN_PENDING_WINDOW, MAX_PENDING_WINDOW, DEFAULT_PENDING_WINDOW = 7, 30, 30
_LOCAL_ORIGINS = ("AWS_KMS", "EXTERNAL")


def job_key(key: Key) -> str:
    return f"{key.account_id}/{key.region}/{key.key_id}"


def replicas_of(conn: Connection, key: Key) -> list[Key]:
    """The replica keys of a multi-Region primary key that still exist (in any state)."""
    if key.multi_region_key_type != "PRIMARY":
        return []
    return [k for k in related_keys(conn, key) if k.multi_region_key_type == "REPLICA"]


def start_deletion(conn: Connection, key: Key, days: int, now: datetime) -> datetime:
    """Begin the waiting period of `days`: the key is PendingDeletion until the scheduler deletes it."""
    deletion_date = now + timedelta(days=days)
    update_key(
        conn,
        key,
        state=KeyState.PENDING_DELETION.value,
        deletion_date=deletion_date,
        pending_window_days=days,
    )
    Scheduler.schedule(conn, DELETE_KEY_JOB, job_key(key), deletion_date)
    return deletion_date


class KeyDeletion:
    """The scheduler's handler for the end of a waiting period: the key and its material go.

    Deleting the last replica of a primary key that waits in PendingReplicaDeletion starts the
    primary's own waiting period (AWS: "When the last of its replicas keys is deleted (not just
    scheduled), the key state of the primary key changes to PendingDeletion").
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel

    def delete_due_key(self, conn: Connection, job: Job) -> None:
        account_id, region, key_id = job.key.split("/", 2)
        key = find_key(conn, account_id, region, key_id)
        if key is None or key.state != KeyState.PENDING_DELETION:
            return
        delete_key(conn, key)  # material, aliases, tags and grants go with it (ON DELETE CASCADE)
        publish_key_event(conn, self.kernel, key, DELETION)
        if key.multi_region_key_type == "REPLICA":
            self._release_primary(conn, key)

    def _release_primary(self, conn: Connection, replica: Key) -> None:
        primary = next((k for k in related_keys(conn, replica) if k.multi_region_key_type == "PRIMARY"), None)
        if primary is None:
            return
        primary = lock_key(conn, primary)
        if primary.state != KeyState.PENDING_REPLICA_DELETION or replicas_of(conn, primary):
            return
        days = primary.pending_window_days or DEFAULT_PENDING_WINDOW
        start_deletion(conn, primary, days, self.kernel.clock.now())


def check_lockout(ctx: RequestContext, arn: str, account_id: str, policy: str, bypass: bool) -> None:
    """Refuse a policy under which the caller could not call PutKeyPolicy again (unless bypassed)."""
    if bypass:
        return
    evaluation = ctx.evaluate(
        "kms:PutKeyPolicy",
        arn,
        resource_policy=policy,
        resource_account=account_id,
        context_keys={"kms:CallerAccount": ctx.account_id},
        resource_policy_required=True,
    )
    if evaluation.decision is not Decision.ALLOW:
        raise ServiceError("MalformedPolicyDocumentException", policies.LOCKOUT_MESSAGE)


def validated_policy(ctx: RequestContext, arn: str, account_id: str, text: str, bypass: bool) -> str:
    policies.parse_key_policy(text)
    with ctx.kernel.db.read() as conn:
        policies.check_principals_exist(conn, text)
    check_lockout(ctx, arn, account_id, text, bypass)
    return text


class KeysApi:
    """CreateKey … PutKeyPolicy."""

    def create_key(self, ctx: RequestContext, request: Request) -> Result:
        spec, usage, origin = self._create_key_kind(request)
        multi_region = bool(request.get("MultiRegion"))
        new_tags = tags.requested(request.get("Tags"))
        ctx.authorize(
            "kms:CreateKey",
            "*",
            request_tags=new_tags,
            context_keys={
                "kms:CallerAccount": ctx.account_id,
                "kms:KeySpec": spec,
                "kms:CustomerMasterKeySpec": spec,
                "kms:KeyUsage": usage,
                "kms:CustomerMasterKeyUsage": usage,
                "kms:KeyOrigin": origin,
                "kms:MultiRegion": multi_region,
                **({"kms:MultiRegionKeyType": "PRIMARY"} if multi_region else {}),
            },
        )
        key_id = new_key_id(multi_region)
        arn = key_arn(ctx.account_id, ctx.region, key_id)
        policy_text = request.get("Policy")
        if policy_text is not None:
            validated_policy(
                ctx, arn, ctx.account_id, policy_text, bool(request.get("BypassPolicyLockoutSafetyCheck"))
            )
        else:
            policy_text = policies.default_key_policy(ctx.account_id)
        secret: bytes | None = None
        public_key: bytes | None = None
        if origin == "AWS_KMS":
            try:
                secret = generate_key_material(spec)
                public_key = public_key_of(spec, secret)
            except UnsupportedKeySpec:
                reason = UNAVAILABLE_REASONS.get(spec, f"Strongroom cannot create {spec} keys yet.")
                raise ServiceError("UnsupportedOperationException", reason) from None
        now = ctx.now()
        key = Key(
            account_id=ctx.account_id,
            region=ctx.region,
            key_id=key_id,
            arn=arn,
            description=request.get("Description") or "",
            key_usage=usage,
            key_spec=spec,
            origin=origin,
            key_manager="CUSTOMER",
            aws_owned=False,
            state=(KeyState.ENABLED if secret is not None else KeyState.PENDING_IMPORT).value,
            created_at=now,
            deletion_date=None,
            pending_window_days=None,
            policy=policy_text,
            multi_region=multi_region,
            multi_region_key_type="PRIMARY" if multi_region else None,
            primary_region=ctx.region if multi_region else None,
            rotation_enabled=False,
            rotation_period_days=None,
            next_rotation_at=None,
            valid_to=None,
            expiration_model=None,
            custom_key_store_id=None,
            xks_key_id=None,
        )
        with ctx.kernel.db.write() as conn:
            ctx.kernel.db.lock(conn, f"kms:keys:{ctx.account_id}:{ctx.region}")
            if count_keys(conn, ctx.account_id, ctx.region) >= MAX_KEYS_PER_REGION:
                raise ServiceError(
                    "LimitExceededException",
                    f"Cannot exceed quota for KeysPerRegion: {MAX_KEYS_PER_REGION}",
                )
            insert_key(conn, key)
            if secret is not None:
                add_material(conn, ctx.kernel.root, key, secret, now=now, public_key=public_key)
            tags.put(conn, key, new_tags)
            metadata = key_metadata(conn, key)
        ctx.audit_resources.append((KEY_RESOURCE_TYPE, arn))
        return {"KeyMetadata": metadata}

    @staticmethod
    def _create_key_kind(request: Request) -> tuple[str, str, str]:
        if request.get("KeySpec") and request.get("CustomerMasterKeySpec"):
            raise ValidationError(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
                "CustomerMasterKeySpec is deprecated."
            )
        spec = request.get("KeySpec") or request.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
        usage = request.get("KeyUsage") or "ENCRYPT_DECRYPT"
        if usage not in SPECS[spec].usages:
            raise ValidationError(f"KeyUsage {usage} is not compatible with KeySpec {spec}")
        origin = request.get("Origin") or "AWS_KMS"
        if origin not in _LOCAL_ORIGINS or request.get("CustomKeyStoreId") or request.get("XksKeyId"):
            raise ServiceError(
                "UnsupportedOperationException",
                "Strongroom has no custom key stores: Origin must be AWS_KMS or EXTERNAL.",
            )
        return spec, usage, origin

    def describe_key(self, ctx: RequestContext, request: Request) -> Result:
        resolved = usable_key(ctx, request["KeyId"], "DescribeKey", grant_tokens=request.get("GrantTokens"))
        with ctx.kernel.db.read() as conn:
            return {"KeyMetadata": key_metadata(conn, resolved.key)}

    def list_keys(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("kms:ListKeys", "*", context_keys={"kms:CallerAccount": ctx.account_id})
        with ctx.kernel.db.read() as conn:
            rows = conn.execute(
                select(kms_keys.c.key_id, kms_keys.c.arn)
                .where(
                    kms_keys.c.account_id == ctx.account_id,
                    kms_keys.c.region == ctx.region,
                    kms_keys.c.aws_owned.is_(False),
                )
                .order_by(kms_keys.c.created_at, kms_keys.c.key_id)
            ).all()
        chunk, more = pagination.page(rows, request)
        return {"Keys": [{"KeyId": r.key_id, "KeyArn": r.arn} for r in chunk], **more}

    def enable_key(self, ctx: RequestContext, request: Request) -> Result:
        self._set_state(ctx, request["KeyId"], "EnableKey", KeyState.ENABLED)
        return {}

    def disable_key(self, ctx: RequestContext, request: Request) -> Result:
        self._set_state(ctx, request["KeyId"], "DisableKey", KeyState.DISABLED)
        return {}

    @staticmethod
    def _set_state(ctx: RequestContext, key_id: str, operation: str, state: KeyState) -> None:
        resolved = usable_key(ctx, key_id, operation)
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, resolved.key)
            check_state(operation, key.state, key.arn)
            update_key(conn, key, state=state.value)

    def schedule_key_deletion(self, ctx: RequestContext, request: Request) -> Result:
        days = request.get("PendingWindowInDays")
        days = DEFAULT_PENDING_WINDOW if days is None else int(days)
        if not MIN_PENDING_WINDOW <= days <= MAX_PENDING_WINDOW:
            bound, word = (
                (MIN_PENDING_WINDOW, "greater") if days < MIN_PENDING_WINDOW else (MAX_PENDING_WINDOW, "less")
            )
            raise ValidationError(
                f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to "
                f"satisfy constraint: Member must have value {word} than or equal to {bound}"
            )
        resolved = usable_key(ctx, request["KeyId"], "ScheduleKeyDeletion")
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, resolved.key)
            check_state("ScheduleKeyDeletion", key.state, key.arn)
            if replicas_of(conn, key):
                # A primary with replicas waits for them; its own waiting period starts later.
                update_key(
                    conn,
                    key,
                    state=KeyState.PENDING_REPLICA_DELETION.value,
                    deletion_date=None,
                    pending_window_days=days,
                )
                return {
                    "KeyId": key.arn,
                    "KeyState": KeyState.PENDING_REPLICA_DELETION.value,
                    "PendingWindowInDays": days,
                }
            deletion_date = start_deletion(conn, key, days, ctx.now())
        return {
            "KeyId": key.arn,
            "DeletionDate": deletion_date,
            "KeyState": KeyState.PENDING_DELETION.value,
            "PendingWindowInDays": days,
        }

    def cancel_key_deletion(self, ctx: RequestContext, request: Request) -> Result:
        resolved = usable_key(ctx, request["KeyId"], "CancelKeyDeletion")
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, resolved.key)
            check_state("CancelKeyDeletion", key.state, key.arn)
            # AWS leaves a key whose deletion was cancelled Disabled, whatever it was before ...
            update_key(conn, key, state=KeyState.DISABLED.value, deletion_date=None, pending_window_days=None)
            Scheduler.cancel(conn, DELETE_KEY_JOB, job_key(key))
            if key.origin == "EXTERNAL":
                # ... unless its imported key material is missing (deleted or expired): PendingImport.
                refresh_key_state(conn, key)
        return {"KeyId": key.arn}

    def update_key_description(self, ctx: RequestContext, request: Request) -> Result:
        resolved = usable_key(ctx, request["KeyId"], "UpdateKeyDescription")
        with ctx.kernel.db.write() as conn:
            key = lock_key(conn, resolved.key)
            check_state("UpdateKeyDescription", key.state, key.arn)
            update_key(conn, key, description=request["Description"])
        return {}

    # -- key policies ------------------------------------------------------------------------

    @staticmethod
    def _policy_name(request: Request) -> str:
        name = request.get("PolicyName") or policies.DEFAULT_POLICY_NAME
        if name != policies.DEFAULT_POLICY_NAME:
            raise ServiceError("NotFoundException", "No such policy exists")
        return name

    def get_key_policy(self, ctx: RequestContext, request: Request) -> Result:
        resolved = usable_key(ctx, request["KeyId"], "GetKeyPolicy")
        return {"Policy": resolved.key.policy, "PolicyName": self._policy_name(request)}

    def list_key_policies(self, ctx: RequestContext, request: Request) -> Result:
        usable_key(ctx, request["KeyId"], "ListKeyPolicies")
        chunk, more = pagination.page([policies.DEFAULT_POLICY_NAME], request)
        return {"PolicyNames": chunk, **more}

    def put_key_policy(self, ctx: RequestContext, request: Request) -> Result:
        resolved = usable_key(ctx, request["KeyId"], "PutKeyPolicy")
        self._policy_name(request)
        key = resolved.key
        if key.key_manager == "AWS":
            raise ServiceError(
                "UnsupportedOperationException", f"{key.arn} is an AWS managed key; its policy cannot change."
            )
        text = validated_policy(
            ctx,
            key.arn,
            key.account_id,
            request["Policy"],
            bool(request.get("BypassPolicyLockoutSafetyCheck")),
        )
        with ctx.kernel.db.write() as conn:
            update_key(conn, lock_key(conn, key), policy=text)
        return {}
