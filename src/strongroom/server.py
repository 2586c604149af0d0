"""The ASGI application and the process that serves it (uvicorn, several workers).

The parent process prepares the data dir once (migrations, root of trust, root credentials);
each worker then opens its own kernel and serves. Paths under /_strongroom/ are Strongroom's
own: the health check and, in dev mode only, the dev clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import os
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from strongroom import __version__
from strongroom.aws.gateway import Gateway
from strongroom.aws.http import BODY_SHA256, Headers, HttpRequest, HttpResponse
from strongroom.aws.models import ROUTED_MODELS, load_service_model
from strongroom.aws.service import RoutedService, ServiceApi
from strongroom.bootstrap import prepare
from strongroom.config import CONFIG_ENV, Config
from strongroom.core.kernel import Kernel
from strongroom.services import SERVICE_APIS, load_api

log = logging.getLogger("strongroom")

Scope = dict[str, Any]
Message = dict[str, Any]


def build_gateway(kernel: Kernel) -> Gateway:
    services: list[RoutedService] = []
    for name in ROUTED_MODELS:
        api_cls = load_api(name) if name in SERVICE_APIS else _unimplemented_api(name)
        api = api_cls(kernel)
        api.setup()
        services.append(RoutedService(name=name, model=load_service_model(name), api=api))
    return Gateway(kernel, services)


def _unimplemented_api(name: str) -> type[ServiceApi]:
    """A service whose model Strongroom routes but whose operations all answer NotImplemented."""
    return type(f"Unimplemented{name.title()}Api", (ServiceApi,), {"model_name": name})


class StrongroomApp:
    """The ASGI app: Strongroom's own paths, then the AWS gateway."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.kernel: Kernel | None = None
        self.gateway: Gateway | None = None
        self._executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="strongroom-req")

    def start(self) -> None:
        c = self.config
        self.kernel = Kernel.open(
            data_dir=c.data_dir,
            database_url=c.effective_database_url,
            dev=c.dev,
            default_region=c.region,
            root_key_provider=c.root_key_provider,
        )
        self.gateway = build_gateway(self.kernel)
        self.kernel.start_background()
        # What start-up built (service models, policies, tables) lives as long as the process:
        # keep it out of the collector's generations so that collections under load stay short.
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.close()
        if self.kernel is not None:
            self.kernel.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if self.gateway is None:  # started without lifespan (some test harnesses)
            self.start()
        request = await _read_request(scope, receive)
        path = request.raw_path.split("?", 1)[0]
        if path.startswith("/_strongroom/"):
            response = await self._admin(path, request)
        else:
            gateway = self.gateway
            assert gateway is not None
            if gateway.runs_inline(request):
                response = gateway.handle(request)
            else:
                loop = asyncio.get_running_loop()
                response = await loop.run_in_executor(self._executor, gateway.handle, request)
        await _send_response(send, response, receive, self._executor)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.start()
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _admin(self, path: str, request: HttpRequest) -> HttpResponse:
        if path == "/_strongroom/health" and request.method in ("GET", "HEAD"):
            return _json(200, {"status": "ok", "version": __version__, "dev": self.config.dev})
        if path == "/_strongroom/dev/clock" and self.config.dev:
            return await self._dev_clock(request)
        if path.startswith("/_strongroom/acm/"):
            from strongroom.services.acm.http_endpoints import handle as acm_handle

            assert self.kernel is not None
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, acm_handle, self.kernel, path, request)
        if path == "/_strongroom/usage" and request.method == "GET":
            from strongroom.usage import handle_usage_request

            assert self.kernel is not None
            loop = asyncio.get_running_loop()
            status, body = await loop.run_in_executor(
                self._executor, handle_usage_request, self.kernel, request, self.config.dev
            )
            return _json(status, body)
        return _json(404, {"__type": "NotFound", "message": f"No such Strongroom path: {path}"})

    async def _dev_clock(self, request: HttpRequest) -> HttpResponse:
        assert self.kernel is not None
        kernel = self.kernel
        if request.method == "GET":
            return _json(200, {"now": _iso(kernel)})
        if request.method != "POST":
            return _json(405, {"__type": "MethodNotAllowed", "message": "Use GET or POST"})
        try:
            body = json.loads(request.body or b"{}")
            seconds = float(body["advance_seconds"])
            if not (seconds >= 0 and seconds < 10**10):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return _json(
                400,
                {"__type": "ValidationException", "message": "advance_seconds must be a number >= 0"},
            )
        kernel.clock.advance(seconds)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, kernel.scheduler.run_all_due)
        return _json(200, {"now": _iso(kernel)})


def _iso(kernel: Kernel) -> str:
    return kernel.clock.now().isoformat().replace("+00:00", "Z")


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers=Headers([("Content-Type", "application/json")]),
        body=json.dumps(body).encode(),
    )


