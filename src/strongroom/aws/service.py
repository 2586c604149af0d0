"""The base of every service's API class and the description the gateway routes by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from botocore import xform_name
from botocore.model import ServiceModel

from strongroom.aws.models import load_service_model

if TYPE_CHECKING:
    from strongroom.aws.context import Dispatcher, RequestContext
    from strongroom.core.kernel import Kernel

Handler = Callable[["RequestContext", dict[str, Any]], dict[str, Any]]


class ServiceApi:
    """One AWS service: a method per operation, named in snake_case after it.

    A handler takes the RequestContext and the validated request members and returns the
    response members. Subclasses set `model_name` (botocore's service name) and may override
    `access_denied` (the code and HTTP status this service answers for a denied call).
    """

    model_name: ClassVar[str]
    access_denied: ClassVar[tuple[str, int]] = ("AccessDeniedException", 400)
    # IAM and other global services keep no per-region state and sign with us-east-1.
    global_service: ClassVar[bool] = False
    # A service that caches its hot reads (core/cache.py) names the cache; every operation not
    # listed in `pure_reads` drops it once the handler returns.
    cache_name: ClassVar[str | None] = None
    pure_reads: ClassVar[frozenset[str]] = frozenset()
    # Operations served from memory (caches, no database write, no outside call on a hit): the
    # server runs them on its event loop instead of handing them to a request thread, which
    # costs more than they do. A cache miss reads the database there, which is brief.
    inline_operations: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        # Set by the gateway: how work outside a request (a scheduled job) calls other services.
        self.dispatcher: Dispatcher | None = None

    def setup(self) -> None:
        """Register scheduled-job handlers and anything else the service needs at start."""

    def stop(self) -> None:
        """Stop what `setup` started (background threads), before the kernel closes."""

    def handler(self, operation: str) -> Handler | None:
        method = getattr(self, xform_name(operation), None)
        return method if callable(method) else None

    @classmethod
    def implemented_operations(cls) -> list[str]:
        model = load_service_model(cls.model_name)
        return [op for op in model.operation_names if callable(getattr(cls, xform_name(op), None))]


@dataclass(frozen=True)
class RoutedService:
    """A service as the gateway sees it: its model, its API and the names it answers to."""

    name: str
    model: ServiceModel
    api: ServiceApi

    @property
    def signing_name(self) -> str:
        return str(self.model.metadata.get("signingName") or self.model.metadata["endpointPrefix"])

    @property
    def target_prefix(self) -> str | None:
        prefix = self.model.metadata.get("targetPrefix")
        return str(prefix) if prefix else None
