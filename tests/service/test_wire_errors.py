"""Each protocol answers authentication and routing failures in its own AWS form, live."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

# (service, call, kwargs, expected code for a wrong secret, HTTP status)
WRONG_SECRET = [
    ("sts", "get_caller_identity", {}, "SignatureDoesNotMatch", 403),
    ("iam", "list_users", {}, "SignatureDoesNotMatch", 403),
    ("kms", "list_keys", {}, "InvalidSignatureException", 400),
    ("cloudtrail", "lookup_events", {}, "InvalidSignatureException", 400),
    ("s3", "list_buckets", {}, "SignatureDoesNotMatch", 403),
    ("ec2", "describe_regions", {}, "AuthFailure", 401),
    ("guardduty", "list_detectors", {}, "InvalidSignatureException", 403),
]


@pytest.mark.parametrize(("service", "call", "kwargs", "code", "status"), WRONG_SECRET)
def test_a_wrong_secret_gets_the_protocols_error(
    make_client: Any, service: str, call: str, kwargs: dict[str, Any], code: str, status: int
) -> None:
    client = make_client(service, secret_key="wrong")
    with pytest.raises(ClientError) as err:
        getattr(client, call)(**kwargs)
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


UNKNOWN_KEY = [
    ("sts", "get_caller_identity", "InvalidClientTokenId", 403),
    ("kms", "list_keys", "UnrecognizedClientException", 400),
    ("s3", "list_buckets", "InvalidAccessKeyId", 403),
    ("ec2", "describe_regions", "AuthFailure", 401),
]


@pytest.mark.parametrize(("service", "call", "code", "status"), UNKNOWN_KEY)
def test_an_unknown_access_key_gets_the_protocols_error(
    make_client: Any, service: str, call: str, code: str, status: int
) -> None:
    client = make_client(service, access_key="AKIANOSUCHKEY0000000", secret_key="whatever")
    with pytest.raises(ClientError) as err:
        getattr(client, call)()
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def _signed(
    endpoint: str, body: str, *, when: dt.datetime, target: str | None = None, service: str = "sts"
) -> Any:
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if target:
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    request = AWSRequest(method="POST", url=endpoint + "/", data=body.encode(), headers=headers)
    auth = SigV4Auth(Credentials("test", "test"), service, "us-east-1")
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    request.context["timestamp"] = stamp
    request.headers["X-Amz-Date"] = stamp
    request.headers["Host"] = endpoint.split("://", 1)[1]
    request.headers["X-Amz-Content-SHA256"] = auth.payload(request)
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    scope = f"test/{stamp[:8]}/us-east-1/{service}/aws4_request"
    signed_headers = auth.signed_headers(auth.headers_to_sign(request))
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
    return requests.post(
        endpoint + "/", data=body.encode(), headers=dict(request.headers.items()), timeout=10
    )


def test_a_request_signed_16_minutes_ago_is_refused(endpoint: str) -> None:
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    fresh = _signed(endpoint, body, when=dt.datetime.now(dt.UTC))
    assert fresh.status_code == 200, fresh.text
    stale = _signed(endpoint, body, when=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert stale.status_code in (400, 403)
    assert (
        "<Code>SignatureDoesNotMatch</Code>" in stale.text
        or "<Code>InvalidSignatureException</Code>" in stale.text
    )
    assert "expired" in stale.text.lower()


def test_the_dev_clock_does_not_affect_request_age(endpoint: str, server: Any) -> None:
    server.advance_clock(3600 * 24)
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    assert _signed(endpoint, body, when=dt.datetime.now(dt.UTC)).status_code == 200


def test_no_signature_at_all(endpoint: str) -> None:
    r = requests.post(
        endpoint + "/",
        data="Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert r.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in r.text


def test_a_json_request_naming_no_operation(endpoint: str) -> None:
    r = _signed(
        endpoint, "{}", when=dt.datetime.now(dt.UTC), target="TrentService.NoSuchThing", service="kms"
    )
    assert r.status_code == 400
    assert r.json()["__type"].endswith("UnknownOperationException")


def test_malformed_json_is_a_serialization_error(endpoint: str) -> None:
    r = _signed(
        endpoint,
        "{not json",
        when=dt.datetime.now(dt.UTC),
        target="com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
        service="cloudtrail",
    )
    assert r.status_code == 400
    assert r.json()["__type"].endswith("SerializationException")


def test_an_unknown_query_action(endpoint: str) -> None:
    r = _signed(endpoint, "Action=DoSomethingElse&Version=2011-06-15", when=dt.datetime.now(dt.UTC))
    assert r.status_code == 400
    assert "<Code>InvalidAction</Code>" in r.text
