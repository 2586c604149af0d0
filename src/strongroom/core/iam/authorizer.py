"""One call to decide a request: load the caller's policies, add the global keys, evaluate.

Handlers never evaluate policies themselves; they call `RequestContext.authorize`, which lands here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import bindparam, select

from strongroom.core.cache import StampedCache
from strongroom.core.iam.document import Policy, parse_policy
from strongroom.core.iam.evaluation import AuthzRequest, Decision, Evaluation, evaluate
from strongroom.core.iam.identity import IdentityDocuments, load_identity_documents
from strongroom.core.iam.principals import Principal
from strongroom.core.iam.tables import iam_tags
from strongroom.core.store import Database


@dataclass(frozen=True)
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


@lru_cache(maxsize=4096)
def parsed(document: str, kind: str = "identity") -> Policy:
    """Stored documents were validated on the way in; parse each distinct text once per process."""
    return parse_policy(document, kind=kind)  # type: ignore[arg-type]


class Authorizer:
    """Evaluates requests with the identity policies stored for the principal.

    A user's or role's stored policies and tags are read once and kept in the node's "iam" cache
    (`core/cache.py`), which every IAM write drops at once on every worker.
    """

    def __init__(self, db: Database, cache: StampedCache[object, object] | None = None) -> None:
        self._db = db
        self._cache: StampedCache[object, object] = cache or StampedCache(None, ttl=0.0)

    def evaluate(
        self,
        principal: Principal,
        action: str,
        resource: str,
        facts: RequestFacts,
        *,
        resource_policy: str | Policy | None = None,
        resource_account: str | None = None,
        resource_tags: Mapping[str, str] | None = None,
        context_keys: Mapping[str, Any] | None = None,
        resource_policy_required: bool = False,
    ) -> Evaluation:
        documents, principal_tags = self._identity(principal)
        context = global_context(principal, facts, principal_tags, resource_tags)
        if context_keys:
            context.update(context_keys)
        request = AuthzRequest(
            action=action,
            resource=resource,
            principal_arn=principal.arn,
            principal_account=principal.account_id,
            resource_account=resource_account,
            is_root=principal.is_root,
            context=context,
            service_principal=principal.arn if principal.type == "AWSService" else None,
        )
        if isinstance(resource_policy, str):
            resource_policy = parsed(resource_policy, "resource")
        role_arn_session = principal.arn if principal.type == "AssumedRole" else None
        return evaluate(
            request,
            identity_policies=[parsed(d) for d in documents.identity],
            resource_policy=resource_policy,
            session_policies=[parsed(d, "session") for d in principal.session_policies],
            permissions_boundary=parsed(documents.permissions_boundary)
            if documents.permissions_boundary
            else None,
            resource_policy_required=resource_policy_required,
            role_session_arn_also=role_arn_session,
        )

    def _identity(self, principal: Principal) -> tuple[IdentityDocuments, dict[str, str]]:
        if principal.type not in ("IAMUser", "AssumedRole"):
            return IdentityDocuments(), {}
        kind, name = (
            ("user", (principal.user_name or "").lower())
            if principal.type == "IAMUser"
            else ("role", (principal.role_name or "").lower())
        )
        loaded = self._cache.get(
            ("identity", principal.account_id, kind, name), lambda: self._load_identity(principal, kind, name)
        )
        documents, stored_tags = cast("tuple[IdentityDocuments, tuple[tuple[str, str], ...]]", loaded)
        tags = dict(stored_tags)
        tags.update(principal.tag_map)  # session tags override the role's own tags
        return documents, tags

    def _load_identity(
        self, principal: Principal, kind: str, name: str
    ) -> tuple[IdentityDocuments, tuple[tuple[str, str], ...]]:
        with self._db.read() as conn:
            documents = load_identity_documents(conn, principal)
            tags = tuple(
                (row.tag_key, row.tag_value)
                for row in conn.execute(_TAGS, {"account": principal.account_id, "kind": kind, "key": name})
            )
        return documents, tags


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


def denial_message(principal: Principal, action: str, resource: str, evaluation: Evaluation) -> str:
    """AWS's AccessDenied wording, naming the policy type that decided."""
    who = {"Root": "User", "IAMUser": "User", "AssumedRole": "User"}.get(principal.type, "User")
    reason = evaluation.reason
    if evaluation.decision is Decision.EXPLICIT_DENY and not reason.startswith("with"):
        reason = f"with an {reason}"
    elif evaluation.decision is Decision.IMPLICIT_DENY and not reason.startswith("because"):
        reason = f"because {reason}"
    return f"{who}: {principal.arn} is not authorized to perform: {action} on resource: {resource} {reason}"
