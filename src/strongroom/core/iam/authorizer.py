"""One call to decide a request: load the caller's policies, add the global keys, evaluate.

Handlers never evaluate policies themselves; they call `RequestContext.authorize`, which lands here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import bindparam, select

from strongroom.core.cache import StampedCache
from strongroom.core.iam.context import SCALARS, PreparedContext, Scalar, normal_value, normalize_context
from strongroom.core.iam.document import Policy, parse_policy
from strongroom.core.iam.evaluation import AuthzRequest, Decision, Evaluation, evaluate
from strongroom.core.iam.identity import load_identity_documents
from strongroom.core.iam.principals import Principal
from strongroom.core.iam.tables import iam_tags
from strongroom.core.store import Database


@dataclass(frozen=True, init=False)
class RequestFacts:
    """What the request itself tells the policy engine (the global condition keys' sources)."""

    region: str
    now: datetime
    source_ip: str
    secure_transport: bool
    user_agent: str = ""
    called_via: tuple[str, ...] = ()
    via_aws_service: bool = False
    request_tags: Mapping[str, str] = field(default_factory=dict)

    def __init__(
        self,
        region: str,
        now: datetime,
        source_ip: str,
        secure_transport: bool,
        user_agent: str = "",
        called_via: tuple[str, ...] = (),
        via_aws_service: bool = False,
        request_tags: Mapping[str, str] | None = None,
    ) -> None:
        # Frozen, so the fields go straight into __dict__ (object.__setattr__ per field is slow).
        self.__dict__.update(
            region=region,
            now=now,
            source_ip=source_ip,
            secure_transport=secure_transport,
            user_agent=user_agent,
            called_via=called_via,
            via_aws_service=via_aws_service,
            request_tags={} if request_tags is None else request_tags,
        )


@lru_cache(maxsize=4096)
def parsed(document: str, kind: str = "identity") -> Policy:
    """Stored documents were validated on the way in; parse each distinct text once per process."""
    return parse_policy(document, kind=kind)  # type: ignore[arg-type]


class Authorizer:
    """Evaluates requests with the identity policies stored for the principal.

    A user's or role's stored policies (parsed) and tags are read once and kept in the node's "iam"
    cache (`core/cache.py`), which every IAM write drops at once on every worker.
    """

    def __init__(self, db: Database, cache: StampedCache[object, object] | None = None) -> None:
        self._db = db
        self._cache: StampedCache[object, object] = cache or StampedCache(None, ttl=0.0)

    def evaluate(
        self,
        principal: Principal,
        action: str,
        resource: str,
        facts: RequestFacts | Callable[[], RequestFacts],
        *,
        resource_policy: str | Policy | None = None,
        resource_account: str | None = None,
        resource_tags: Mapping[str, str] | None = None,
        context_keys: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
        resource_policy_required: bool = False,
    ) -> Evaluation:
        """Decide one request.

        `facts` and `context_keys` may be callables that gather them: they are called only when
        a statement reads a condition key (most decisions read none).
        """
        identity = self._identity(principal)

        def context() -> dict[str, Scalar | tuple[Scalar, ...]]:
            # A user's or role's own tags, then its session's (which override them).
            tags = () if identity is _NO_IDENTITY else identity.tags + principal.tags
            return request_context(
                principal,
                facts if isinstance(facts, RequestFacts) else facts(),
                tags,
                resource_tags,
                context_keys() if callable(context_keys) else context_keys,
            )

        request = AuthzRequest(
            action=action,
            resource=resource,
            principal_arn=principal.arn,
            principal_account=principal.account_id,
            resource_account=resource_account,
            is_root=principal.type == "Root",
            context=PreparedContext(context),
            service_principal=principal.arn if principal.type == "AWSService" else None,
        )
        if isinstance(resource_policy, str):
            resource_policy = parsed(resource_policy, "resource")
        session = principal.session_policies
        return evaluate(
            request,
            identity_policies=identity.policies,
            resource_policy=resource_policy,
            session_policies=[parsed(d, "session") for d in session] if session else (),
            permissions_boundary=identity.boundary,
            resource_policy_required=resource_policy_required,
            role_session_arn_also=principal.arn if principal.type == "AssumedRole" else None,
        )

    def _identity(self, principal: Principal) -> _Identity:
        if principal.type == "IAMUser":
            kind, name = "user", (principal.user_name or "").lower()
        elif principal.type == "AssumedRole":
            kind, name = "role", (principal.role_name or "").lower()
        else:
            return _NO_IDENTITY
        loaded = self._cache.get(
            ("identity", principal.account_id, kind, name), lambda: self._load_identity(principal, kind, name)
        )
        return cast(_Identity, loaded)

    def _load_identity(self, principal: Principal, kind: str, name: str) -> _Identity:
        with self._db.read() as conn:
            documents = load_identity_documents(conn, principal)
            tags = tuple(
                (row.tag_key, row.tag_value)
                for row in conn.execute(_TAGS, {"account": principal.account_id, "kind": kind, "key": name})
            )
        boundary = documents.permissions_boundary
        return _Identity(
            tuple(parsed(d) for d in documents.identity), parsed(boundary) if boundary else None, tags
        )


@dataclass(frozen=True, slots=True)
class _Identity:
    """A user's or role's identity-based policies, parsed, its permissions boundary and its tags."""

    policies: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    tags: tuple[tuple[str, str], ...] = ()


_NO_IDENTITY = _Identity()  # the root user, a service: no stored policies, no tags

_TAGS = select(iam_tags.c.tag_key, iam_tags.c.tag_value).where(
    iam_tags.c.account_id == bindparam("account"),
    iam_tags.c.resource_kind == bindparam("kind"),
    iam_tags.c.resource_key == bindparam("key"),
)


def global_context(
    principal: Principal,
    facts: RequestFacts,
    principal_tags: Mapping[str, str],
    resource_tags: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The aws:* condition keys AWS puts in every request context."""
    context: dict[str, Any] = {
        "aws:CurrentTime": facts.now,
        "aws:EpochTime": int(facts.now.timestamp()),
        "aws:SourceIp": facts.source_ip,
        "aws:SecureTransport": facts.secure_transport,
        "aws:RequestedRegion": facts.region,
        "aws:PrincipalArn": principal.role_arn if principal.type == "AssumedRole" else principal.arn,
        "aws:PrincipalAccount": principal.account_id,
        "aws:PrincipalType": principal.type if principal.type != "IAMUser" else "User",
        "aws:userid": principal.principal_id,
        "aws:ViaAWSService": facts.via_aws_service,
        "aws:MultiFactorAuthPresent": principal.mfa_authenticated,
    }
    if facts.user_agent:
        context["aws:UserAgent"] = facts.user_agent
    if principal.type == "IAMUser" and principal.user_name:
        context["aws:username"] = principal.user_name
    if principal.source_identity:
        context["aws:SourceIdentity"] = principal.source_identity
    if principal.temporary and principal.session_issued_at is not None:
        context["aws:TokenIssueTime"] = principal.session_issued_at
    if facts.called_via:
        context["aws:CalledVia"] = list(facts.called_via)
        context["aws:CalledViaFirst"] = facts.called_via[0]
        context["aws:CalledViaLast"] = facts.called_via[-1]
    for key, value in principal_tags.items():
        context[f"aws:PrincipalTag/{key}"] = value
    for key, value in (resource_tags or {}).items():
        context[f"aws:ResourceTag/{key}"] = value
    if facts.request_tags:
        for key, value in facts.request_tags.items():
            context[f"aws:RequestTag/{key}"] = value
        context["aws:TagKeys"] = list(facts.request_tags)
    return context


def request_context(
    principal: Principal,
    facts: RequestFacts,
    principal_tags: tuple[tuple[str, str], ...],
    resource_tags: Mapping[str, str] | None,
    context_keys: Mapping[str, Any] | None,
) -> dict[str, Scalar | tuple[Scalar, ...]]:
    """`global_context` updated with the service's `context_keys`, in normal form at once.

    Exactly ``normalize_context(global_context(...) | context_keys)``, without building the
    mixed-case dict first: the fixed keys are written lower-case, the others lower-cased whole,
    in the same order (the later of two keys that differ only in case wins, as there).
    """
    is_user = principal.type == "IAMUser"
    now = facts.now
    context: dict[str, Scalar | tuple[Scalar, ...]] = {
        "aws:currenttime": now,
        "aws:epochtime": int(now.timestamp()),
        "aws:sourceip": facts.source_ip,
        "aws:securetransport": facts.secure_transport,
        "aws:requestedregion": facts.region,
        "aws:principalarn": principal.role_arn if principal.type == "AssumedRole" else principal.arn,  # type: ignore[dict-item]
        "aws:principalaccount": principal.account_id,
        "aws:principaltype": "User" if is_user else principal.type,
        "aws:userid": principal.principal_id,
        "aws:viaawsservice": facts.via_aws_service,
        "aws:multifactorauthpresent": principal.mfa_authenticated,
    }
    if facts.user_agent:
        context["aws:useragent"] = facts.user_agent
    if is_user and principal.user_name:
        context["aws:username"] = principal.user_name
    if principal.source_identity:
        context["aws:sourceidentity"] = principal.source_identity
    if principal.temporary and principal.session_issued_at is not None:
        context["aws:tokenissuetime"] = principal.session_issued_at
    called_via = facts.called_via
    if called_via:
        context["aws:calledvia"] = tuple(called_via)
        context["aws:calledviafirst"] = called_via[0]
        context["aws:calledvialast"] = called_via[-1]
    if principal_tags:
        for key, value in dict(principal_tags).items():
            context[f"aws:PrincipalTag/{key}".lower()] = normal_value(value)
    if resource_tags:
        for key, value in resource_tags.items():
            context[f"aws:ResourceTag/{key}".lower()] = normal_value(value)
    request_tags = facts.request_tags
    if request_tags:
        for key, value in request_tags.items():
            context[f"aws:RequestTag/{key}".lower()] = normal_value(value)
        context["aws:tagkeys"] = tuple(request_tags)
    if context_keys:
        for key, value in context_keys.items():
            lowered = key.lower()
            if lowered in context:
                # Two spellings of one key (a service key overriding a global one): let the plain
                # dict update and normalization decide which wins, as they always have.
                merged = global_context(principal, facts, dict(principal_tags), resource_tags)
                merged.update(context_keys)
                return normalize_context(merged)
            context[lowered] = value if isinstance(value, SCALARS) else tuple(value)
    return context


def denial_message(principal: Principal, action: str, resource: str, evaluation: Evaluation) -> str:
    """AWS's AccessDenied wording, naming the policy type that decided."""
    who = {"Root": "User", "IAMUser": "User", "AssumedRole": "User"}.get(principal.type, "User")
    reason = evaluation.reason
    if evaluation.decision is Decision.EXPLICIT_DENY and not reason.startswith("with"):
        reason = f"with an {reason}"
    elif evaluation.decision is Decision.IMPLICIT_DENY and not reason.startswith("because"):
        reason = f"because {reason}"
    return f"{who}: {principal.arn} is not authorized to perform: {action} on resource: {resource} {reason}"
