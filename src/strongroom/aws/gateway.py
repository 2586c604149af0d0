"""The gateway: from one HTTP request to one handler call and back, for every routed service.

    identify the service (SigV4 scope, X-Amz-Target)  →  verify SigV4  →  find the operation
    →  parse  →  validate  →  handler(ctx, params)  →  serialize  →  audit

Everything after the body is read runs in a worker thread (handlers are synchronous and may
wait on the database) — except the operations a service serves from memory
(`ServiceApi.inline_operations`), which the server runs on its event loop (`runs_inline`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from botocore.model import OperationModel

from strongroom.aws import sigv4
from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AWSError, InternalFailure, NotImplementedOperation
from strongroom.aws.http import BODY_SHA256, HttpRequest, HttpResponse
from strongroom.aws.protocols import Protocol, protocol_for
from strongroom.aws.service import RoutedService
from strongroom.aws.trail import build_entry
from strongroom.aws.validation import validate
from strongroom.core.clock import utcnow
from strongroom.core.iam.credentials import CredentialError
from strongroom.core.iam.ids import event_id as new_event_id
from strongroom.core.iam.ids import request_id as new_id
from strongroom.core.iam.principals import Principal
from strongroom.core.kernel import Kernel

log = logging.getLogger(__name__)


def _authorization(request: HttpRequest) -> sigv4.SignedRequestInfo | None:
    """The request's parsed signature, parsed once (runs_inline and handle both need it)."""
    if "sigv4" not in request.derived:
        request.derived["sigv4"] = sigv4.parse_authorization(request)
    info: sigv4.SignedRequestInfo | None = request.derived["sigv4"]
    return info


@dataclass(frozen=True)
class Route:
    service: RoutedService
    protocol: Protocol


