"""Who may use a key: the one path every KMS handler takes to a key.

    usable_key(ctx, key_id, "Encrypt", encryption_context=..., grant_tokens=...)
        resolve the KeyId (creating an AWS managed key on first use)
        → authorize: the key policy (resource_policy_required: IAM policies count only where the
          key policy delegates to the account; cross-account needs both sides), resource tags,
          the KMS condition keys; then grants as a second way to allow
        → the key-state table (DisabledException / KMSInvalidStateException)

An explicit deny in any policy wins over grants, as in AWS. AWS owned keys skip all of it: only
their owning service reaches them, through an internal call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AccessDenied, ServiceError
from strongroom.core.iam.authorizer import denial_message
from strongroom.core.iam.evaluation import Decision
from strongroom.services.kms import grants as grants_store
from strongroom.services.kms import read_cache
from strongroom.services.kms.aws_managed import (
    AWS_OWNED_PREFIX,
    aws_owned_key,
    ensure_aws_managed_key,
    managed_service_of,
    owning_service,
)
from strongroom.services.kms.keys import (
    Key,
    KeyReference,
    ResolvedKey,
    alias_arn,
    find_key,
    not_found_alias,
    parse_key_reference,
    resolve_reference,
)
from strongroom.services.kms.states import check_state

KEY_RESOURCE_TYPE = "AWS::KMS::Key"

# The IAM action and grant operation each KMS operation needs on its key, where they differ from
# `kms:<Operation>` (ReEncrypt needs ReEncryptFrom on the source and ReEncryptTo on the target).
GRANTABLE = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
        "Sign",
        "Verify",
        "GetPublicKey",
        "CreateGrant",
        "RetireGrant",
        "DescribeKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
        "Encapsulate",
        "Decapsulate",
    }
)


def via_service(ctx: RequestContext) -> str | None:
    """kms:ViaService: the AWS service that made this call on the caller's behalf, if any."""
    if not ctx.called_via:
        return None
    host = ctx.called_via[-1]
    service = host.split(".", 1)[0]
    return f"{service}.{ctx.region}.amazonaws.com"


def resolve(ctx: RequestContext, key_id: str) -> ResolvedKey:
    """The key a KeyId names for this caller (AWS managed keys are created when first named)."""
    if key_id.startswith(AWS_OWNED_PREFIX):
        service = key_id[len(AWS_OWNED_PREFIX) :]
        if ctx.called_via and ctx.called_via[-1] == f"{service}.amazonaws.com":
            return ResolvedKey(aws_owned_key(ctx.kernel, ctx.account_id, ctx.region, service))
        raise not_found_alias(alias_arn(ctx.account_id, ctx.region, key_id))
    try:
        return read_cache.reference(ctx, key_id)
    except ServiceError:
        pass
    ref = parse_key_reference(key_id, ctx.account_id, ctx.region)
    with ctx.kernel.db.read() as conn:
        try:
            return resolve_reference(conn, ref, ctx.region)
        except ServiceError:
            owned = _owned_key_of_caller(ctx, conn, ref)
            if owned is not None:
                return ResolvedKey(owned)
            managed = managed_service_of(ref.alias_name or "")
            if managed is None or ref.account_id != ctx.account_id or ref.region != ctx.region:
                raise
    ensure_aws_managed_key(ctx.kernel, ctx.account_id, ctx.region, managed)
    read_cache.kms_changed(ctx.kernel)
    with ctx.kernel.db.read() as conn:
        return resolve_reference(conn, ref, ctx.region)


def _owned_key_of_caller(ctx: RequestContext, conn: Connection, ref: KeyReference) -> Key | None:
    """An AWS owned key named by id or ARN (as Decrypt reads it from a blob), for its own service."""
    if ref.key_id is None or not ctx.called_via or ref.region != ctx.region:
        return None
    key = find_key(conn, ref.account_id, ref.region, ref.key_id)
    if key is None or not key.aws_owned:
        return None
    service = owning_service(key)
    return key if ctx.called_via[-1] == f"{service}.amazonaws.com" else None


