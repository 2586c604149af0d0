"""PutParameter, GetParameter(s), DeleteParameter(s): check, authorize, act, record.

PutParameter encrypts a SecureString through KMS *before* its write transaction (KMS may write
too, e.g. the first use of `alias/aws/ssm` creates that key), then re-checks in the transaction
what the encryption depended on (the tier decides Encrypt or envelope encryption): a concurrent
change in between is answered TooManyUpdates, as AWS answers concurrent updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError
from strongroom.services.ssm import (
    errors,
    names,
    notify,
    parameters,
    policies,
    policy_jobs,
    public,
    read_cache,
    references,
    secure,
    settings,
    tags,
    tiers,
    values,
)
from strongroom.services.ssm.names import InvalidSelector, Selector, parameter_arn, parse_selector
from strongroom.services.ssm.parameters import Scope, Version
from strongroom.services.ssm.policies import Policy

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

Request = dict[str, Any]
Result = dict[str, Any]
PARAMETER_TYPE = "AWS::SSM::Parameter"


@dataclass(frozen=True)
class Plan:
    """What a PutParameter will write, decided from the request and the parameter's current state."""

    type: str
    tier: str
    key_id: str | None
    description: str | None
    allowed_pattern: str | None
    data_type: str
    policies: list[Policy]
    policies_given: bool
    existing: Version | None

    @property
    def advanced(self) -> bool:
        return self.tier == tiers.ADVANCED


def scope_of(ctx: RequestContext) -> Scope:
    return Scope(ctx.account_id, ctx.region)


