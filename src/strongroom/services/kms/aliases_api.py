"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

Changing an alias needs permission on the alias (IAM policies: `kms:CreateAlias` on
``arn:aws:kms:R:A:alias/name``) and on each key involved (key policies). The ``alias/aws/``
prefix belongs to AWS managed keys; ListAliases shows those predefined aliases even before
their keys exist, without a TargetKeyId, as AWS does.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AccessDenied, ServiceError, ValidationError
from strongroom.services.kms import pagination
from strongroom.services.kms.access import resolve, usable_key
from strongroom.services.kms.aws_managed import AWS_MANAGED_PREFIX, AWS_MANAGED_SERVICES
from strongroom.services.kms.keys import Key, alias_arn, find_alias_target, not_found_alias, require_key
from strongroom.services.kms.tables import kms_aliases, kms_keys

Request = dict[str, Any]
Result = dict[str, Any]

ALIAS_PREFIX = "alias/"
MAX_ALIASES_PER_KEY = 50
_ALIAS_NAME = re.compile(r"alias/[a-zA-Z0-9/_-]+")
_ALIAS_RESOURCE = "AWS::KMS::Alias"


def check_alias_name(ctx: RequestContext, name: str, action: str) -> str:
    """The alias ARN for a name a caller may create or change; AWS's errors otherwise."""
    if not name.startswith(ALIAS_PREFIX):
        raise ValidationError(
            'Alias must start with the prefix "alias/". '
            "Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    if not _ALIAS_NAME.fullmatch(name):
        raise ServiceError("InvalidAliasNameException", f"Alias name {name} is not valid.")
    arn = alias_arn(ctx.account_id, ctx.region, name)
    if name.startswith(AWS_MANAGED_PREFIX):
        code, status = ctx.access_denied
        raise AccessDenied(
            f"User: {ctx.principal.arn} is not authorized to perform: {action} on resource: {arn} "
            "because the alias/aws/ prefix is reserved for AWS managed keys",
            code=code,
            status=status,
        )
    ctx.authorize(action, arn, context_keys={"kms:CallerAccount": ctx.account_id})
    return arn


def _target_key(ctx: RequestContext, target: str, operation: str) -> Key:
    if target.startswith(ALIAS_PREFIX) or ":alias/" in target:
        raise ValidationError("Aliases must refer to keys. Not aliases")
    resolved = usable_key(ctx, target, operation)
    key = resolved.key
    if key.account_id != ctx.account_id:
        raise ServiceError("NotFoundException", f"Key '{key.arn}' does not exist")
    if key.key_manager == "AWS":
        raise ServiceError("NotFoundException", f"Key '{key.arn}' does not exist")
    return key


def _count_for_key(conn: Any, key: Key) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(kms_aliases)
            .where(
                kms_aliases.c.account_id == key.account_id,
                kms_aliases.c.region == key.region,
                kms_aliases.c.key_id == key.key_id,
            )
        ).scalar()
        or 0
    )


