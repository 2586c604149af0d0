"""Connections (credentials for API destinations) and API destinations.

A connection's secrets — a Basic password, an API key value, an OAuth client secret and every
parameter marked `IsValueSecret` — are split from the rest on the way in and sealed under the
root of trust (purpose `events/connection`, bound to the connection ARN). Responses carry the
public half only: a secret parameter comes back with its key and no value, as on AWS.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row, delete, insert, select, update

from strongroom.core.crypto import RootOfTrust
from strongroom.core.events.bus import CONNECTION_PURPOSE
from strongroom.core.events.tables import events_api_destinations, events_connections
from strongroom.services.events.errors import invalid, not_found
from strongroom.services.events.names import api_destination_arn, connection_arn

_AUTH_MEMBER = {
    "BASIC": "BasicAuthParameters",
    "API_KEY": "ApiKeyAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}


def _split_http(params: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    public: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for member in ("HeaderParameters", "QueryStringParameters", "BodyParameters"):
        for entry in (params or {}).get(member) or []:
            if entry.get("IsValueSecret"):
                public.setdefault(member, []).append({"Key": entry["Key"], "IsValueSecret": True})
                secret.setdefault(member, []).append({"Key": entry["Key"], "Value": entry.get("Value", "")})
            else:
                public.setdefault(member, []).append(
                    {"Key": entry["Key"], "Value": entry.get("Value", ""), "IsValueSecret": False}
                )
    return public, secret


def split_auth(auth_type: str, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public parameters, secrets) of CreateConnection's AuthParameters."""
    member = _AUTH_MEMBER[auth_type]
    if not params.get(member):
        raise invalid(f"{member} must be specified for authorization type {auth_type}.")
    for other_type, other in _AUTH_MEMBER.items():
        if other_type != auth_type and params.get(other):
            raise invalid(f"{other} can't be specified for authorization type {auth_type}.")
    public: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    given = params[member]
    if auth_type == "BASIC":
        public[member] = {"Username": given["Username"]}
        secrets["Password"] = given["Password"]
    elif auth_type == "API_KEY":
        public[member] = {"ApiKeyName": given["ApiKeyName"]}
        secrets["ApiKeyValue"] = given["ApiKeyValue"]
    else:
        endpoint = given["AuthorizationEndpoint"]
        check_endpoint(endpoint, "AuthorizationEndpoint")
        oauth_public, oauth_secret = _split_http(given.get("OAuthHttpParameters"))
        public[member] = {
            "ClientParameters": {"ClientID": given["ClientParameters"]["ClientID"]},
            "AuthorizationEndpoint": endpoint,
            "HttpMethod": given["HttpMethod"],
        }
        if oauth_public:
            public[member]["OAuthHttpParameters"] = oauth_public
        secrets["ClientSecret"] = given["ClientParameters"]["ClientSecret"]
        if oauth_secret:
            secrets["OAuthHttpParameters"] = oauth_secret
    invocation_public, invocation_secret = _split_http(params.get("InvocationHttpParameters"))
    if invocation_public:
        public["InvocationHttpParameters"] = invocation_public
    if invocation_secret:
        secrets["InvocationHttpParameters"] = invocation_secret
    return public, secrets