class ParametersApi:
    """The parameter operations of SsmApi."""

    kernel: Kernel

    # -- PutParameter ----------------------------------------------------------------------------

    def put_parameter(self, ctx: RequestContext, request: Request) -> Result:
        scope = scope_of(ctx)
        name = request["Name"]
        names.check_name(name, ctx.region, ctx.account_id)
        arn = parameter_arn(ctx.region, ctx.account_id, name)
        new_tags = tags.tag_map(request.get("Tags"))
        ctx.authorize("ssm:PutParameter", arn, request_tags=new_tags or None)
        if new_tags and request.get("Overwrite"):
            raise errors.validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with "
                "tags, please remove overwrite flag. To update tags for an existing parameter, please use "
                "AddTagsToResource or RemoveTagsFromResource."
            )
        value = request["Value"]
        if not value:
            raise errors.validation(
                "1 validation error detected: Value at 'value' failed to satisfy constraint: "
                "Member must have length greater than or equal to 1"
            )
        now = ctx.now()
        with self.kernel.db.read() as conn:
            plan = _plan(conn, scope, request, now)
        ciphertext = None
        if plan.type == values.SECURE_STRING:
            assert plan.key_id is not None
            ciphertext = secure.encrypt(
                ctx, arn=arn, key_id=plan.key_id, plaintext=value, advanced=plan.advanced
            )
        with self.kernel.db.write() as conn:
            if parameters.find_parameter(conn, scope, name, for_update=True) is None:
                self.kernel.db.lock(conn, f"ssm:create:{scope.account_id}:{scope.region}")
            again = _plan(conn, scope, request, now)
            if (again.tier, again.type, again.key_id) != (plan.tier, plan.type, plan.key_id):
                raise ServiceError(
                    "TooManyUpdates",
                    "There are concurrent updates for the resource that you're trying to update. "
                    "Please try again.",
                )
            version_number = again.existing.version + 1 if again.existing else 1
            if again.existing is None:
                parameters.create(conn, scope, name, again.tier, now)
            version = Version(
                name=name,
                version=version_number,
                type=again.type,
                value=None if ciphertext is not None else value,
                ciphertext=ciphertext,
                key_id=again.key_id,
                description=again.description,
                allowed_pattern=again.allowed_pattern,
                data_type=again.data_type,
                tier=again.tier,
                policies=again.policies,
                modified_at=now,
                modified_by=ctx.principal.arn,
            )
            parameters.add_version(conn, scope, version, policies.dump(again.policies))
            if new_tags:
                tags.put(conn, scope, name, new_tags)
            policy_jobs.reschedule(conn, scope, name, version_number, again.policies, now)
            operation = "Update" if again.existing else "Create"
            notify.change(self.kernel, conn, scope, operation, name, again.type, again.description)
        ctx.audit_resources.append((PARAMETER_TYPE, arn))
        return {"Version": version_number, "Tier": again.tier}

    # -- GetParameter(s) -------------------------------------------------------------------------

    def get_parameter(self, ctx: RequestContext, request: Request) -> Result:
        text, decrypt = request["Name"], bool(request.get("WithDecryption"))
        if references.is_reference(text):
            ctx.authorize("ssm:GetParameter", _reserved_arn(ctx, text))
            return {"Parameter": references.get(ctx, text, with_decryption=decrypt)}
        try:
            selector = parse_selector(text, ctx.region, ctx.account_id)
        except InvalidSelector:
            raise errors.validation(f"Invalid parameter name: {text}.") from None
        if public.is_public(selector.name):
            ctx.authorize("ssm:GetParameter", names.public_arn(ctx.region, selector.name))
            found = _public_parameter(ctx, selector)
            if found is None:
                raise errors.parameter_not_found()
            return {"Parameter": found}
        arn = parameter_arn(ctx.region, ctx.account_id, selector.name)
        looked_up = read_cache.lookup(self.kernel, ctx.account_id, ctx.region, selector)
        ctx.authorize("ssm:GetParameter", arn, resource_tags=looked_up.tags)
        version = looked_up.found()
        ctx.audit_resources.append((PARAMETER_TYPE, arn))
        return {"Parameter": _parameter(ctx, version, selector, decrypt, looked_up.arn)}

    def get_parameters(self, ctx: RequestContext, request: Request) -> Result:
        decrypt = bool(request.get("WithDecryption"))
        found: list[Result] = []  # references first, then public parameters, then the account's
        public_found: list[Result] = []
        invalid: list[str] = []  # unreadable names first, then names that are not found
        not_found: list[str] = []
        resolved: list[tuple[Version, Selector, str]] = []
        for text in dict.fromkeys(request["Names"]):
            if references.is_reference(text):
                ctx.authorize("ssm:GetParameters", _reserved_arn(ctx, text))
                try:
                    found.append(references.get(ctx, text, with_decryption=decrypt))
                except ServiceError as exc:
                    if exc.code != "ParameterNotFound":
                        raise
                    invalid.append(text)
                continue
            try:
                selector = parse_selector(text, ctx.region, ctx.account_id)
            except InvalidSelector:
                invalid.append(text)
                continue
            if public.is_public(selector.name):
                ctx.authorize("ssm:GetParameters", names.public_arn(ctx.region, selector.name))
                parameter = _public_parameter(ctx, selector)
                if parameter is None:
                    not_found.append(text)
                else:
                    public_found.append(parameter)
                continue
            arn = parameter_arn(ctx.region, ctx.account_id, selector.name)
            looked_up = read_cache.lookup(self.kernel, ctx.account_id, ctx.region, selector)
            ctx.authorize("ssm:GetParameters", arn, resource_tags=looked_up.tags)
            if looked_up.version is None:
                not_found.append(text)
            else:
                resolved.append((looked_up.version, selector, looked_up.arn))
        found += public_found
        invalid += not_found
        for version, selector, version_arn in resolved:
            ctx.audit_resources.append((PARAMETER_TYPE, version_arn))
            found.append(_parameter(ctx, version, selector, decrypt, version_arn))
        return {"Parameters": found, "InvalidParameters": invalid}

    # -- DeleteParameter(s) ----------------------------------------------------------------------

    def delete_parameter(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        if names.is_reserved(name):
            raise errors.reserved_name(name)
        arn = parameter_arn(ctx.region, ctx.account_id, name)
        ctx.authorize("ssm:DeleteParameter", arn)
        with self.kernel.db.write() as conn:
            if not self._delete(conn, scope_of(ctx), name):
                raise errors.parameter_not_found(f"Parameter {name} not found.")
        ctx.audit_resources.append((PARAMETER_TYPE, arn))
        return {}

    def delete_parameters(self, ctx: RequestContext, request: Request) -> Result:
        scope = scope_of(ctx)
        wanted = list(dict.fromkeys(request["Names"]))
        for name in wanted:
            if names.is_reserved(name):
                raise errors.reserved_name(name)
            ctx.authorize("ssm:DeleteParameters", parameter_arn(ctx.region, ctx.account_id, name))
        deleted: list[str] = []
        invalid: list[str] = []
        with self.kernel.db.write() as conn:
            for name in wanted:
                (deleted if self._delete(conn, scope, name) else invalid).append(name)
        for name in deleted:
            ctx.audit_resources.append((PARAMETER_TYPE, parameter_arn(ctx.region, ctx.account_id, name)))
        return {"DeletedParameters": deleted, "InvalidParameters": invalid}

    def _delete(self, conn: Connection, scope: Scope, name: str) -> bool:
        current = parameters.latest(conn, scope, name)
        if current is None:
            return False
        policy_jobs.cancel(conn, scope, name)
        parameters.remove(conn, scope, name)
        notify.change(self.kernel, conn, scope, "Delete", name, current.type, current.description)
        return True


# -- the plan of a put ---------------------------------------------------------------------------


def _plan(conn: Connection, scope: Scope, request: Request, now: datetime) -> Plan:
    name, value = request["Name"], request["Value"]
    existing = parameters.latest(conn, scope, name)
    if existing is not None and not request.get("Overwrite"):
        raise errors.already_exists()
    parameter_type = request.get("Type") or (existing.type if existing else None)
    if parameter_type is None:
        raise errors.validation("A parameter type is required when you create a parameter.")
    if existing is not None and parameter_type != existing.type:
        raise errors.type_mismatch()
    key_id = request.get("KeyId")
    if key_id and parameter_type != values.SECURE_STRING:
        raise errors.validation("KeyId is required for SecureString type parameter only.")
    if parameter_type == values.SECURE_STRING and not key_id:
        key_id = existing.key_id if existing and existing.key_id else secure.DEFAULT_KEY_ID
    data_type = request.get("DataType") or (existing.data_type if existing else values.TEXT)
    values.check_data_type(data_type, parameter_type, value)
    allowed_pattern = request.get("AllowedPattern")
    if allowed_pattern is None and existing is not None:
        allowed_pattern = existing.allowed_pattern
    if allowed_pattern:
        values.check_pattern(allowed_pattern, value)
    policies_given = request.get("Policies") is not None
    if policies_given:
        chosen_policies = policies.parse(request["Policies"], now)
    elif existing is not None:
        # A put without Policies keeps the parameter's; the parameter just changed, so a
        # NoChangeNotification counts again from now.
        chosen_policies = [
            Policy(p.type, p.text, p.attributes, policies.PENDING)
            if p.type == policies.NO_CHANGE_NOTIFICATION
            else p
            for p in existing.policies
        ]
    else:
        chosen_policies = []
    requested_tier = request.get("Tier") or settings.default_tier(conn, scope)
    current_tier = existing.tier if existing else None
    if existing is not None and request.get("Tier") is None and current_tier == tiers.ADVANCED:
        requested_tier = tiers.ADVANCED  # an update without Tier never downgrades
    standard_count = (
        parameters.count_in_tier(conn, scope, tiers.STANDARD)
        if existing is None and requested_tier in (tiers.STANDARD, tiers.INTELLIGENT)
        else 0
    )
    tier = tiers.choose_tier(
        requested_tier,
        value_length=len(value),
        has_policies=bool(chosen_policies),
        current=current_tier,
        standard_count=standard_count,
    )
    tiers.check_value(tier, len(value))
    tiers.check_policies_allowed(tier, bool(chosen_policies))
    if existing is None:
        count = standard_count if tier == tiers.STANDARD else parameters.count_in_tier(conn, scope, tier)
        tiers.check_quota(tier, count)
    return Plan(
        type=parameter_type,
        tier=tier,
        key_id=key_id if parameter_type == values.SECURE_STRING else None,
        description=request.get("Description")
        if "Description" in request
        else (existing.description if existing else None),
        allowed_pattern=allowed_pattern or None,
        data_type=data_type,
        policies=chosen_policies,
        policies_given=policies_given,
        existing=existing,
    )


# -- rendering -----------------------------------------------------------------------------------


def shown_value(ctx: RequestContext, version: Version, decrypt: bool, arn: str | None = None) -> str:
    """The Value a read returns; `arn` is the version's parameter ARN when the caller has it."""
    if version.type != values.SECURE_STRING:
        return version.value or ""
    assert version.ciphertext is not None
    if not decrypt:
        return secure.shown(version.ciphertext)
    if arn is None:
        arn = parameter_arn(ctx.region, ctx.account_id, version.name)
    return secure.decrypt(
        ctx, arn=arn, ciphertext=version.ciphertext, advanced=version.tier == tiers.ADVANCED
    )


def _parameter(ctx: RequestContext, version: Version, selector: Selector, decrypt: bool, arn: str) -> Result:
    result: Result = {
        "Name": version.name,
        "Type": version.type,
        "Value": shown_value(ctx, version, decrypt, arn),
        "Version": version.version,
        "LastModifiedDate": version.modified_at,
        "ARN": arn,
        "DataType": version.data_type,
    }
    if selector.suffix is not None:
        result["Selector"] = selector.suffix
    return result


def _public_parameter(ctx: RequestContext, selector: Selector) -> Result | None:
    value = public.catalog().get(selector.name)
    if value is None or selector.label is not None or selector.version not in (None, 1):
        return None
    result: Result = {
        "Name": selector.name,
        "Type": values.STRING,
        "Value": value,
        "Version": 1,
        "LastModifiedDate": public.PUBLISHED,
        "ARN": names.public_arn(ctx.region, selector.name),
        "DataType": values.TEXT,
    }
    if selector.suffix is not None:
        result["Selector"] = selector.suffix
    return result


def _reserved_arn(ctx: RequestContext, name: str) -> str:
    return parameter_arn(ctx.region, ctx.account_id, name.split(":", 1)[0])