class AliasesApi:
    """CreateAlias, UpdateAlias, DeleteAlias, ListAliases."""

    def create_alias(self, ctx: RequestContext, request: Request) -> Result:
        name = request["AliasName"]
        arn = check_alias_name(ctx, name, "kms:CreateAlias")
        key = _target_key(ctx, request["TargetKeyId"], "CreateAlias")
        now = ctx.now()

        def duplicate() -> Exception:
            return ServiceError("AlreadyExistsException", f"An alias with the name {arn} already exists")

        with ctx.kernel.db.write_unique(duplicate) as conn:
            if find_alias_target(conn, ctx.account_id, ctx.region, name) is not None:
                raise duplicate()
            if _count_for_key(conn, key) >= MAX_ALIASES_PER_KEY:
                raise ServiceError(
                    "LimitExceededException", f"Cannot exceed quota for AliasesPerKey: {MAX_ALIASES_PER_KEY}"
                )
            conn.execute(
                insert(kms_aliases).values(
                    account_id=ctx.account_id,
                    region=ctx.region,
                    alias_name=name,
                    key_id=key.key_id,
                    created_at=now,
                    updated_at=now,
                )
            )
        ctx.audit_resources.append((_ALIAS_RESOURCE, arn))
        return {}

    def update_alias(self, ctx: RequestContext, request: Request) -> Result:
        name = request["AliasName"]
        arn = check_alias_name(ctx, name, "kms:UpdateAlias")
        with ctx.kernel.db.read() as conn:
            current = find_alias_target(conn, ctx.account_id, ctx.region, name)
            if current is None:
                raise not_found_alias(arn)
            old = require_key(conn, ctx.account_id, ctx.region, current)
        new = _target_key(ctx, request["TargetKeyId"], "UpdateAlias")
        usable_key(ctx, old.key_id, "UpdateAlias")
        if (old.key_usage, old.symmetric) != (new.key_usage, new.symmetric):
            raise ValidationError(
                f"{new.arn} is not compatible with the key the alias {name} points to: "
                "the new key must have the same key type and key usage"
            )
        with ctx.kernel.db.write() as conn:
            if _count_for_key(conn, new) >= MAX_ALIASES_PER_KEY:
                raise ServiceError(
                    "LimitExceededException", f"Cannot exceed quota for AliasesPerKey: {MAX_ALIASES_PER_KEY}"
                )
            changed = conn.execute(
                update(kms_aliases)
                .where(
                    kms_aliases.c.account_id == ctx.account_id,
                    kms_aliases.c.region == ctx.region,
                    kms_aliases.c.alias_name == name,
                )
                .values(key_id=new.key_id, updated_at=ctx.now())
            )
            if changed.rowcount == 0:
                raise not_found_alias(arn)
        ctx.audit_resources.append((_ALIAS_RESOURCE, arn))
        return {}

    def delete_alias(self, ctx: RequestContext, request: Request) -> Result:
        name = request["AliasName"]
        arn = check_alias_name(ctx, name, "kms:DeleteAlias")
        with ctx.kernel.db.read() as conn:
            target = find_alias_target(conn, ctx.account_id, ctx.region, name)
        if target is None:
            raise not_found_alias(arn)
        usable_key(ctx, target, "DeleteAlias")
        with ctx.kernel.db.write() as conn:
            conn.execute(
                delete(kms_aliases).where(
                    kms_aliases.c.account_id == ctx.account_id,
                    kms_aliases.c.region == ctx.region,
                    kms_aliases.c.alias_name == name,
                )
            )
        ctx.audit_resources.append((_ALIAS_RESOURCE, arn))
        return {}

    def list_aliases(self, ctx: RequestContext, request: Request) -> Result:
        key_filter: Key | None = None
        if request.get("KeyId"):
            key_id = request["KeyId"]
            if key_id.startswith(ALIAS_PREFIX) or ":alias/" in key_id:
                raise ServiceError("InvalidArnException", f"{key_id} is not a key ID or key ARN")
            key_filter = resolve(ctx, key_id).key
            if key_filter.account_id != ctx.account_id:
                raise ServiceError("NotFoundException", f"Key '{key_filter.arn}' does not exist")
        ctx.authorize(
            "kms:ListAliases",
            "*",
            context_keys={"kms:CallerAccount": ctx.account_id},
        )
        query = (
            select(kms_aliases)
            .join(
                kms_keys,
                (kms_keys.c.account_id == kms_aliases.c.account_id)
                & (kms_keys.c.region == kms_aliases.c.region)
                & (kms_keys.c.key_id == kms_aliases.c.key_id),
            )
            .where(
                kms_aliases.c.account_id == ctx.account_id,
                kms_aliases.c.region == ctx.region,
                kms_keys.c.aws_owned.is_(False),
            )
        )
        if key_filter is not None:
            query = query.where(kms_aliases.c.key_id == key_filter.key_id)
        with ctx.kernel.db.read() as conn:
            rows = conn.execute(query).all()
        entries: dict[str, dict[str, Any]] = {
            row.alias_name: {
                "AliasName": row.alias_name,
                "AliasArn": alias_arn(ctx.account_id, ctx.region, row.alias_name),
                "TargetKeyId": row.key_id,
                "CreationDate": row.created_at,
                "LastUpdatedDate": row.updated_at,
            }
            for row in rows
        }
        if key_filter is None:
            for service in AWS_MANAGED_SERVICES:
                name = AWS_MANAGED_PREFIX + service
                entries.setdefault(
                    name, {"AliasName": name, "AliasArn": alias_arn(ctx.account_id, ctx.region, name)}
                )
        chunk, more = pagination.page([entries[name] for name in sorted(entries)], request, default_limit=50)
        return {"Aliases": chunk, **more}
