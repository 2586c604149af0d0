"""HTTP delivery to API destinations: the request, the connection's credentials, the verdict.

A delivery attempt ends in one of three ways (`Outcome.kind`): `delivered` (2xx), `retry`
(the answers AWS retries: 401, 407, 409, 429 and 5xx, plus timeouts and connection errors)
or `failed` (any other answer, a missing destination or connection: retrying cannot help).
Requests time out after 5 seconds, as AWS's API destinations do.

`https://` endpoints are verified against the system trust store plus Strongroom's own CA
(data_dir/tls/ca.pem when `--tls self-signed` made one). Secrets reach this module opened,
go into headers, and are never logged or put into an outcome's message.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3

from strongroom.core.events.transform import resolve_path

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
RETRYABLE_STATUSES = frozenset({401, 407, 409, 429})
USER_AGENT = "Amazon/EventBridge/ApiDestinations (Strongroom)"


@dataclass(frozen=True)
class Outcome:
    kind: str  # "delivered" | "retry" | "failed"
    code: str = ""
    message: str = ""

    @classmethod
    def delivered(cls) -> Outcome:
        return cls("delivered")


@dataclass(frozen=True)
class ConnectionAuth:
    """A connection as delivery needs it: its public parameters and its opened secrets."""

    arn: str
    authorization_type: str
    state: str
    public: Mapping[str, Any]
    secrets: Mapping[str, Any]
    modified_marker: str = ""


@dataclass(frozen=True)
class Destination:
    arn: str
    endpoint: str
    http_method: str
    rate_limit: int | None
    connection: ConnectionAuth


@dataclass
class _Token:
    value: str
    expires_at: float


@dataclass
class _Bucket:
    tokens: float
    stamp: float = field(default_factory=time.monotonic)


class HttpDelivery:
    """Sends events to API destinations over one pooled, verifying HTTP client per process."""

    def __init__(self, data_dir: Path | None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        context = ssl.create_default_context()
        ca_file = data_dir / "tls" / "ca.pem" if data_dir is not None else None
        if ca_file is not None and ca_file.exists():
            context.load_verify_locations(cafile=str(ca_file))
        self._pool = urllib3.PoolManager(
            num_pools=64, maxsize=8, ssl_context=context, retries=False, timeout=timeout
        )
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.clear()

    def take_rate_token(self, destination: Destination) -> bool:
        """Whether this process may send to the destination now (InvocationRateLimitPerSecond)."""
        limit = destination.rate_limit
        if not limit:
            return True
        with self._lock:
            now = time.monotonic()
            bucket = self._buckets.setdefault(destination.arn, _Bucket(float(limit), now))
            bucket.tokens = min(float(limit), bucket.tokens + (now - bucket.stamp) * limit)
            bucket.stamp = now
            if bucket.tokens < 1.0:
                return False
            bucket.tokens -= 1.0
            return True

    def deliver(
        self,
        destination: Destination,
        http_parameters: Mapping[str, Any],
        event: Mapping[str, Any],
        body: str,
    ) -> Outcome:
        connection = destination.connection
        if connection.state not in ("AUTHORIZED", "AUTHORIZING"):
            return Outcome("failed", "CONNECTION_NOT_AUTHORIZED", f"Connection is {connection.state}.")
        url = _url(destination.endpoint, http_parameters, event)
        headers: dict[str, str] = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
        }
        query: dict[str, str] = {}
        invocation = connection.public.get("InvocationHttpParameters") or {}
        secret_invocation = connection.secrets.get("InvocationHttpParameters") or {}
        for source in (invocation, secret_invocation):
            headers.update(_pairs(source.get("HeaderParameters")))
            query.update(_pairs(source.get("QueryStringParameters")))
        body = _with_body_parameters(body, [invocation, secret_invocation])
        for key, value in (http_parameters.get("HeaderParameters") or {}).items():
            headers[key] = _dynamic(value, event)
        for key, value in (http_parameters.get("QueryStringParameters") or {}).items():
            query[key] = _dynamic(value, event)
        try:
            headers.update(self._auth_headers(connection))
        except _AuthFailure as failure:
            return Outcome("retry", "CONNECTION_AUTHORIZATION_FAILED", str(failure))
        if query:
            parts = urlsplit(url)
            joined = "&".join(p for p in (parts.query, urlencode(query)) if p)
            url = urlunsplit(parts._replace(query=joined))
        method = destination.http_method.upper()
        send_body = body.encode() if method not in ("GET", "HEAD", "DELETE") else None
        return self._send(method, url, headers, send_body)

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> Outcome:
        try:
            response = self._pool.request(method, url, headers=headers, body=body, redirect=False)
        except urllib3.exceptions.HTTPError as exc:
            # The exception text may carry the URL; never a header, so never a secret.
            return Outcome("retry", "SDK_CLIENT_ERROR", f"{type(exc).__name__}: could not reach the endpoint")
        status = response.status
        if 200 <= status < 300:
            return Outcome.delivered()
        message = f"The endpoint answered HTTP {status}."
        if status in RETRYABLE_STATUSES or status >= 500:
            return Outcome("retry", f"HTTP_{status}", message)
        return Outcome("failed", f"HTTP_{status}", message)

    # -- connection credentials ------------------------------------------------------------

    def _auth_headers(self, connection: ConnectionAuth) -> dict[str, str]:
        kind = connection.authorization_type
        if kind == "API_KEY":
            name = (connection.public.get("ApiKeyAuthParameters") or {}).get("ApiKeyName", "")
            return {name: str(connection.secrets.get("ApiKeyValue", ""))}
        if kind == "BASIC":
            user = (connection.public.get("BasicAuthParameters") or {}).get("Username", "")
            password = str(connection.secrets.get("Password", ""))
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        if kind == "OAUTH_CLIENT_CREDENTIALS":
            return {"Authorization": f"Bearer {self._oauth_token(connection)}"}
        return {}

    def _oauth_token(self, connection: ConnectionAuth) -> str:
        key = (connection.arn, connection.modified_marker)
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached.expires_at > time.monotonic() + 30:
                return cached.value
        oauth = connection.public.get("OAuthParameters") or {}
        client = oauth.get("ClientParameters") or {}
        client_id = str(client.get("ClientID", ""))
        secret = str(connection.secrets.get("ClientSecret", ""))
        http_params = oauth.get("OAuthHttpParameters") or {}
        secret_params = connection.secrets.get("OAuthHttpParameters") or {}
        headers = {
            "Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(),
            "User-Agent": USER_AGENT,
        }
        query: dict[str, str] = {}
        form: dict[str, str] = {"grant_type": "client_credentials"}
        for source in (http_params, secret_params):
            headers.update(_pairs(source.get("HeaderParameters")))
            query.update(_pairs(source.get("QueryStringParameters")))
            form.update(_pairs(source.get("BodyParameters")))
        method = str(oauth.get("HttpMethod", "POST")).upper()
        url = str(oauth.get("AuthorizationEndpoint", ""))
        if method == "GET":
            query.update(form)
            body = None
        else:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if query:
            url = url + ("&" if "?" in url else "?") + urlencode(query)
        try:
            response = self._pool.request(method, url, headers=headers, body=body, redirect=False)
        except urllib3.exceptions.HTTPError:
            raise _AuthFailure("The OAuth authorization endpoint could not be reached.") from None
        if not 200 <= response.status < 300:
            raise _AuthFailure(f"The OAuth authorization endpoint answered HTTP {response.status}.")
        try:
            answer = json.loads(response.data)
            token = str(answer["access_token"])
            lifetime = float(answer.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise _AuthFailure("The OAuth authorization endpoint answered without an access_token.") from None
        with self._lock:
            self._tokens[key] = _Token(token, time.monotonic() + lifetime)
        return token


class _AuthFailure(Exception):
    """The connection's credentials could not be obtained (message free of secrets)."""


