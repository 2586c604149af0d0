"""The request path's one hook for the cost meter, shared by every metered service.

A service's API class puts `MeteredApi` first among its bases and names the service it meters
(`metered_service`). Every handler is then wrapped once: before it runs, `admit` is called with
the request, and by default counts it under the price category `price_category` names (None:
not counted). A service with request quotas (KMS) overrides `admit` to check them first.
Internal calls (`ctx.call(...)` from another service) pass here too: AWS bills the requests its
services make on a caller's behalf to the caller.

Counting is a dict update (`core.metering.UsageMeter`); the database sees it within a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from strongroom.aws.service import Handler, ServiceApi
from strongroom.core.metering import shared_meter

if TYPE_CHECKING:
    from strongroom.aws.context import RequestContext
    from strongroom.core.kernel import Kernel


class MeteredApi(ServiceApi):
    """Counts every request of a service for the cost meter."""

    metered_service: ClassVar[str]

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel)
        self.meter = shared_meter(kernel.db, kernel.clock)
        self._wrapped: dict[str, Handler] = {}

    def handler(self, operation: str) -> Handler | None:
        wrapped = self._wrapped.get(operation)
        if wrapped is not None:
            return wrapped
        inner = super().handler(operation)
        if inner is None:
            return None

        def metered(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
            self.admit(ctx, operation, request)
            return inner(ctx, request)

        self._wrapped[operation] = metered
        return metered

    def admit(self, ctx: RequestContext, operation: str, request: dict[str, Any]) -> None:
        """Count the request; a subclass may refuse it first (quotas)."""
        self.count(ctx, self.price_category(ctx, operation, request))

    def price_category(self, ctx: RequestContext, operation: str, request: dict[str, Any]) -> str | None:
        """The price category of a request (the `requests_<category>` entry of the price list)."""
        return "api"

    def count(self, ctx: RequestContext, category: str | None) -> None:
        if category is not None:
            self.meter.count(ctx.account_id, ctx.region, self.metered_service, category)
