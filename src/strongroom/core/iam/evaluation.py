"""The decision: AWS's policy evaluation logic over every policy type that applies.

From "Policy evaluation logic", "Policy evaluation for requests within a single account" and
"Cross-account policy evaluation logic":

1. An explicit Deny in any applicable policy (SCP, resource-based, identity-based,
   permissions boundary, session) decides.
2. Each SCP level must allow (`scps` holds one policy per level of the organization, root
   to account; `combine_policies` merges the policies attached at one level).
3. Same account: a resource-based policy that names the caller itself (IAM user, role
   session, ``*``) allows on its own; one that names the role of a role session allows
   within the permissions boundary and session policies; otherwise an identity-based allow,
   inside the permissions boundary and the session policies, is needed. The account root
   user is allowed everything not denied.
4. Cross account: the caller's side (identity ∩ boundary ∩ session, or the root user) and
   the resource policy must both allow.
5. ``resource_policy_required`` (KMS key policies, role trust policies): the resource policy
   must allow; naming the account (``arn:aws:iam::ACCT:root`` or ``ACCT``) lets the
   account's IAM policies grant, and the root user gets nothing implicitly.
6. A service calling as itself (``service_principal``) is allowed only by a resource policy
   naming that service (or ``*``); identity policies and SCPs do not apply to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache

from strongroom.core.iam.callers import Caller, CallerKind, caller_from
from strongroom.core.iam.context import Context, ContextValue, normalize_context
from strongroom.core.iam.document import Policy, Statement
from strongroom.core.iam.principal_element import PrincipalMatch


class Decision(Enum):
    """The three outcomes, named as the IAM policy simulator names them."""

    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The decision and the policy type that made it, in AWS's AccessDenied phrasing."""

    decision: Decision
    reason: str

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


@lru_cache(maxsize=4096)
def _caller_of(
    principal_arn: str,
    account: str,
    is_root: bool = False,
    service: str | None = None,
    session_arn: str | None = None,
) -> Caller:
    """`caller_from`, once per distinct caller (a Caller is immutable; parsing the ARN is not free)."""
    return caller_from(principal_arn, account, is_root=is_root, service=service, session_arn=session_arn)


@dataclass(frozen=True, init=False)
class AuthzRequest:
    """One request to authorize. ``context`` keys are condition keys, case-insensitive.

    ``principal_arn`` is the caller: a user, an assumed-role session
    (``arn:aws:sts::ACCT:assumed-role/Role/session``), the root (``arn:aws:iam::ACCT:root``) ...
    ``resource_account`` None means the caller's own account.
    """

    action: str
    resource: str
    principal_arn: str
    principal_account: str
    resource_account: str | None = None
    is_root: bool = False
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    service_principal: str | None = None
    _caller: Caller = field(init=False, repr=False, compare=False)
    _action: str = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        action: str,
        resource: str,
        principal_arn: str,
        principal_account: str,
        resource_account: str | None = None,
        is_root: bool = False,
        context: Mapping[str, ContextValue] | None = None,
        service_principal: str | None = None,
    ) -> None:
        # Frozen, so the fields go straight into __dict__: the generated __init__'s
        # object.__setattr__ per field cost more than most decisions (one per authorized call).
        self.__dict__.update(
            action=action,
            resource=resource,
            principal_arn=principal_arn,
            principal_account=principal_account,
            resource_account=resource_account,
            is_root=is_root,
            context={} if context is None else context,
            service_principal=service_principal,
            _caller=_caller_of(principal_arn, principal_account, is_root, service_principal),
            _action=action.lower(),
        )

    @cached_property
    def _context(self) -> Context:
        """Normalized on first read: a decision whose statements test no key never needs it."""
        return normalize_context(self.context)

    @property
    def cross_account(self) -> bool:
        return self.resource_account is not None and self.resource_account != self.principal_account


_NO_CONTEXT: Context = {}  # what a pattern set without policy variables is given: it reads nothing


def _statement_applies(statement: Statement, action: str, resource: str, request: AuthzRequest) -> bool:
    # The context is only fetched (and so only built) for a statement that reads it.
    actions = statement.actions
    context = request._context if actions.templates else _NO_CONTEXT
    if actions.matches(action, context) == statement.not_action:
        return False
    resources = statement.resources
    if resources is not None:
        context = request._context if resources.templates else _NO_CONTEXT
        if resources.matches(resource, context) == statement.not_resource:
            return False
    conditions = statement.conditions
    if conditions:
        context = request._context
        for condition in conditions:
            if not condition.evaluate(context):
                return False
    return True


def _scan(policy: Policy, request: AuthzRequest) -> tuple[bool, bool]:
    """(explicit deny, allow) of a policy without principals."""
    allowed = False
    action, resource = request._action, request.resource
    for statement in policy.statements:
        if (statement.allow and allowed) or not _statement_applies(statement, action, resource, request):
            continue
        if not statement.allow:
            return True, allowed
        allowed = True
    return False, allowed


def _scan_resource_policy(
    policy: Policy, request: AuthzRequest, caller: Caller, bounded: bool
) -> tuple[bool, PrincipalMatch]:
    """(explicit deny, strongest principal match among the allowing statements)."""
    best = PrincipalMatch.NONE
    action, resource = request._action, request.resource
    for statement in policy.statements:
        principals = statement.principals
        if principals is None:
            continue
        if statement.not_principal:
            # AWS: a NotPrincipal Deny always denies an IAM principal that has a permissions boundary.
            spared = not (bounded and caller.is_iam_principal) and principals.excludes(caller)
            strength = PrincipalMatch.NONE if spared else PrincipalMatch.DIRECT
        else:
            strength = principals.match(caller)
        if strength is PrincipalMatch.NONE or (statement.allow and strength <= best):
            continue
        if not _statement_applies(statement, action, resource, request):
            continue
        if not statement.allow:
            return True, best
        best = strength
    return False, best