async def _read_request(scope: Scope, receive: Any) -> HttpRequest:
    # A body signed with its SHA-256 (S3's x-amz-content-sha256) is hashed as it arrives, so the
    # hash of a large upload overlaps its transfer instead of following it (sigv4.verify uses it).
    digest = hashlib.sha256() if _signed_payload_hash(scope["headers"]) else None
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
            if digest is not None:
                digest.update(chunk)
        more = message.get("more_body", False)
    raw_path = scope.get("raw_path") or scope["path"].encode()
    client = scope.get("client") or ("127.0.0.1", 0)
    request = HttpRequest(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]),
        body=chunks[0] if len(chunks) == 1 else b"".join(chunks),
        source_ip=client[0],
        secure_transport=scope.get("scheme") == "https",
    )
    if digest is not None:
        request.derived[BODY_SHA256] = digest.hexdigest()
    return request


def _signed_payload_hash(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"x-amz-content-sha256":
            return len(value) == 64
    return False


async def _send_response(send: Any, response: HttpResponse, receive: Any, executor: Executor) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    if response.stream is not None:
        await _send_stream(send, response, headers, receive, executor)
        return
    if not any(k.lower() == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _send_stream(
    send: Any, response: HttpResponse, headers: list[tuple[bytes, bytes]], receive: Any, executor: Executor
) -> None:
    """Send a streamed body chunk by chunk, each produced on a worker thread while the previous one
    is written (producing a chunk may read and decrypt a MiB, too long for the event loop).

    The stream is closed however the response ends, and no chunk is produced once the client has
    gone. A stream that fails after the headers were sent cannot answer with an error any more:
    the response is left incomplete, uvicorn closes the connection, and the client sees a body
    shorter than its Content-Length.
    """
    stream = response.stream
    assert stream is not None
    if not any(k.lower() == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(response.stream_length).encode()))
    gone = asyncio.ensure_future(_disconnected(receive))
    pending = executor.submit(next, stream, None)
    try:
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        while True:
            chunk = await asyncio.wrap_future(pending)
            if chunk is None:
                await send({"type": "http.response.body", "body": b""})
                return
            if gone.done():
                return
            pending = executor.submit(next, stream, None)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except Exception as failure:
        log.error("response stream failed after its headers were sent, connection aborted: %r", failure)
    finally:
        gone.cancel()
        # Closed on the thread that last produced a chunk, once it has: never while it runs.
        pending.add_done_callback(lambda _: _close_stream(response))


async def _disconnected(receive: Any) -> None:
    with contextlib.suppress(Exception):  # a receive that fails means the client is gone too
        while (await receive())["type"] != "http.disconnect":
            pass


def _close_stream(response: HttpResponse) -> None:
    try:
        response.close_stream()
    except Exception:
        log.exception("could not close a response stream")


def app_factory() -> StrongroomApp:
    """The app uvicorn imports in each worker process (configuration comes from the environment)."""
    return StrongroomApp(Config.from_env())


def serve(config: Config) -> None:
    prepare(config)
    os.environ[CONFIG_ENV] = config.to_json()
    ssl: dict[str, Any] = {}
    if config.tls_certificate_arn:
        ssl = _acm_listener(config)
    elif config.tls_enabled:
        from strongroom.tls import server_certificate

        cert, key, password = server_certificate(config)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key), "ssl_keyfile_password": password}
    log.info(
        "Strongroom %s listening on %s:%d (data dir %s)",
        __version__,
        config.host,
        config.port,
        config.data_dir,
    )
    try:
        _run_uvicorn(config, ssl)
    finally:
        if config.tls_certificate_arn:
            from strongroom.services.acm import listener

            user = listener.listener_user(config.tls_certificate_arn, config.host, config.port)
            listener.unregister_use(config.effective_database_url, config.tls_certificate_arn, user)


def _acm_listener(config: Config) -> dict[str, Any]:
    """HTTPS on an ACM certificate: each worker builds a context that follows renewals."""
    import functools

    from strongroom.services.acm import listener

    assert config.tls_certificate_arn is not None
    user = listener.listener_user(config.tls_certificate_arn, config.host, config.port)
    listener.register_use(config.effective_database_url, config.tls_certificate_arn, user)
    factory = functools.partial(
        listener.context_factory,
        arn=config.tls_certificate_arn,
        database_url=config.effective_database_url,
        data_dir=str(config.data_dir),
        root_key_provider=config.root_key_provider,
    )
    # A TLS connection left half-closed by a client kept workers from exiting on SIGTERM.
    return {"ssl_context_factory": factory, "timeout_graceful_shutdown": 5}


def _run_uvicorn(config: Config, ssl: dict[str, Any]) -> None:
    from strongroom.workers import run_server, uvicorn_options

    options = uvicorn_options("strongroom.server:app_factory", factory=True, lifespan="on", **ssl)
    run_server(options, config.host, config.port, config.workers)
