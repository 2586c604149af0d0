"""The CloudTrail record of one call (eventVersion 1.10), with secrets redacted by the model.

A member is redacted when botocore's model marks its shape `sensitive`, or when its name is one
of the always-secret names below; blobs (plaintexts, ciphertexts) are never recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from botocore.model import OperationModel, Shape

from strongroom.core.audit import AuditEntry
from strongroom.core.iam.principals import Principal

REDACTED = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET_NAMES = frozenset(
    name.lower()
    for name in (
        "Plaintext", "SecretString", "SecretBinary", "Password", "NewPassword", "OldPassword",
        "PrivateKey", "SecretAccessKey", "SessionToken", "Passphrase", "PrivateKeyPlaintext",
        "SharedSecret", "KeyMaterial", "EncryptedKeyMaterial", "Value", "ClientSecret",
        "ApiKeyValue", "SSECustomerKey", "CopySourceSSECustomerKey",
    )
)  # fmt: skip
_READ_PREFIXES = ("Get", "List", "Describe", "Lookup", "Head", "Search", "Batch Get", "Verify", "Generate")


@lru_cache(maxsize=4096)
def is_read_only(operation: str) -> bool:
    if operation.startswith("Generate") and operation != "GenerateRandom":
        return False  # GenerateDataKey and friends are recorded as non-read-only by CloudTrail.
    return operation.startswith(_READ_PREFIXES) or operation in ("GetCallerIdentity", "Decrypt", "Encrypt")


def redact(shape: Shape | None, value: Any) -> Any:
    """A JSON-safe copy of `value` with sensitive members hidden and blobs dropped."""
    if value is None:
        return None
    if shape is not None and _is_sensitive(shape):
        return REDACTED
    return _redact_value(shape, value)


_PLAIN = frozenset({str, int, bool, float})
_CONTAINERS = (dict, list)


def _redact_value(shape: Shape | None, value: Any) -> Any:
    """`redact` of a value that is not None and whose shape is not sensitive."""
    if value.__class__ in _PLAIN:
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        plan = _members(shape)
        for key, item in value.items():
            found = plan.get(key)
            if found is None:
                found = _member_plan(shape, key)
            name, member_shape, secret, sensitive = found
            if secret and not isinstance(item, _CONTAINERS):
                out[name] = REDACTED
            elif item is None:
                continue
            elif sensitive:
                out[name] = REDACTED
            elif item.__class__ in _PLAIN:
                out[name] = item
            else:
                cleaned = _redact_value(member_shape, item)
                if cleaned is not None:
                    out[name] = cleaned
        return out
    if isinstance(value, bytes):
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        member = getattr(shape, "member", None) if shape is not None else None
        return [redact(member, v) for v in value]
    return value


# recorded name, shape, always-secret name, sensitive shape
_MemberPlan = tuple[str, Shape | None, bool, bool]


@lru_cache(maxsize=8192)
def _is_sensitive(shape: Shape) -> bool:
    return bool(shape.metadata.get("sensitive"))


@lru_cache(maxsize=8192)
def _members(shape: Shape | None) -> dict[str, _MemberPlan]:
    """How each modelled member of a structure is recorded (model shapes live for the process)."""
    members = getattr(shape, "members", None) if shape is not None and shape.type_name != "map" else None
    return {key: _member_plan(shape, key) for key in members or ()}


def _member_plan(shape: Shape | None, key: str) -> _MemberPlan:
    if shape is not None and shape.type_name == "map":
        member_shape = getattr(shape, "value", None)
    else:
        members = getattr(shape, "members", None) if shape is not None else None
        member_shape = members.get(key) if members else None
    sensitive = member_shape is not None and _is_sensitive(member_shape)
    return _camel(key, shape), member_shape, str(key).lower() in _SECRET_NAMES, sensitive


def _camel(key: str, shape: Shape | None) -> str:
    if shape is not None and shape.type_name == "map":
        return key
    return key[:1].lower() + key[1:] if key else key


def user_identity(principal: Principal, invoked_by: str | None = None) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": principal.type,
        "principalId": principal.principal_id,
        "arn": principal.arn,
        "accountId": principal.account_id,
    }
    if principal.access_key_id:
        identity["accessKeyId"] = principal.access_key_id
    if principal.type == "IAMUser" and principal.user_name:
        identity["userName"] = principal.user_name
    if principal.temporary:
        context: dict[str, Any] = {
            "attributes": {
                "creationDate": principal.session_issued_at.isoformat().replace("+00:00", "Z")
                if principal.session_issued_at
                else None,
                "mfaAuthenticated": "true" if principal.mfa_authenticated else "false",
            }
        }
        if principal.type == "AssumedRole":
            context["sessionIssuer"] = {
                "type": "Role",
                "principalId": principal.role_id,
                "arn": principal.role_arn,
                "accountId": principal.account_id,
                "userName": principal.role_name,
            }
        if principal.source_identity:
            context["sourceIdentity"] = principal.source_identity
        identity["sessionContext"] = context
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def _event_time(moment: datetime) -> str:
    # A zero-padded `%02d` goes through str.__mod__'s slow path (an int object, then padding):
    # the digit pairs are looked up instead, ~3x faster. strftime stays for the years glibc
    # writes unpadded (before 1000), so the text is the same.
    year = moment.year
    if year < 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    two = _TWO_DIGITS
    return (
        f"{year}-{two[moment.month]}-{two[moment.day]}"
        f"T{two[moment.hour]}:{two[moment.minute]}:{two[moment.second]}Z"
    )


@dataclass(frozen=True, slots=True)
class _OperationPlan:
    """What every record of one operation shares, worked out once per operation model."""

    name: str
    read_only: bool
    input_shape: Shape | None
    input_hidden: bool  # the whole input shape is sensitive
    output_shape: Shape | None
    output_hidden: bool


@lru_cache(maxsize=4096)
def _operation_plan(operation: OperationModel) -> _OperationPlan:
    input_shape, output_shape = operation.input_shape, operation.output_shape
    return _OperationPlan(
        name=operation.name,
        read_only=is_read_only(operation.name),
        input_shape=input_shape,
        input_hidden=input_shape is not None and _is_sensitive(input_shape),
        output_shape=output_shape,
        output_hidden=output_shape is not None and _is_sensitive(output_shape),
    )


def build_entry(
    *,
    event_id: str,
    request_id: str,
    event_time: datetime,
    service_host: str,
    operation: OperationModel,
    region: str,
    principal: Principal,
    source_ip: str,
    user_agent: str,
    request: dict[str, Any] | None,
    response: dict[str, Any] | None,
    error: tuple[str, str] | None,
    resources: list[tuple[str, str]],
    invoked_by: str | None,
    host_header: str,
    tls: bool,
    additional_event_data: dict[str, Any] | None = None,
) -> AuditEntry:
    plan = _operation_plan(operation)
    read_only = plan.read_only
    account_id = principal.account_id
    if request is None:
        request_parameters = None
    elif plan.input_hidden:
        request_parameters = REDACTED
    else:
        request_parameters = _redact_value(plan.input_shape, request) or None
    if read_only or error or response is None:
        response_elements = None
    elif plan.output_hidden:
        response_elements = REDACTED
    else:
        response_elements = _redact_value(plan.output_shape, response) or None
    record: dict[str, Any] = {
        "eventVersion": "1.10",
        "userIdentity": user_identity(principal, invoked_by),
        "eventTime": _event_time(event_time),
        "eventSource": service_host,
        "eventName": plan.name,
        "awsRegion": region,
        "sourceIPAddress": invoked_by or source_ip,
        "userAgent": invoked_by or user_agent,
        "requestParameters": request_parameters,
        "responseElements": response_elements,
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }
    if error is not None:
        record["errorCode"], record["errorMessage"] = error
    if resources:
        record["resources"] = [
            {"accountId": account_id, "type": kind, "ARN": name} for kind, name in resources
        ]
    if additional_event_data:
        record["additionalEventData"] = additional_event_data
    if tls:
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": host_header,
        }
    # Positional, in AuditEntry's field order: binding eleven keyword arguments cost ~5k more
    # instructions a record (callgrind, `bench/audit.py --mode records`), a tenth of the build.
    return AuditEntry(
        event_id,
        account_id,
        region,
        event_time,
        service_host,
        plan.name,
        read_only,
        principal.name or None,
        principal.access_key_id,
        tuple(resources),
        record,
    )
