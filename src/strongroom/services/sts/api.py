"""AWS STS: who am I, role sessions, session tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AccessDenied, ServiceError
from strongroom.aws.service import ServiceApi
from strongroom.core.iam.authorizer import parsed
from strongroom.core.iam.credentials import IssuedCredentials
from strongroom.core.iam.principals import Principal
from strongroom.services.sts.sessions import (
    find_role,
    packed_policy_size,
    session_duration,
    session_policy_documents,
)

MAX_SESSION_TOKEN_SECONDS = 129600
MAX_ROOT_SESSION_TOKEN_SECONDS = 3600


class StsApi(ServiceApi):
    model_name = "sts"
    access_denied = ("AccessDenied", 403)
    inline_operations = frozenset({"GetCallerIdentity"})  # the caller's identity is all it needs

    def get_caller_identity(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        # Always allowed: AWS evaluates no policy for GetCallerIdentity, not even an explicit deny.
        p = ctx.principal
        return {"UserId": p.principal_id, "Account": p.account_id, "Arn": p.arn}

    def assume_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        caller = ctx.principal
        role_arn: str = request["RoleArn"]
        session_name: str = request["RoleSessionName"]
        if caller.is_root:
            raise AccessDenied("Roles may not be assumed by root accounts.", code="AccessDenied", status=403)
        tags = [(t["Key"], t["Value"]) for t in request.get("Tags") or []]
        if len({k.lower() for k, _ in tags}) != len(tags):
            raise ServiceError(
                "InvalidParameterValue",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            )
        with ctx.kernel.db.read() as conn:
            role = find_role(conn, role_arn)
            documents = session_policy_documents(conn, request)
        context_keys: dict[str, Any] = {"sts:RoleSessionName": session_name}
        if request.get("ExternalId") is not None:
            context_keys["sts:ExternalId"] = request["ExternalId"]
        if request.get("SourceIdentity") is not None:
            context_keys["sts:SourceIdentity"] = request["SourceIdentity"]
        if request.get("TransitiveTagKeys"):
            context_keys["sts:TransitiveTagKeys"] = list(request["TransitiveTagKeys"])
        if role is None:
            # AWS does not reveal whether the role exists: a missing role is a denial.
            raise AccessDenied(
                f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                code="AccessDenied",
                status=403,
            )
        ctx.audit_resources.append(("AWS::IAM::Role", role.arn))
        trust = parsed(role.trust_policy, "trust")
        ctx.authorize(
            "sts:AssumeRole",
            role.arn,
            resource_policy=trust,
            resource_account=role.account_id,
            request_tags=dict(tags),
            context_keys=context_keys,
            # A trust policy decides like a key policy: naming the account delegates to IAM policies.
            resource_policy_required=True,
        )
        for action, needed in (
            ("sts:TagSession", bool(tags)),
            ("sts:SetSourceIdentity", "SourceIdentity" in request),
        ):
            if needed:
                ctx.authorize(
                    action,
                    role.arn,
                    resource_policy=trust,
                    resource_account=role.account_id,
                    request_tags=dict(tags),
                    context_keys=context_keys,
                    resource_policy_required=True,
                )
        # Role chaining caps the session at one hour, as on AWS.
        maximum = 3600 if caller.type == "AssumedRole" else role.max_session_duration
        duration = session_duration(request, maximum)
        now = ctx.now()
        session = Principal(
            account_id=role.account_id,
            type="AssumedRole",
            arn=f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{session_name}",
            principal_id=f"{role.role_id}:{session_name}",
            role_name=role.name,
            role_id=role.role_id,
            role_arn=role.arn,
            session_name=session_name,
            session_policies=documents,
            tags=tuple(tags),
            source_identity=request.get("SourceIdentity") or caller.source_identity,
            temporary=True,
        )
        issued = ctx.kernel.credentials.issue_session(session, now + duration)
        result: dict[str, Any] = {
            "Credentials": _credentials(issued),
            "AssumedRoleUser": {"AssumedRoleId": session.principal_id, "Arn": session.arn},
            "PackedPolicySize": packed_policy_size(documents, tags),
        }
        if session.source_identity:
            result["SourceIdentity"] = session.source_identity
        return result

    def get_session_token(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        caller = ctx.principal
        if caller.temporary:
            raise AccessDenied(
                "Cannot call GetSessionToken with session credentials", code="AccessDenied", status=403
            )
        ctx.authorize("sts:GetSessionToken", "*")
        maximum = MAX_ROOT_SESSION_TOKEN_SECONDS if caller.is_root else MAX_SESSION_TOKEN_SECONDS
        seconds = min(int(request.get("DurationSeconds") or 43200), maximum)
        issued = ctx.kernel.credentials.issue_session(
            Principal(
                account_id=caller.account_id,
                type=caller.type,
                arn=caller.arn,
                principal_id=caller.principal_id,
                user_name=caller.user_name,
                mfa_authenticated=False,
                temporary=True,
            ),
            ctx.now() + timedelta(seconds=seconds),
        )
        return {"Credentials": _credentials(issued)}


def _credentials(issued: IssuedCredentials) -> dict[str, Any]:
    return {
        "AccessKeyId": issued.access_key_id,
        "SecretAccessKey": issued.secret_access_key,
        "SessionToken": issued.session_token,
        "Expiration": issued.expiration,
    }
