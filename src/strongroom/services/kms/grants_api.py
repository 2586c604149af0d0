"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant."""

from __future__ import annotations

import os
import re
from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AccessDenied, ServiceError, ValidationError
from strongroom.core.iam.authorizer import denial_message
from strongroom.services.kms import grants, pagination
from strongroom.services.kms.access import authorize_key, resolve, usable_key
from strongroom.services.kms.errors import refuse_if_dry_run
from strongroom.services.kms.keys import Key, ResolvedKey, key_arn, require_key
from strongroom.services.kms.material import SPECS
from strongroom.services.kms.states import check_state

Request = dict[str, Any]
Result = dict[str, Any]

_GRANT_ID = re.compile(r"[0-9a-f]{64}")
_PRINCIPAL = re.compile(r"(arn:aws[a-z-]*:(iam|sts)::\d{12}:.+|\d{12}|[a-z0-9.-]+\.amazonaws\.com)")
_USAGE_OPERATIONS = {
    "ENCRYPT_DECRYPT": {
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
        "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GetPublicKey",
    },
    "SIGN_VERIFY": {"Sign", "Verify", "GetPublicKey"},
    "GENERATE_VERIFY_MAC": {"GenerateMac", "VerifyMac"},
    "KEY_AGREEMENT": {"DeriveSharedSecret", "GetPublicKey"},
    "ENCAPSULATE_DECAPSULATE": {"Encapsulate", "Decapsulate", "GetPublicKey"},
}  # fmt: skip
_ANY_KEY_OPERATIONS = {"CreateGrant", "RetireGrant", "DescribeKey"}


def _check_principal(value: str) -> None:
    if not _PRINCIPAL.fullmatch(value):
        raise ServiceError("InvalidArnException", f"{value} is not a valid principal")


def _check_operations(key: Key, operations: list[str], constraints: dict[str, Any] | None) -> None:
    allowed = _USAGE_OPERATIONS.get(key.key_usage, set()) | _ANY_KEY_OPERATIONS
    if not key.symmetric:
        allowed -= {
            "Encrypt",
            "Decrypt",
            "GenerateDataKey",
            "GenerateDataKeyWithoutPlaintext",
            "ReEncryptFrom",
            "ReEncryptTo",
            "GenerateDataKeyPair",
            "GenerateDataKeyPairWithoutPlaintext",
        }
        if SPECS[key.key_spec].encryption_algorithms and key.key_usage == "ENCRYPT_DECRYPT":
            allowed |= {"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo"}
    if key.symmetric:
        allowed -= {"GetPublicKey"}
    refused = [op for op in operations if op not in allowed]
    if refused:
        raise ValidationError(f"Grant operations {', '.join(refused)} are not valid for {key.arn}")
    if constraints and not key.symmetric:
        raise ValidationError("Grant constraints are not valid for asymmetric KMS keys.")
    if constraints and "EncryptionContextEquals" in constraints and "EncryptionContextSubset" in constraints:
        raise ValidationError("Specify either EncryptionContextEquals or EncryptionContextSubset, not both.")


def _check_grant_id(grant_id: str) -> None:
    if not _GRANT_ID.fullmatch(grant_id):
        raise ServiceError("InvalidGrantIdException", "Invalid grant ID")