def _deny(policy_type: str) -> Evaluation:
    return Evaluation(Decision.EXPLICIT_DENY, f"explicit deny in {policy_type}")


def _implicit(policy_type: str, action: str) -> Evaluation:
    return Evaluation(Decision.IMPLICIT_DENY, f"no {policy_type} allows the {action} action")


_IDENTITY = "identity-based policy"
_RESOURCE = "resource-based policy"
_BOUNDARY = "permissions boundary"
_SESSION = "session policy"
_SCP = "service control policy"

# The allowing outcomes, built once (an Evaluation is immutable).
_BY_RESOURCE = Evaluation(Decision.ALLOW, f"allowed by a {_RESOURCE}")
_BY_IDENTITY = Evaluation(Decision.ALLOW, f"allowed by an {_IDENTITY}")
_BY_BOTH = Evaluation(Decision.ALLOW, f"allowed by an {_IDENTITY} and a {_RESOURCE}")
_BY_ROOT = Evaluation(Decision.ALLOW, "the account root user has full access to its account")


def evaluate(
    request: AuthzRequest,
    *,
    identity_policies: Sequence[Policy] = (),
    resource_policy: Policy | None = None,
    session_policies: Sequence[Policy] = (),
    permissions_boundary: Policy | None = None,
    scps: Sequence[Policy] = (),
    resource_policy_required: bool = False,
    role_session_arn_also: str | None = None,
) -> Evaluation:
    """Decide one request. ``role_session_arn_also`` names the session when the caller is
    given as its role's ARN, so that a resource policy naming the session is recognised."""
    caller = request._caller
    if role_session_arn_also is not None and caller.kind is CallerKind.ROLE:
        caller = _caller_of(
            request.principal_arn, request.principal_account, session_arn=role_session_arn_also
        )
    action = request.action

    if caller.kind is CallerKind.SERVICE:
        return _evaluate_service(request, caller, resource_policy)

    # 1. explicit deny anywhere
    allowed_by_identity = False
    for policy in identity_policies:
        denied, allowed = _scan(policy, request)
        if denied:
            return _deny(f"an {_IDENTITY}")
        allowed_by_identity = allowed_by_identity or allowed
    resource_match = PrincipalMatch.NONE
    if resource_policy is not None:
        denied, resource_match = _scan_resource_policy(
            resource_policy, request, caller, bounded=permissions_boundary is not None
        )
        if denied:
            return _deny(f"a {_RESOURCE}")
    scp_levels_allowing = 0
    for policy in scps:
        denied, allowed = _scan(policy, request)
        if denied:
            return _deny(f"a {_SCP}")
        scp_levels_allowing += allowed
    is_root = caller.kind is CallerKind.ROOT
    boundary_allows = True
    if permissions_boundary is not None and not is_root:
        denied, boundary_allows = _scan(permissions_boundary, request)
        if denied:
            return _deny(f"a {_BOUNDARY}")
    session_allows = True
    if session_policies and not is_root:
        session_allows = False
        for policy in session_policies:
            denied, allowed = _scan(policy, request)
            if denied:
                return _deny(f"a {_SESSION}")
            session_allows = session_allows or allowed

    # 2. every SCP level must allow
    if scp_levels_allowing < len(scps):
        return _implicit(_SCP, action)

    # 4. cross account: both sides
    if request.cross_account:
        refusal = _identity_side(is_root, allowed_by_identity, boundary_allows, session_allows, action)
        if refusal is not None:
            return refusal
        if resource_match is PrincipalMatch.NONE:
            return _implicit(_RESOURCE, action)
        return _BY_BOTH

    # 3 and 5. same account
    if resource_match is PrincipalMatch.DIRECT:
        return _BY_RESOURCE
    if resource_match is PrincipalMatch.ROLE:
        if not boundary_allows:
            return _implicit(_BOUNDARY, action)
        if not session_allows:
            return _implicit(_SESSION, action)
        return _BY_RESOURCE
    if resource_policy_required and resource_match is PrincipalMatch.NONE:
        return _implicit(_RESOURCE, action)
    if is_root and not resource_policy_required:
        return _BY_ROOT
    refusal = _identity_side(is_root, allowed_by_identity, boundary_allows, session_allows, action)
    if refusal is not None:
        return refusal
    return _BY_IDENTITY


def _identity_side(
    is_root: bool, identity_allows: bool, boundary_allows: bool, session_allows: bool, action: str
) -> Evaluation | None:
    """None when the caller's own policies allow; else why not."""
    if is_root:
        return None
    if not identity_allows:
        return _implicit(_IDENTITY, action)
    if not boundary_allows:
        return _implicit(_BOUNDARY, action)
    if not session_allows:
        return _implicit(_SESSION, action)
    return None


def _evaluate_service(request: AuthzRequest, caller: Caller, resource_policy: Policy | None) -> Evaluation:
    if resource_policy is None:
        return _implicit(_RESOURCE, request.action)
    denied, match = _scan_resource_policy(resource_policy, request, caller, bounded=False)
    if denied:
        return _deny(f"a {_RESOURCE}")
    if match is PrincipalMatch.NONE:
        return _implicit(_RESOURCE, request.action)
    return _BY_RESOURCE