def kms_condition_keys(
    ctx: RequestContext,
    key: Key,
    *,
    request_alias: str | None,
    resource_aliases: Sequence[str],
    encryption_context: Mapping[str, str] | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The kms:* condition keys of a request on `key`."""
    keys: dict[str, Any] = {
        "kms:CallerAccount": ctx.account_id,
        "kms:KeySpec": key.key_spec,
        "kms:CustomerMasterKeySpec": key.key_spec,
        "kms:KeyUsage": key.key_usage,
        "kms:CustomerMasterKeyUsage": key.key_usage,
        "kms:KeyOrigin": key.origin,
        "kms:MultiRegion": key.multi_region,
    }
    if key.multi_region_key_type:
        keys["kms:MultiRegionKeyType"] = key.multi_region_key_type
    via = via_service(ctx)
    if via is not None:
        keys["kms:ViaService"] = via
    if request_alias is not None:
        keys["kms:RequestAlias"] = request_alias
    if resource_aliases:
        keys["kms:ResourceAliases"] = list(resource_aliases)
    if encryption_context:
        for name, value in encryption_context.items():
            keys[f"kms:EncryptionContext:{name}"] = value
        keys["kms:EncryptionContextKeys"] = list(encryption_context)
    if extra:
        keys.update(extra)
    return keys


def authorize_key(
    ctx: RequestContext,
    resolved: ResolvedKey,
    operation: str,
    *,
    encryption_context: Mapping[str, str] | None = None,
    context_keys: Mapping[str, Any] | None = None,
    grant_tokens: Sequence[str] | None = None,
    request_tags: Mapping[str, str] | None = None,
    new_grant: tuple[Sequence[str], Mapping[str, Any] | None] | None = None,
) -> None:
    """Allow `kms:<operation>` on the key or raise AccessDeniedException in AWS's words."""
    key = resolved.key
    grants_store.check_tokens(grant_tokens)
    if key.aws_owned:
        return
    action = f"kms:{operation}"
    facts = read_cache.facts(ctx, key)

    def condition_keys() -> dict[str, Any]:
        # Gathered (an alias lookup among them) only if a statement reads a condition key.
        return kms_condition_keys(
            ctx,
            key,
            request_alias=resolved.alias,
            resource_aliases=facts.aliases(ctx, key),
            encryption_context=encryption_context,
            extra=context_keys,
        )

    evaluation = ctx.evaluate(
        action,
        key.arn,
        resource_policy=key.policy,
        resource_account=key.account_id,
        resource_tags=facts.tags(ctx, key),  # read only, by the policy engine
        request_tags=request_tags,
        context_keys=condition_keys,
        resource_policy_required=True,
    )
    if evaluation.decision is Decision.ALLOW:
        return
    if evaluation.decision is Decision.IMPLICIT_DENY and operation in GRANTABLE:
        with ctx.kernel.db.read() as conn:
            grant = grants_store.allowing_grant(
                grants_store.grants_of(conn, key), ctx.principal, operation, encryption_context, new_grant
            )
        if grant is not None:
            return
    code, status = ctx.access_denied
    raise AccessDenied(denial_message(ctx.principal, action, key.arn, evaluation), code=code, status=status)


def usable_key(
    ctx: RequestContext,
    key_id: str,
    operation: str,
    *,
    state_operation: str | None = None,
    encryption_context: Mapping[str, str] | None = None,
    context_keys: Mapping[str, Any] | None = None,
    grant_tokens: Sequence[str] | None = None,
    request_tags: Mapping[str, str] | None = None,
    new_grant: tuple[Sequence[str], Mapping[str, Any] | None] | None = None,
) -> ResolvedKey:
    """Resolve, authorize and check the state of the key an operation acts on.

    `operation` names the IAM action and grant operation (e.g. ``ReEncryptFrom``);
    `state_operation` the row of the key-state table when it differs (``ReEncrypt``);
    `new_grant` the (operations, constraints) a CreateGrant asks for, which an allowing grant
    must cover.
    """
    resolved = resolve(ctx, key_id)
    authorize_key(
        ctx,
        resolved,
        operation,
        encryption_context=encryption_context,
        context_keys=context_keys,
        grant_tokens=grant_tokens,
        request_tags=request_tags,
        new_grant=new_grant,
    )
    check_state(state_operation or operation, resolved.key.state, resolved.key.arn)
    if not resolved.key.aws_owned:
        ctx.audit_resources.append((KEY_RESOURCE_TYPE, resolved.key.arn))
    return resolved


__all__ = [
    "GRANTABLE",
    "KEY_RESOURCE_TYPE",
    "authorize_key",
    "kms_condition_keys",
    "resolve",
    "usable_key",
    "via_service",
]