def _grant_not_found(grant_id: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Grant ID {grant_id} not found")


class GrantsApi:
    """CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant."""

    def create_grant(self, ctx: RequestContext, request: Request) -> Result:
        if request.get("GranteeServicePrincipal") or request.get("RetiringServicePrincipal"):
            raise ServiceError(
                "UnsupportedOperationException", "Service principal grantees are not supported."
            )
        grantee = request["GranteePrincipal"]
        retiring = request.get("RetiringPrincipal")
        operations = list(dict.fromkeys(request["Operations"]))
        constraints = request.get("Constraints") or None
        for principal in filter(None, (grantee, retiring)):
            _check_principal(principal)
        context_keys: dict[str, Any] = {
            "kms:GrantOperations": operations,
            "kms:GranteePrincipal": grantee,
            "kms:GrantIsForAWSResource": bool(ctx.called_via),
        }
        if retiring:
            context_keys["kms:RetiringPrincipal"] = retiring
        if constraints:
            for member in ("EncryptionContextEquals", "EncryptionContextSubset"):
                for name, value in (constraints.get(member) or {}).items():
                    context_keys["kms:GrantConstraintType"] = member
                    context_keys[f"kms:EncryptionContext:{name}"] = value
        key = usable_key(
            ctx,
            request["KeyId"],
            "CreateGrant",
            context_keys=context_keys,
            grant_tokens=request.get("GrantTokens"),
            new_grant=(operations, constraints),
        ).key
        _check_operations(key, operations, constraints)
        refuse_if_dry_run(request)
        name = request.get("Name")
        with ctx.kernel.db.write() as conn:
            ctx.kernel.db.lock(conn, f"kms:grants:{key.arn}")
            if name:
                for existing in grants.grants_of(conn, key):
                    if (
                        existing.name == name
                        and existing.grantee_principal == grantee
                        and existing.retiring_principal == retiring
                        and sorted(existing.operations) == sorted(operations)
                        and (existing.constraints or None) == constraints
                    ):
                        return {"GrantToken": existing.grant_token, "GrantId": existing.grant_id}
            if grants.count_for_key(conn, key) >= grants.MAX_GRANTS_PER_KEY:
                raise ServiceError(
                    "LimitExceededException",
                    f"Cannot exceed quota for GrantsPerKey: {grants.MAX_GRANTS_PER_KEY}",
                )
            if grants.count_for_grantee(conn, key, grantee) >= grants.MAX_GRANTS_PER_PRINCIPAL_PER_KEY:
                raise ServiceError(
                    "LimitExceededException",
                    "Cannot exceed quota for GrantsPerPrincipalPerKey: "
                    f"{grants.MAX_GRANTS_PER_PRINCIPAL_PER_KEY}",
                )
            grant_id = os.urandom(32).hex()
            grant = grants.Grant(
                account_id=key.account_id,
                region=key.region,
                key_id=key.key_id,
                grant_id=grant_id,
                name=name,
                grantee_principal=grantee,
                retiring_principal=retiring,
                issuing_account=f"arn:aws:iam::{ctx.account_id}:root",
                operations=tuple(operations),
                constraints=constraints,
                created_at=ctx.now(),
                grant_token=grants.make_token(key.account_id, key.region, key.key_id, grant_id),
            )
            grants.insert_grant(conn, grant)
        return {"GrantToken": grant.grant_token, "GrantId": grant_id}

    def list_grants(self, ctx: RequestContext, request: Request) -> Result:
        key = usable_key(ctx, request["KeyId"], "ListGrants").key
        with ctx.kernel.db.read() as conn:
            found = grants.grants_of(conn, key)
        if request.get("GrantId"):
            found = [g for g in found if g.grant_id == request["GrantId"]]
        if request.get("GranteePrincipal"):
            found = [g for g in found if g.grantee_principal == request["GranteePrincipal"]]
        chunk, more = pagination.page(found, request, default_limit=50)
        return {"Grants": [g.listing(key) for g in chunk], **more}

    def list_retirable_grants(self, ctx: RequestContext, request: Request) -> Result:
        retiring = request.get("RetiringPrincipal")
        if not retiring:
            raise ValidationError("RetiringPrincipal is required.")
        _check_principal(retiring)
        ctx.authorize("kms:ListRetirableGrants", "*", context_keys={"kms:CallerAccount": ctx.account_id})
        with ctx.kernel.db.read() as conn:
            found = [g for g in grants.retirable_by(conn, retiring) if g.region == ctx.region]
            keys = {
                (g.account_id, g.key_id): require_key(conn, g.account_id, g.region, g.key_id) for g in found
            }
        chunk, more = pagination.page(found, request, default_limit=50)
        return {"Grants": [g.listing(keys[(g.account_id, g.key_id)]) for g in chunk], **more}

    def retire_grant(self, ctx: RequestContext, request: Request) -> Result:
        token, key_id, grant_id = request.get("GrantToken"), request.get("KeyId"), request.get("GrantId")
        if token:
            account, region, token_key, token_grant = grants.parse_token(token)
            if region != ctx.region:
                raise ServiceError("InvalidGrantTokenException", "Invalid grant token")
            key_id = key_id or key_arn(account, region, token_key)
            grant_id = grant_id or token_grant
        if not key_id or not grant_id:
            raise ValidationError("Either GrantToken, or both KeyId and GrantId must be specified.")
        _check_grant_id(grant_id)
        resolved = resolve(ctx, key_id)
        key = resolved.key
        with ctx.kernel.db.read() as conn:
            grant = grants.find_grant(conn, key, grant_id)
        if grant is None:
            raise _grant_not_found(grant_id)
        self._authorize_retire(ctx, resolved, grant)
        check_state("RetireGrant", key.state, key.arn)
        refuse_if_dry_run(request)
        with ctx.kernel.db.write() as conn:
            grants.delete_grant(conn, grant)
        ctx.audit_resources.append(("AWS::KMS::Key", key.arn))
        return {}

    @staticmethod
    def _authorize_retire(ctx: RequestContext, resolved: ResolvedKey, grant: grants.Grant) -> None:
        """The retiring principal, a grantee allowed RetireGrant, or the key policy may retire."""
        principal = ctx.principal
        if grant.retiring_principal and grants.names_caller(grant.retiring_principal, principal):
            return
        if "RetireGrant" in grant.operations and grants.names_caller(grant.grantee_principal, principal):
            return
        try:
            authorize_key(ctx, resolved, "RetireGrant")
        except AccessDenied:
            evaluation = ctx.evaluate("kms:RetireGrant", resolved.key.arn)
            code, status = ctx.access_denied
            raise AccessDenied(
                denial_message(principal, "kms:RetireGrant", resolved.key.arn, evaluation),
                code=code,
                status=status,
            ) from None

    def revoke_grant(self, ctx: RequestContext, request: Request) -> Result:
        grant_id = request["GrantId"]
        key = usable_key(ctx, request["KeyId"], "RevokeGrant").key
        _check_grant_id(grant_id)
        with ctx.kernel.db.read() as conn:
            grant = grants.find_grant(conn, key, grant_id)
        if grant is None:
            raise _grant_not_found(grant_id)
        refuse_if_dry_run(request)
        with ctx.kernel.db.write() as conn:
            grants.delete_grant(conn, grant)
        return {}
