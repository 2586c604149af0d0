"""`build_entry` against the builder it replaced: the same columns and byte-identical JSON."""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import botocore.session
import orjson
import pytest
from botocore.model import OperationModel, ServiceModel
from shape_examples import example_input, example_output
from test_trail_records import reference_redact

from strongroom.aws.trail import build_entry
from strongroom.core.audit import AuditEntry
from strongroom.core.iam.principals import Principal, root_principal

ACCOUNT = "111122223333"


def reference_read_only(operation: str) -> bool:
    if operation.startswith("Generate") and operation != "GenerateRandom":
        return False
    prefixes = ("Get", "List", "Describe", "Lookup", "Head", "Search", "Batch Get", "Verify", "Generate")
    return operation.startswith(prefixes) or operation in ("GetCallerIdentity", "Decrypt", "Encrypt")


def reference_user_identity(principal: Principal, invoked_by: str | None) -> dict[str, Any]:
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


def reference_build_entry(
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
    """The builder as first written: the plain redaction walk, strftime, keyword arguments."""
    read_only = reference_read_only(operation.name)
    record: dict[str, Any] = {
        "eventVersion": "1.10",
        "userIdentity": reference_user_identity(principal, invoked_by),
        "eventTime": event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": service_host,
        "eventName": operation.name,
        "awsRegion": region,
        "sourceIPAddress": invoked_by or source_ip,
        "userAgent": invoked_by or user_agent,
        "requestParameters": reference_redact(operation.input_shape, request) or None,
        "responseElements": None
        if read_only or error
        else (reference_redact(operation.output_shape, response) or None),
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": principal.account_id,
        "eventCategory": "Management",
    }
    if error is not None:
        record["errorCode"], record["errorMessage"] = error
    if resources:
        record["resources"] = [
            {"accountId": principal.account_id, "type": kind, "ARN": name} for kind, name in resources
        ]
    if additional_event_data:
        record["additionalEventData"] = additional_event_data
    if tls:
        record["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": host_header,
        }
    return AuditEntry(
        event_id=event_id,
        account_id=principal.account_id,
        region=region,
        event_time=event_time,
        event_source=service_host,
        event_name=operation.name,
        read_only=read_only,
        username=principal.name or None,
        access_key_id=principal.access_key_id,
        resources=tuple(resources),
        record=record,
    )


PRINCIPALS = [
    root_principal(ACCOUNT, "AKIAROOT"),
    Principal(
        account_id=ACCOUNT,
        type="IAMUser",
        arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
        principal_id="AIDAALICE",
        access_key_id="AKIAALICE",
        user_name="alice",
    ),
    Principal(
        account_id=ACCOUNT,
        type="AssumedRole",
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/build-7",
        principal_id="AROADEPLOYER:build-7",
        access_key_id="ASIATEMP",
        role_name="deployer",
        role_id="AROADEPLOYER",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/deployer",
        session_name="build-7",
        session_issued_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        source_identity="ci",
        mfa_authenticated=True,
        temporary=True,
    ),
    Principal(
        account_id=ACCOUNT, type="IAMUser", arn=f"arn:aws:iam::{ACCOUNT}:user/", principal_id="AIDANONAME"
    ),
]
MOMENTS = [
    datetime(2026, 11, 29, 3, 4, 5, 678, tzinfo=UTC),
    datetime(1000, 1, 1, tzinfo=UTC),
    datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
]
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@functools.cache
def model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def call(operation: OperationModel, n: int, **overrides: Any) -> dict[str, Any]:
    """The keyword arguments the gateway passes, varied by `n` over the optional parts."""
    arguments: dict[str, Any] = {
        "event_id": f"event-{n}",
        "request_id": f"request-{n}",
        "event_time": MOMENTS[n % len(MOMENTS)],
        "service_host": f"{operation.service_model.signing_name}.amazonaws.com",
        "operation": operation,
        "region": "eu-west-1",
        "principal": PRINCIPALS[n % len(PRINCIPALS)],
        "source_ip": "192.0.2.7",
        "user_agent": "aws-cli/2.15",
        "request": example_input(operation, seed=n),
        "response": example_output(operation, seed=n),
        "error": ("AccessDeniedException", "not allowed") if n % 5 == 4 else None,
        "resources": [("AWS::KMS::Key", KEY_ARN)] * (n % 3),
        "invoked_by": "secretsmanager.amazonaws.com" if n % 7 == 3 else None,
        "host_header": "strongroom.test:4566",
        "tls": n % 2 == 1,
    }
    if n % 4 == 2:
        arguments["additional_event_data"] = {"keyMaterialId": "m-1", "n": n}
    elif n % 4 == 3:
        arguments["additional_event_data"] = {}
    arguments.update(overrides)
    return arguments


def assert_same_entry(arguments: dict[str, Any]) -> None:
    built, reference = build_entry(**arguments), reference_build_entry(**arguments)
    assert built == reference  # every column, and the record as a value
    assert orjson.dumps(built.record, default=str) == orjson.dumps(reference.record, default=str)


@pytest.mark.parametrize("service", ["kms", "secretsmanager", "ssm", "acm", "iam", "sts", "s3"])
def test_records_are_those_of_the_original_builder(service: str) -> None:
    service_model = model(service)
    counter = itertools.count()
    for name in service_model.operation_names:
        operation = service_model.operation_model(name)
        for _ in range(2):
            assert_same_entry(call(operation, next(counter)))


def test_a_kms_encrypt_as_the_gateway_records_it() -> None:
    encrypt = model("kms").operation_model("Encrypt")
    arguments = call(
        encrypt,
        0,
        request={"KeyId": KEY_ARN, "Plaintext": b"p" * 64, "EncryptionContext": {"Value": "x"}},
        response={"CiphertextBlob": b"c" * 186, "KeyId": KEY_ARN, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
        resources=[("AWS::KMS::Key", KEY_ARN)],
    )
    assert_same_entry(arguments)
    record = build_entry(**arguments).record
    assert record["requestParameters"] == {
        "keyId": KEY_ARN,
        "plaintext": "HIDDEN_DUE_TO_SECURITY_REASONS",
        "encryptionContext": {"Value": "HIDDEN_DUE_TO_SECURITY_REASONS"},
    }
    assert record["eventTime"] == "2026-11-29T03:04:05Z" and record["readOnly"] is True


def test_missing_request_and_response_and_a_write_call() -> None:
    create = model("kms").operation_model("CreateKey")
    cases: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = [
        (None, None),
        ({}, {}),
        (None, {"KeyMetadata": {"KeyId": "k"}}),
    ]
    for n, (request, response) in enumerate(cases):
        assert_same_entry(call(create, n, request=request, response=response))


def test_a_wholly_sensitive_input_or_output_shape_is_hidden() -> None:
    definition = {
        "metadata": {"protocol": "json", "serviceId": "Vault", "signingName": "vault", "apiVersion": "1"},
        "operations": {
            "PutThing": {"name": "PutThing", "input": {"shape": "Secret"}, "output": {"shape": "Secret"}},
            "MakeThing": {"name": "MakeThing", "input": {"shape": "Plain"}, "output": {"shape": "Secret"}},
        },
        "shapes": {
            "Secret": {"type": "structure", "members": {"A": {"shape": "S"}}, "sensitive": True},
            "Plain": {"type": "structure", "members": {"A": {"shape": "S"}}},
            "S": {"type": "string"},
        },
    }
    vault = ServiceModel(definition, service_name="vault")
    for n, name in enumerate(["PutThing", "MakeThing"]):
        operation = vault.operation_model(name)
        for request, response in [({"A": "a"}, {"A": "b"}), (None, None), ({}, {})]:
            arguments = call(operation, 4 * n, request=request, response=response, error=None)
            assert_same_entry(arguments)
    hidden = build_entry(
        **call(vault.operation_model("PutThing"), 0, request={"A": "a"}, response={"A": "b"})
    )
    assert hidden.record["requestParameters"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert hidden.record["responseElements"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