def _pairs(entries: Any) -> dict[str, str]:
    """Key/Value parameters; a secret one kept in public parameters has no Value (it is sealed)."""
    return {e["Key"]: str(e["Value"]) for e in entries or [] if e.get("Value") is not None}


def _dynamic(value: str, event: Mapping[str, Any]) -> str:
    """A parameter value, or the event's value when it is a JSON path (`$.detail.id`)."""
    if isinstance(value, str) and value.startswith("$."):
        found = resolve_path(event, value)
        return found if isinstance(found, str) else json.dumps(found)
    return str(value)


def _url(endpoint: str, http_parameters: Mapping[str, Any], event: Mapping[str, Any]) -> str:
    values = [_dynamic(v, event) for v in http_parameters.get("PathParameterValues") or []]
    out: list[str] = []
    for ch in endpoint:
        if ch == "*" and values:
            out.append(values.pop(0))
        else:
            out.append(ch)
    return "".join(out)


def _with_body_parameters(body: str, sources: list[Mapping[str, Any]]) -> str:
    extra = {k: v for s in sources for k, v in _pairs(s.get("BodyParameters")).items()}
    if not extra:
        return body
    try:
        decoded = json.loads(body)
    except ValueError:
        return body
    if not isinstance(decoded, dict):
        return body
    decoded.update(extra)
    return json.dumps(decoded, separators=(",", ":"))
