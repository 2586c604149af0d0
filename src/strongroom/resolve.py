"""`strongroom resolve FILE`: CloudFormation's dynamic references, rendered with the caller's credentials.

    {{resolve:ssm:name}}  {{resolve:ssm:name:version}}           String / StringList parameters
    {{resolve:ssm-secure:name}}  {{resolve:ssm-secure:name:version}}   SecureString parameters, decrypted
    {{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}

As in CloudFormation: a parameter may be named by its ARN; the secretsmanager segments after the
secret id are optional (trailing ones may be left out, inner ones left empty), `SecretString` is
the only secret field, a version stage and a version id are never both given, and without a
json-key the whole secret text is used. The calls are ordinary GetParameter / GetSecretValue
calls signed with the default credential chain, against AWS_ENDPOINT_URL (default
http://127.0.0.1:4566), so the caller's own permissions decide what resolves.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
REFERENCE = re.compile(r"\{\{resolve:(ssm|ssm-secure|secretsmanager):((?:(?!\}\}).)*)\}\}")
_SSM_ARN = re.compile(r"(arn:aws[a-z-]*:ssm:[a-z0-9-]*:\d{12}:parameter/[^:]+)(?::(.*))?")
_SECRET_ARN = re.compile(r"(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:]+)(?::(.*))?")


class ResolveError(Exception):
    """A reference that cannot be resolved; the message names the reference, never a value."""


@dataclass(frozen=True)
class ParameterReference:
    name: str
    version: int | None
    secure: bool


@dataclass(frozen=True)
class SecretReference:
    secret_id: str
    json_key: str | None
    version_stage: str | None
    version_id: str | None


def parse(service: str, body: str) -> ParameterReference | SecretReference:
    """One reference's body (what follows `resolve:<service>:`), as CloudFormation reads it."""
    if service in ("ssm", "ssm-secure"):
        return _parse_parameter(body, secure=service == "ssm-secure")
    return _parse_secret(body)


def _parse_parameter(body: str, *, secure: bool) -> ParameterReference:
    arn = _SSM_ARN.fullmatch(body)
    name, version = (arn[1], arn[2]) if arn else (body.partition(":")[0], body.partition(":")[2] or None)
    if not name:
        raise ResolveError(
            f"the reference resolve:{'ssm-secure' if secure else 'ssm'}:{body} names no parameter"
        )
    if version is not None and not version.isdigit():
        raise ResolveError(f"the parameter version in {body} must be a whole number")
    return ParameterReference(name, int(version) if version is not None else None, secure)


def _parse_secret(body: str) -> SecretReference:
    arn = _SECRET_ARN.fullmatch(body)
    if arn:
        secret_id, rest = arn[1], (arn[2].split(":") if arn[2] is not None else [])
    else:
        secret_id, *rest = body.split(":")
    if not secret_id:
        raise ResolveError(f"the reference resolve:secretsmanager:{body} names no secret")
    if len(rest) > 4:
        raise ResolveError(f"the reference resolve:secretsmanager:{body} has too many segments")
    field, json_key, stage, version_id = [*rest, "", "", "", ""][:4]
    if field not in ("", "SecretString"):
        raise ResolveError(f"{field} is not a secret field: use SecretString")
    if stage and version_id:
        raise ResolveError(f"the reference to {secret_id} gives both a version stage and a version id")
    return SecretReference(secret_id, json_key or None, stage or None, version_id or None)


Resolver = Callable[[ParameterReference | SecretReference], str]


def render(text: str, resolve_one: Resolver) -> str:
    """The text with every reference replaced; each distinct reference is resolved once."""
    cache: dict[tuple[str, str], str] = {}

    def replace(match: re.Match[str]) -> str:
        key = (match[1], match[2])
        if key not in cache:
            cache[key] = resolve_one(parse(match[1], match[2]))
        return cache[key]

    return REFERENCE.sub(replace, text)


def boto_resolver(ssm: Any, secretsmanager: Any) -> Resolver:
    """Resolves references with boto3 clients (their credentials, their permissions)."""
    from botocore.exceptions import ClientError

    def resolve_one(ref: ParameterReference | SecretReference) -> str:
        try:
            if isinstance(ref, ParameterReference):
                return _parameter_value(ssm, ref)
            return _secret_value(secretsmanager, ref)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            target = ref.name if isinstance(ref, ParameterReference) else ref.secret_id
            raise ResolveError(
                f"{target}: {error.get('Code')}: {error.get('Message', '')}".rstrip(": ")
            ) from None

    return resolve_one


def _parameter_value(ssm: Any, ref: ParameterReference) -> str:
    name = ref.name if ref.version is None else f"{ref.name}:{ref.version}"
    parameter = ssm.get_parameter(Name=name, WithDecryption=ref.secure)["Parameter"]
    if ref.secure and parameter["Type"] != "SecureString":
        raise ResolveError(f"{ref.name} is a {parameter['Type']} parameter: use resolve:ssm for it")
    if not ref.secure and parameter["Type"] == "SecureString":
        raise ResolveError(f"{ref.name} is a SecureString parameter: use resolve:ssm-secure for it")
    return str(parameter["Value"])


def _secret_value(secretsmanager: Any, ref: SecretReference) -> str:
    request: dict[str, str] = {"SecretId": ref.secret_id}
    if ref.version_id:
        request["VersionId"] = ref.version_id
    elif ref.version_stage:
        request["VersionStage"] = ref.version_stage
    secret = secretsmanager.get_secret_value(**request)
    if "SecretString" not in secret:
        raise ResolveError(
            f"{ref.secret_id} holds a binary secret; dynamic references read SecretString only"
        )
    text = str(secret["SecretString"])
    if ref.json_key is None:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        raise ResolveError(
            f"{ref.secret_id}'s SecretString is not JSON, so it has no key {ref.json_key}"
        ) from None
    if not isinstance(document, dict) or ref.json_key not in document:
        raise ResolveError(f"{ref.secret_id}'s SecretString has no key {ref.json_key}")
    value = document[ref.json_key]
    return value if isinstance(value, str) else json.dumps(value)


def resolve_file(text: str, *, endpoint_url: str | None = None, region: str | None = None) -> str:
    """Render `text` against the endpoint with the default credential chain."""
    import boto3

    session = boto3.session.Session(region_name=region)
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
    region_name = session.region_name or "us-east-1"
    ssm = session.client(
        "ssm", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SSM") or endpoint, region_name=region_name
    )
    secretsmanager = session.client(
        "secretsmanager",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SECRETS_MANAGER") or endpoint,
        region_name=region_name,
    )
    return render(text, boto_resolver(ssm, secretsmanager))
