"""RequestContext: everything a handler needs about one call, and the two calls it makes.

`ctx.authorize(...)` decides with the kernel's policy engine; `ctx.call(service, op, params)`
calls another service the way AWS services call each other: the caller's principal,
`aws:CalledVia` extended, `kms:ViaService` set, the callee's own authorization, quotas and audit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from strongroom.aws.errors import AccessDenied
from strongroom.core.iam.authorizer import RequestFacts, denial_message
from strongroom.core.iam.document import Policy
from strongroom.core.iam.evaluation import Decision, Evaluation
from strongroom.core.iam.principals import Principal

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel


class Dispatcher(Protocol):
    def invoke(
        self,
        parent: RequestContext,
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        region: str | None = None,
    ) -> dict[str, Any]: ...


@dataclass(slots=True)  # built at least once per call: slots make that and every read cheaper
class RequestContext:
    """One call: who, where, when, and the kernel it runs on."""

    kernel: Kernel
    dispatcher: Dispatcher
    service: str
    operation: str
    region: str
    principal: Principal
    request_id: str
    source_ip: str
    user_agent: str
    secure_transport: bool
    access_denied: tuple[str, int] = ("AccessDeniedException", 400)
    called_via: tuple[str, ...] = ()
    # What the handler adds for the audit record: (resource type, ARN or name).
    audit_resources: list[tuple[str, str]] = field(default_factory=list)
    additional_event_data: dict[str, Any] = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.principal.account_id

    @property
    def partition(self) -> str:
        return "aws"

    def now(self) -> datetime:
        return self.kernel.clock.now()

    def facts(self, request_tags: Mapping[str, str] | None = None) -> RequestFacts:
        return RequestFacts(
            region=self.region,
            now=self.now(),
            source_ip=self.source_ip,
            secure_transport=self.secure_transport,
            user_agent=self.user_agent,
            called_via=self.called_via,
            via_aws_service=bool(self.called_via),
            request_tags=dict(request_tags or {}),
        )

    def evaluate(
        self,
        action: str,
        resource: str,
        *,
        resource_policy: str | Policy | None = None,
        resource_account: str | None = None,
        resource_tags: Mapping[str, str] | None = None,
        request_tags: Mapping[str, str] | None = None,
        context_keys: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
        resource_policy_required: bool = False,
    ) -> Evaluation:
        return self.kernel.authorizer.evaluate(
            self.principal,
            action,
            resource,
            # Gathered (the clock read) only if a statement reads a condition key.
            lambda: self.facts(request_tags),
            resource_policy=resource_policy,
            resource_account=resource_account,
            resource_tags=resource_tags,
            context_keys=context_keys,
            resource_policy_required=resource_policy_required,
        )

    def authorize(
        self,
        action: str,
        resource: str,
        *,
        resource_policy: str | Policy | None = None,
        resource_account: str | None = None,
        resource_tags: Mapping[str, str] | None = None,
        request_tags: Mapping[str, str] | None = None,
        context_keys: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
        resource_policy_required: bool = False,
    ) -> None:
        """Allow the call or raise the service's AccessDenied error with AWS's wording.

        `context_keys` may be a callable returning them: called only if a statement reads a
        condition key, so a handler whose keys cost something to gather pays only when needed.
        """
        evaluation = self.evaluate(
            action,
            resource,
            resource_policy=resource_policy,
            resource_account=resource_account,
            resource_tags=resource_tags,
            request_tags=request_tags,
            context_keys=context_keys,
            resource_policy_required=resource_policy_required,
        )
        if evaluation.decision is not Decision.ALLOW:
            code, status = self.access_denied
            raise AccessDenied(
                denial_message(self.principal, action, resource, evaluation), code=code, status=status
            )

    def call(
        self, service: str, operation: str, params: dict[str, Any], *, region: str | None = None
    ) -> dict[str, Any]:
        """Call another Strongroom service on the caller's behalf (kms:ViaService, aws:CalledVia).

        `region` targets another region (e.g. a replica's KMS key); by default this call's region.
        """
        return self.dispatcher.invoke(self, service, operation, params, region=region)

    @property
    def service_host(self) -> str:
        """This service as a principal host, e.g. `ssm.amazonaws.com` (for aws:CalledVia)."""
        return f"{self.service}.amazonaws.com"

    def arn(
        self, service: str, resource: str, *, region: str | None = None, account: str | None = None
    ) -> str:
        """An ARN in this call's partition, region and account (IAM-style global ARNs pass region="")."""
        return (
            f"arn:{self.partition}:{service}:{self.region if region is None else region}:"
            f"{self.account_id if account is None else account}:{resource}"
        )
