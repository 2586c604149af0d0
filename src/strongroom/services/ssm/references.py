"""`/aws/reference/secretsmanager/<secret>[:version-id|:version-stage]`: a Secrets Manager secret
read through GetParameter(s), always with decryption, by Secrets Manager's GetSecretValue on the
caller's behalf (their secretsmanager and kms permissions).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AWSError
from strongroom.services.ssm import errors

PREFIX = "/aws/reference/secretsmanager/"
_VERSION_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_reference(name: str) -> bool:
    return name.startswith(PREFIX)


def get(ctx: RequestContext, name: str, *, with_decryption: bool) -> dict[str, Any]:
    """The Parameter a reference resolves to."""
    if not with_decryption:
        raise errors.validation("WithDecryption flag must be True for retrieving a Secret Manager secret.")
    secret_id, colon, selector = name[len(PREFIX) :].partition(":")
    if not secret_id:
        raise errors.parameter_not_found()
    request: dict[str, Any] = {"SecretId": secret_id}
    if colon:
        request["VersionId" if _VERSION_ID.fullmatch(selector) else "VersionStage"] = selector
    try:
        secret = ctx.call("secretsmanager", "GetSecretValue", request)
    except AWSError as exc:
        if exc.code == "ResourceNotFoundException":
            raise errors.parameter_not_found(exc.message) from None
        raise
    if "SecretString" in secret:
        value = secret["SecretString"]
    else:
        value = base64.b64encode(bytes(secret.get("SecretBinary") or b"")).decode("ascii")
    parameter: dict[str, Any] = {
        "Name": name,
        "Type": "SecureString",
        "Value": value,
        "Version": 0,
        "SourceResult": json.dumps(_json_safe(secret)),
        "ARN": secret["ARN"],
        "DataType": "text",
    }
    if isinstance(secret.get("CreatedDate"), datetime):
        parameter["LastModifiedDate"] = secret["CreatedDate"]
    if colon:
        parameter["Selector"] = f":{selector}"
    return parameter


def _json_safe(secret: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in secret.items():
        if isinstance(value, datetime):
            safe[key] = value.isoformat()
        elif isinstance(value, bytes | bytearray):
            safe[key] = base64.b64encode(bytes(value)).decode("ascii")
        else:
            safe[key] = value
    return safe