class Gateway:
    """Routes, authenticates, dispatches and records; also the internal dispatcher for ctx.call."""

    def __init__(self, kernel: Kernel, services: list[RoutedService]) -> None:
        self.kernel = kernel
        self.services = {s.name: s for s in services}
        self._by_signing_name: dict[str, RoutedService] = {}
        self._by_target_prefix: dict[str, RoutedService] = {}
        self._by_cbor_name: dict[str, RoutedService] = {}
        # Built once per service rather than per request.
        self._routes: dict[str, Route] = {}
        self._service_hosts: dict[str, str] = {}
        for service in services:
            service.api.dispatcher = self  # background work (scheduled jobs) calls other services too
            self._by_signing_name.setdefault(service.signing_name, service)
            if service.target_prefix:
                self._by_target_prefix[service.target_prefix] = service
            self._by_cbor_name[service.model.service_id.hyphenize()] = service
            self._by_cbor_name[str(service.model.metadata.get("targetPrefix", ""))] = service
            self._routes[service.name] = Route(service, protocol_for(service.model))
            self._service_hosts[service.name] = f"{service.signing_name}.amazonaws.com"

    def close(self) -> None:
        """Stop every service's background work (the kernel is closed after this)."""
        for service in self.services.values():
            try:
                service.api.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)

    # -- the HTTP path ---------------------------------------------------------------------

    def runs_inline(self, request: HttpRequest) -> bool:
        """Whether the request names an operation its service serves from memory.

        Any doubt (no or a malformed signature, an unknown operation) answers False: the request
        then takes the ordinary path, which gives the error.
        """
        try:
            info = _authorization(request)
            if info is None:
                return False
            route = self._route(request, info.service)
            inline = route.service.api.inline_operations
            if not inline:
                return False
            operation = route.protocol.find_operation(route.service.model, request)
            request.derived["operation"] = (route, operation)
            return operation.name in inline
        except Exception:
            return False

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = new_id()
        route: Route | None = None
        operation: OperationModel | None = None
        try:
            try:
                info = _authorization(request)
            except sigv4.SignatureFormatError as malformed:
                route = self._route(request, None)
                raise malformed.for_family(route.protocol.name) from None
            route = self._route(request, info.service if info else None)
            family = route.protocol.name
            if info is None:
                raise sigv4.auth_error("missing", family, "")
            try:
                resolved = self.kernel.credentials.resolve(info.access_key_id, info.session_token)
            except CredentialError as exc:
                # An empty message gives each protocol its own AWS wording (S3's differs).
                raise sigv4.auth_error(exc.kind, family, "") from None
            secret = resolved.secret_access_key
            body = sigv4.verify(request, info, secret, now=utcnow(), service_family=family)
            if body is not request.body:  # a decoded aws-chunked payload: the received hash is not its
                request.derived.pop(BODY_SHA256, None)
                request.body = body
        except AWSError as auth_failure:
            route = route or self._fallback_route(request)
            return route.protocol.serialize_error(route.service.model, None, auth_failure, request_id)
        except Exception:
            log.exception("request %s failed before dispatch", request_id)
            route = route or self._fallback_route(request)
            return route.protocol.serialize_error(route.service.model, None, InternalFailure(), request_id)

        principal = resolved.principal
        params: dict[str, Any] | None = None
        ctx: RequestContext | None = None
        result: dict[str, Any] | None = None
        error: AWSError | None = None
        try:
            found: tuple[Route, OperationModel] | None = request.derived.get("operation")
            if found is not None and found[0] is route:  # runs_inline looked it up already
                operation = found[1]
            else:
                operation = route.protocol.find_operation(route.service.model, request)
            params = route.protocol.parse_request(operation, request)
            if operation.input_shape is not None:
                validate(operation.input_shape, params)
            ctx = self._context(route.service, operation.name, info.region, principal, request_id, request)
            result = self._run(ctx, route.service, operation.name, params)
            response = route.protocol.serialize_response(operation, result, request_id)
        except AWSError as exc:
            error = exc
            response = route.protocol.serialize_error(route.service.model, operation, exc, request_id)
        except Exception:
            log.exception("request %s (%s) failed", request_id, operation.name if operation else "?")
            error = InternalFailure("An internal error occurred.")
            response = route.protocol.serialize_error(route.service.model, operation, error, request_id)
        if operation is not None:
            self._record(
                route.service,
                operation,
                info.region,
                principal,
                request_id,
                request,
                params,
                result,
                error,
                ctx,
                invoked_by=None,
            )
        return response

    def _route(self, request: HttpRequest, signing_name: str | None) -> Route:
        cached: tuple[str | None, Route] | None = request.derived.get("route")
        if cached is not None and cached[0] == signing_name:
            return cached[1]
        route = self._find_route(request, signing_name)
        request.derived["route"] = (signing_name, route)
        return route

    def _find_route(self, request: HttpRequest, signing_name: str | None) -> Route:
        service: RoutedService | None = None
        target = request.headers.get("x-amz-target")
        if target:
            service = self._by_target_prefix.get(target.rsplit(".", 1)[0])
        if service is None and request.raw_path.startswith("/service/"):
            service = self._by_cbor_name.get(request.raw_path.split("/")[2])
        if service is None and signing_name is not None:
            service = self._by_signing_name.get(signing_name)
        if service is None:
            return self._fallback_route(request)
        return self._routes[service.name]

    def _fallback_route(self, request: HttpRequest) -> Route:
        """For a request that names no service we know: answer in the most likely wire form."""
        body_is_form = "application/x-www-form-urlencoded" in (request.headers.get("content-type") or "")
        if "Action=" in request.query_string or (body_is_form and b"Action=" in request.body[:4096]):
            name = "sts"
        elif request.headers.get("x-amz-target"):
            name = "kms"
        else:
            name = "s3"
        service = self.services.get(name) or next(iter(self.services.values()))
        return self._routes[service.name]

    # -- dispatch ----------------------------------------------------------------------------

    def _context(
        self,
        service: RoutedService,
        operation: str,
        region: str,
        principal: Principal,
        request_id: str,
        request: HttpRequest,
        called_via: tuple[str, ...] = (),
    ) -> RequestContext:
        return RequestContext(
            kernel=self.kernel,
            dispatcher=self,
            service=service.name,
            operation=operation,
            region=region,
            principal=principal,
            request_id=request_id,
            source_ip=request.source_ip,
            user_agent=request.headers.get("user-agent") or "",
            secure_transport=request.secure_transport,
            access_denied=service.api.access_denied,
            called_via=called_via,
        )

    @staticmethod
    def _run(
        ctx: RequestContext, service: RoutedService, operation: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        handler = service.api.handler(operation)
        if handler is None:
            raise NotImplementedOperation(service.signing_name, operation)
        cache = service.api.cache_name
        if cache is None or operation in service.api.pure_reads:
            return handler(ctx, params)
        try:
            return handler(ctx, params)
        finally:
            ctx.kernel.caches.changed(cache)

    def invoke(
        self,
        parent: RequestContext,
        service_name: str,
        operation_name: str,
        params: dict[str, Any],
        *,
        region: str | None = None,
    ) -> dict[str, Any]:
        """An internal call from one service to another, as AWS services make them."""
        region = region or parent.region
        service = self.services[service_name]
        operation = service.model.operation_model(operation_name)
        if operation.input_shape is not None:
            validate(operation.input_shape, params)
        request_id = new_id()
        invoked_by = parent.service_host
        ctx = RequestContext(
            kernel=self.kernel,
            dispatcher=self,
            service=service.name,
            operation=operation_name,
            region=region,
            principal=parent.principal,
            request_id=request_id,
            source_ip=parent.source_ip,
            user_agent=invoked_by,
            secure_transport=parent.secure_transport,
            access_denied=service.api.access_denied,
            called_via=(*parent.called_via, invoked_by),
        )
        result: dict[str, Any] | None = None
        error: AWSError | None = None
        try:
            result = self._run(ctx, service, operation_name, params)
            return result
        except AWSError as exc:
            error = exc
            raise
        finally:
            self._record(
                service,
                operation,
                region,
                parent.principal,
                request_id,
                None,
                params,
                result,
                error,
                ctx,
                invoked_by=invoked_by,
            )

    # -- audit -------------------------------------------------------------------------------

    def _record(
        self,
        service: RoutedService,
        operation: OperationModel,
        region: str,
        principal: Principal,
        request_id: str,
        request: HttpRequest | None,
        params: dict[str, Any] | None,
        result: dict[str, Any] | None,
        error: AWSError | None,
        ctx: RequestContext | None,
        *,
        invoked_by: str | None,
    ) -> None:
        try:
            event_id = new_event_id()  # the time of the call, not of the build: ids sort as calls came
            event_time = self.kernel.clock.now()
            audit_region = "us-east-1" if service.api.global_service else region
            service_host = self._service_hosts[service.name]
            failure = (error.code, error.message) if error else None

            # Built in the audit writer thread; EventBridge's API-call events follow from it there
            # (AuditTrail.subscribe in core/kernel.py). What waits in the queue holds plain values
            # only, not the request or its context: under load thousands wait, and every object
            # they keep alive is one more for each full collection of the garbage collector to
            # walk (it once took 150 ms, with the request's whole object graph kept per record).
            self.kernel.audit.record(
                partial(
                    build_entry,
                    event_id=event_id,
                    request_id=request_id,
                    event_time=event_time,
                    service_host=service_host,
                    operation=operation,
                    region=audit_region,
                    principal=principal,
                    source_ip=request.source_ip if request else "",
                    user_agent=(request.headers.get("user-agent") or "") if request else "",
                    request=params,
                    response=result,
                    error=failure,
                    resources=ctx.audit_resources if ctx else [],
                    invoked_by=invoked_by,
                    host_header=request.host if request else "",
                    tls=request.secure_transport if request else False,
                    additional_event_data=ctx.additional_event_data if ctx else None,
                )
            )
        except Exception:
            log.exception("could not build the audit record of request %s", request_id)