def check_endpoint(url: str, member: str) -> None:
    """http:// or https:// with a host (http:// is a Strongroom extension: internal receivers)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(f"{member} must be an http:// or https:// URL.")


def initial_state(auth_type: str) -> str:
    return "AUTHORIZING" if auth_type == "OAUTH_CLIENT_CREDENTIALS" else "AUTHORIZED"


def create_connection(
    conn: Connection,
    root: RootOfTrust,
    *,
    account: str,
    region: str,
    name: str,
    description: str | None,
    auth_type: str,
    public: dict[str, Any],
    secrets: dict[str, Any],
    now: datetime,
) -> Row[Any]:
    arn = connection_arn(account, region, name, str(uuid.uuid4()))
    sealed = root.seal(json.dumps(secrets).encode(), purpose=CONNECTION_PURPOSE, record=arn)
    state = initial_state(auth_type)
    conn.execute(
        insert(events_connections).values(
            account_id=account,
            region=region,
            name=name,
            arn=arn,
            description=description,
            authorization_type=auth_type,
            state=state,
            public_parameters=json.dumps(public),
            sealed_secrets=sealed,
            created_at=now,
            modified_at=now,
            authorized_at=now if state == "AUTHORIZED" else None,
        )
    )
    return require_connection(conn, account, region, name)


def find_connection(conn: Connection, account: str, region: str, name: str) -> Row[Any] | None:
    return conn.execute(
        select(events_connections).where(
            events_connections.c.account_id == account,
            events_connections.c.region == region,
            events_connections.c.name == name,
        )
    ).first()


def require_connection(conn: Connection, account: str, region: str, name: str) -> Row[Any]:
    row = find_connection(conn, account, region, name)
    if row is None:
        raise not_found(f"Failed to describe the connection(s). Connection '{name}' does not exist.")
    return row


def connection_by_arn(conn: Connection, arn: str) -> Row[Any] | None:
    return conn.execute(select(events_connections).where(events_connections.c.arn == arn)).first()


def list_connections(conn: Connection, account: str, region: str) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(events_connections)
            .where(events_connections.c.account_id == account, events_connections.c.region == region)
            .order_by(events_connections.c.name)
        )
    )


def update_connection(
    conn: Connection,
    root: RootOfTrust,
    row: Row[Any],
    *,
    description: str | None,
    auth_type: str | None,
    params: dict[str, Any] | None,
    now: datetime,
) -> Row[Any]:
    values: dict[str, Any] = {"modified_at": now}
    if description is not None:
        values["description"] = description
    new_type = auth_type or row.authorization_type
    if params:
        public, secrets = split_auth(new_type, params)
        values["public_parameters"] = json.dumps(public)
        values["sealed_secrets"] = root.seal(
            json.dumps(secrets).encode(), purpose=CONNECTION_PURPOSE, record=row.arn
        )
        values["authorization_type"] = new_type
        values["state"] = initial_state(new_type)
        values["authorized_at"] = now if values["state"] == "AUTHORIZED" else None
    elif auth_type and auth_type != row.authorization_type:
        raise invalid(f"AuthParameters must be specified to change the authorization type to {auth_type}.")
    conn.execute(update(events_connections).where(events_connections.c.arn == row.arn).values(**values))
    return require_connection(conn, row.account_id, row.region, row.name)


def deauthorize(conn: Connection, row: Row[Any], now: datetime) -> Row[Any]:
    conn.execute(
        update(events_connections)
        .where(events_connections.c.arn == row.arn)
        .values(state="DEAUTHORIZED", sealed_secrets=None, modified_at=now)
    )
    return require_connection(conn, row.account_id, row.region, row.name)


def delete_connection(conn: Connection, row: Row[Any]) -> None:
    conn.execute(delete(events_connections).where(events_connections.c.arn == row.arn))


def connection_summary(row: Row[Any], *, state: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ConnectionArn": row.arn,
        "ConnectionState": state or row.state,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
    }
    if row.authorized_at is not None:
        out["LastAuthorizedTime"] = row.authorized_at
    return out


def describe_connection(row: Row[Any], *, listing: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"ConnectionArn": row.arn, "Name": row.name}
    if row.state_reason:
        out["StateReason"] = row.state_reason
    out["ConnectionState"] = row.state
    out["AuthorizationType"] = row.authorization_type
    if not listing:
        if row.description:
            out["Description"] = row.description
        out["AuthParameters"] = json.loads(row.public_parameters)
    out["CreationTime"] = row.created_at
    out["LastModifiedTime"] = row.modified_at
    if row.authorized_at is not None:
        out["LastAuthorizedTime"] = row.authorized_at
    return out


# -- API destinations ------------------------------------------------------------------------------


def find_destination(conn: Connection, account: str, region: str, name: str) -> Row[Any] | None:
    return conn.execute(
        select(events_api_destinations).where(
            events_api_destinations.c.account_id == account,
            events_api_destinations.c.region == region,
            events_api_destinations.c.name == name,
        )
    ).first()


def require_destination(conn: Connection, account: str, region: str, name: str) -> Row[Any]:
    row = find_destination(conn, account, region, name)
    if row is None:
        raise not_found(
            f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist."
        )
    return row


def create_destination(
    conn: Connection,
    *,
    account: str,
    region: str,
    name: str,
    description: str | None,
    connection: str,
    endpoint: str,
    method: str,
    rate_limit: int | None,
    now: datetime,
) -> Row[Any]:
    arn = api_destination_arn(account, region, name, str(uuid.uuid4()))
    conn.execute(
        insert(events_api_destinations).values(
            account_id=account,
            region=region,
            name=name,
            arn=arn,
            description=description,
            connection_arn=connection,
            endpoint=endpoint,
            http_method=method,
            rate_limit=rate_limit,
            state="ACTIVE",
            created_at=now,
            modified_at=now,
        )
    )
    return require_destination(conn, account, region, name)


def update_destination(conn: Connection, row: Row[Any], values: dict[str, Any], now: datetime) -> Row[Any]:
    conn.execute(
        update(events_api_destinations)
        .where(events_api_destinations.c.arn == row.arn)
        .values(**values, modified_at=now)
    )
    return require_destination(conn, row.account_id, row.region, row.name)


def list_destinations(conn: Connection, account: str, region: str) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(events_api_destinations)
            .where(
                events_api_destinations.c.account_id == account, events_api_destinations.c.region == region
            )
            .order_by(events_api_destinations.c.name)
        )
    )


def delete_destination(conn: Connection, row: Row[Any]) -> None:
    conn.execute(delete(events_api_destinations).where(events_api_destinations.c.arn == row.arn))


def destination_summary(row: Row[Any]) -> dict[str, Any]:
    return {
        "ApiDestinationArn": row.arn,
        "ApiDestinationState": row.state,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
    }


def describe_destination(row: Row[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ApiDestinationArn": row.arn, "Name": row.name}
    if row.description:
        out["Description"] = row.description
    out.update(
        {
            "ApiDestinationState": row.state,
            "ConnectionArn": row.connection_arn,
            "InvocationEndpoint": row.endpoint,
            "HttpMethod": row.http_method,
        }
    )
    if row.rate_limit is not None:
        out["InvocationRateLimitPerSecond"] = row.rate_limit
    out["CreationTime"] = row.created_at
    out["LastModifiedTime"] = row.modified_at
    return out
