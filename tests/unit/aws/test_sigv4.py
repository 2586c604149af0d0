"""SigV4 verification against requests that botocore itself signed, one per protocol family.

Every request here is produced by a real botocore client (custom endpoint, a `before-send`
handler that records the prepared request instead of sending it) and then verified; every
failure is the same request with one thing changed, held to the AWS code and status.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import botocore.session
import pytest
from botocore.config import Config

from strongroom.aws.errors import AuthError
from strongroom.aws.http import Headers, HttpRequest
from strongroom.aws.sigv4 import (
    SignatureFormatError,
    SignedRequestInfo,
    auth_error,
    parse_authorization,
    request_signer,
    signing_key,
    verify,
)

ACCESS_KEY = "AKIASTRONGROOMTEST01"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ENDPOINT = "http://localhost:4566"


class _Captured(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


@dataclass
class Signed:
    """One botocore-signed request and the moment it was signed."""

    request: HttpRequest
    signed_at: datetime
    family: str
    info: SignedRequestInfo = field(init=False)

    def __post_init__(self) -> None:
        info = parse_authorization(self.request)
        assert info is not None
        self.info = info

    def verify(self, *, secret: str = SECRET, after: timedelta = timedelta(0)) -> bytes:
        info = parse_authorization(self.request)
        assert info is not None
        return verify(self.request, info, secret, now=self.signed_at + after, service_family=self.family)

    def refusal(self, **kwargs: Any) -> AuthError:
        with pytest.raises(AuthError) as caught:
            self.verify(**kwargs)
        return caught.value


def _to_http_request(prepared: Any) -> HttpRequest:
    parts = urlsplit(prepared.url)
    items: list[tuple[str, str]] = []
    for name, value in prepared.headers.items():
        items.append((name, value.decode("utf-8") if isinstance(value, bytes) else str(value)))
    if not any(name.lower() == "host" for name, _ in items):
        # What urllib3 sends, and what botocore signed from the URL.
        items.append(("Host", parts.netloc))
    body = prepared.body
    if body is None:
        body = b""
    elif hasattr(body, "read"):
        body = body.read()
    elif isinstance(body, str):
        body = body.encode("utf-8")
    return HttpRequest(
        method=prepared.method,
        raw_path=parts.path,
        query_string=parts.query,
        headers=Headers(items),
        body=body,
    )


_SESSION = botocore.session.Session()
_CLIENTS: dict[str, Any] = {}


def _client(service: str, *, endpoint: str = ENDPOINT, token: str | None = None, **config: Any) -> Any:
    """A botocore client whose requests are captured before sending (one per configuration)."""
    cache_key = repr((service, endpoint, token, sorted(config.items())))
    if cache_key in _CLIENTS:
        return _CLIENTS[cache_key]
    client = _SESSION.create_client(
        service,
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET,
        aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}, **config),
    )

    def capture(request: Any, **_: Any) -> None:
        raise _Captured(request)

    client.meta.events.register("before-send", capture)
    _CLIENTS[cache_key] = client
    return client


def sign(
    service: str, operation: str, family: str, params: dict[str, Any] | None = None, **kw: Any
) -> Signed:
    client = _client(service, **kw)
    signed_at = datetime.now(UTC)
    with pytest.raises(_Captured) as caught:
        getattr(client, operation)(**(params or {}))
    return Signed(_to_http_request(caught.value.request), signed_at, family)


def presign(operation: str, params: dict[str, Any], expires: int = 3600, **kw: Any) -> Signed:
    # boto3 presigns S3 URLs with SigV2 unless told otherwise (see test_sigv2_presigned_url_is_refused).
    client = _client("s3", signature_version="s3v4", **kw)
    signed_at = datetime.now(UTC)
    url = client.generate_presigned_url(operation, Params=params, ExpiresIn=expires)
    parts = urlsplit(url)
    request = HttpRequest(
        method="GET", raw_path=parts.path, query_string=parts.query, headers=Headers([("Host", parts.netloc)])
    )
    return Signed(request, signed_at, "rest-xml")


def replace_header(signed: Signed, name: str, value: str) -> None:
    signed.request.headers[name] = value


# --------------------------------------------------------------------------------------------
# Correct requests of every protocol family verify.


def _kms() -> Signed:
    return sign("kms", "encrypt", "json", {"KeyId": "alias/app", "Plaintext": b"attack at dawn"})


def _sts() -> Signed:
    return sign("sts", "get_caller_identity", "query")


def _ec2() -> Signed:
    return sign("ec2", "describe_instances", "ec2", {"InstanceIds": ["i-0123456789abcdef0"]})


def _guardduty() -> Signed:
    return sign("guardduty", "list_detectors", "rest-json", {"MaxResults": 5, "NextToken": "a b~ü+/="})


def _s3_put_signed_payload() -> Signed:
    return sign(
        "s3", "put_object", "rest-xml", {"Bucket": "bucket", "Key": "dir/a file ü€.txt", "Body": b"hello"}
    )


FAMILY_CASES: dict[str, Callable[[], Signed]] = {
    "kms-json": _kms,
    "sts-query": _sts,
    "iam-query": lambda: sign("iam", "list_users", "query", {"PathPrefix": "/team a/ü~/"}),
    "ec2": _ec2,
    "guardduty-rest-json": _guardduty,
    "guardduty-rest-json-post": lambda: sign(
        "guardduty", "create_detector", "rest-json", {"Enable": True, "ClientToken": "tok"}
    ),
    "guardduty-rest-json-arn-in-path": lambda: sign(
        "guardduty",
        "list_tags_for_resource",
        "rest-json",
        {"ResourceArn": "arn:aws:guardduty:us-east-1:123456789012:detector/a b"},
    ),
    "s3-put-signed-payload": _s3_put_signed_payload,
    "s3-list-unicode-query": lambda: sign(
        "s3", "list_objects_v2", "rest-xml", {"Bucket": "bucket", "Prefix": "a b~ü/ñ+%", "Delimiter": "/"}
    ),
    "s3-get-key-with-spaces": lambda: sign(
        "s3", "get_object", "rest-xml", {"Bucket": "bucket", "Key": "my photos/été 2024/~a+b=c&d.jpg"}
    ),
    "s3-virtual-host": lambda: sign(
        "s3",
        "get_object",
        "rest-xml",
        {"Bucket": "bucket", "Key": "k ü"},
        endpoint="http://s3.localhost.localstack.cloud:4566",
        s3={"addressing_style": "virtual"},
    ),
    "s3-subresource-without-value": lambda: sign(
        "s3", "create_multipart_upload", "rest-xml", {"Bucket": "bucket", "Key": "big.bin"}
    ),
}


@pytest.mark.parametrize("case", FAMILY_CASES)
def test_botocore_signed_requests_verify(case: str) -> None:
    signed = FAMILY_CASES[case]()
    assert signed.verify() == signed.request.body


def test_parse_reads_the_scope() -> None:
    info = _kms().info
    assert (info.access_key_id, info.region, info.service, info.presigned) == (
        ACCESS_KEY,
        "us-east-1",
        "kms",
        False,
    )
    assert info.date == datetime.now(UTC).strftime("%Y%m%d") or len(info.date) == 8
    assert {"host", "x-amz-date", "x-amz-target"} <= set(info.signed_headers)
    assert len(info.signature) == 64


def test_session_token_is_read_and_kept_out_of_repr() -> None:
    signed = sign("kms", "list_keys", "json", token="FwoGZXIvYXdzEXAMPLETOKEN+/=")
    assert signed.info.session_token == "FwoGZXIvYXdzEXAMPLETOKEN+/="
    assert "EXAMPLETOKEN" not in repr(signed.info)
    signed.verify()
    url = presign("get_object", {"Bucket": "b", "Key": "k"}, token="FwoGZXIvYXdzEXAMPLETOKEN+/=")
    assert url.info.session_token == "FwoGZXIvYXdzEXAMPLETOKEN+/="
    url.verify()


def test_no_signature_at_all_is_none() -> None:
    assert parse_authorization(HttpRequest("GET", "/", "prefix=a", Headers([("Host", "x")]))) is None


# --------------------------------------------------------------------------------------------
# S3 payloads: the default checksum trailer, presigned URLs, content hashes.


def test_s3_put_object_over_tls_sends_and_verifies_the_default_crc32_trailer() -> None:
    signed = sign(
        "s3",
        "put_object",
        "rest-xml",
        {"Bucket": "b", "Key": "a b/ü.txt", "Body": b"x" * 70_000},
        endpoint="https://localhost:4566",
    )
    headers = signed.request.headers
    assert headers.get("x-amz-content-sha256") == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers.get("x-amz-trailer") == "x-amz-checksum-crc32"
    assert signed.request.body.endswith(b"\r\n\r\n") and b"x-amz-checksum-crc32:" in signed.request.body
    assert signed.verify() == b"x" * 70_000


# CRC32C and CRC64NVME need awscrt in botocore; tests/unit/aws/test_chunked.py covers them.
@pytest.mark.parametrize("algorithm", ["CRC32", "SHA1", "SHA256"])
def test_s3_trailer_checksums_of_each_algorithm_verify(algorithm: str) -> None:
    signed = sign(
        "s3",
        "put_object",
        "rest-xml",
        {"Bucket": "b", "Key": "k", "Body": b"payload", "ChecksumAlgorithm": algorithm},
        endpoint="https://localhost:4566",
    )
    assert signed.request.headers.get("x-amz-trailer") == f"x-amz-checksum-{algorithm.lower()}"
    assert signed.verify() == b"payload"


def test_s3_trailer_with_a_changed_byte_is_bad_digest() -> None:
    signed = sign(
        "s3",
        "put_object",
        "rest-xml",
        {"Bucket": "b", "Key": "k", "Body": b"0123456789"},
        endpoint="https://localhost:4566",
    )
    signed.request.body = signed.request.body.replace(b"0123456789", b"0123456788")
    error = signed.refusal()
    assert (error.code, error.status) == ("BadDigest", 400)


def test_s3_trailer_body_cut_short_is_incomplete_body() -> None:
    signed = sign(
        "s3",
        "put_object",
        "rest-xml",
        {"Bucket": "b", "Key": "k", "Body": b"0123456789"},
        endpoint="https://localhost:4566",
    )
    signed.request.body = signed.request.body[:8]
    error = signed.refusal()
    assert (error.code, error.status) == ("IncompleteBody", 400)


def test_s3_body_changed_under_a_signed_payload_hash_is_content_sha_mismatch() -> None:
    signed = _s3_put_signed_payload()
    signed.request.body = b"hellO"
    error = signed.refusal()
    assert (error.code, error.status) == ("XAmzContentSHA256Mismatch", 400)
    assert error.extra["ClientComputedContentSHA256"] == hashlib.sha256(b"hello").hexdigest()


def test_s3_requires_x_amz_content_sha256() -> None:
    signed = _s3_put_signed_payload()
    signed.request.headers = Headers(
        [(k, v) for k, v in signed.request.headers.items() if k.lower() != "x-amz-content-sha256"]
    )
    error = signed.refusal()
    assert (error.code, error.status) == ("InvalidRequest", 400)


def test_s3_unsigned_payload_is_accepted() -> None:
    signed = sign(
        "s3",
        "put_object",
        "rest-xml",
        {"Bucket": "b", "Key": "k", "Body": b"data"},
        endpoint="https://localhost:4566",
        s3={"payload_signing_enabled": False},
        request_checksum_calculation="when_required",
    )
    assert signed.request.headers.get("x-amz-content-sha256") == "UNSIGNED-PAYLOAD"
    assert signed.verify() == b"data"


def test_presigned_get_url_verifies_and_expires() -> None:
    url = presign("get_object", {"Bucket": "bucket", "Key": "reports/Q1 résumé ~1.pdf"}, expires=60)
    assert url.info.presigned and url.info.signed_headers == ("host",)
    assert url.verify(after=timedelta(seconds=59)) == b""
    error = url.refusal(after=timedelta(seconds=61))
    assert (error.code, error.status, error.message) == ("AccessDenied", 403, "Request has expired")
    assert error.extra["X-Amz-Expires"] == "60"


def test_presigned_url_is_valid_for_its_whole_lifetime_not_just_15_minutes() -> None:
    url = presign("get_object", {"Bucket": "bucket", "Key": "k"}, expires=7 * 24 * 3600)
    url.verify(after=timedelta(days=6))


def test_presigned_url_longer_than_a_week_is_refused() -> None:
    url = presign("get_object", {"Bucket": "bucket", "Key": "k"}, expires=604_801)
    error = url.refusal()
    assert (error.code, error.status) == ("AuthorizationQueryParametersError", 400)


def test_presigned_url_with_a_changed_query_or_path_is_refused() -> None:
    url = presign("get_object", {"Bucket": "bucket", "Key": "k", "ResponseContentType": "text/plain"})
    url.request.query_string = url.request.query_string.replace("text%2Fplain", "text%2Fhtml")
    assert url.refusal().code == "SignatureDoesNotMatch"
    url = presign("get_object", {"Bucket": "bucket", "Key": "k"})
    url.request.raw_path = "/bucket/l"
    assert (url.refusal().code, url.refusal().status) == ("SignatureDoesNotMatch", 403)


def test_presigned_url_missing_parameters_is_malformed() -> None:
    url = presign("get_object", {"Bucket": "bucket", "Key": "k"})
    url.request.query_string = "&".join(
        p for p in url.request.query_string.split("&") if not p.startswith("X-Amz-Expires=")
    )
    with pytest.raises(SignatureFormatError) as caught:
        parse_authorization(url.request)
    assert caught.value.for_family("rest-xml").code == "AuthorizationQueryParametersError"


# --------------------------------------------------------------------------------------------
# One thing changed: the expected refusal, per family.

WRONG_SECRET = {
    "kms-json": (_kms, "InvalidSignatureException", 400),
    "sts-query": (_sts, "SignatureDoesNotMatch", 403),
    "ec2": (_ec2, "AuthFailure", 401),
    "guardduty-rest-json": (_guardduty, "InvalidSignatureException", 403),
    "s3": (_s3_put_signed_payload, "SignatureDoesNotMatch", 403),
}


@pytest.mark.parametrize("case", WRONG_SECRET)
def test_wrong_secret_is_signature_mismatch(case: str) -> None:
    make, code, status = WRONG_SECRET[case]
    error = make().refusal(secret=SECRET[:-1] + "Z")
    assert (error.code, error.status) == (code, status)


def test_s3_signature_mismatch_carries_the_string_to_sign_but_no_secret() -> None:
    error = _s3_put_signed_payload().refusal(secret="other-secret")
    assert error.extra["AWSAccessKeyId"] == ACCESS_KEY
    assert str(error.extra["StringToSign"]).startswith("AWS4-HMAC-SHA256\n")
    assert "other-secret" not in repr(error.extra) and SECRET not in repr(error.extra)


def test_changed_body_of_a_json_request_is_invalid_signature() -> None:
    signed = _kms()
    signed.request.body = signed.request.body.replace(b"alias/app", b"alias/apq")
    assert (signed.refusal().code, signed.refusal().status) == ("InvalidSignatureException", 400)


def test_changed_path_is_refused() -> None:
    signed = sign("s3", "get_object", "rest-xml", {"Bucket": "bucket", "Key": "a b"})
    signed.request.raw_path = signed.request.raw_path.replace("a%20b", "a%20c")
    assert signed.refusal().code == "SignatureDoesNotMatch"
    signed = sign("guardduty", "get_detector", "rest-json", {"DetectorId": "abc"})
    signed.request.raw_path = signed.request.raw_path.replace("abc", "abd")
    assert (signed.refusal().code, signed.refusal().status) == ("InvalidSignatureException", 403)


def test_changed_query_is_refused() -> None:
    signed = _guardduty()
    signed.request.query_string = signed.request.query_string.replace("maxResults=5", "maxResults=6")
    assert signed.request.query_string != _guardduty().request.query_string
    assert signed.refusal().code == "InvalidSignatureException"


def test_changed_signed_header_is_refused() -> None:
    signed = _kms()
    replace_header(signed, "X-Amz-Target", "TrentService.Decrypt")
    assert signed.refusal().code == "InvalidSignatureException"


def test_unsigned_header_may_change() -> None:
    signed = _kms()
    signed.request.headers.add("X-Forwarded-For", "10.0.0.1")
    signed.verify()


@pytest.mark.parametrize(
    ("make", "code", "status"),
    [
        (_kms, "InvalidSignatureException", 400),
        (_sts, "SignatureDoesNotMatch", 403),
        (_ec2, "RequestExpired", 400),
        (_guardduty, "InvalidSignatureException", 403),
        (_s3_put_signed_payload, "RequestTimeTooSkewed", 403),
    ],
)
def test_request_16_minutes_old_is_expired(make: Any, code: str, status: int) -> None:
    signed = make()
    error = signed.refusal(after=timedelta(minutes=16))
    assert (error.code, error.status) == (code, status)
    if signed.family in ("json", "query", "rest-json"):
        assert error.message.startswith(
            f"Signature expired: {signed.request.headers.get('x-amz-date')} is now earlier than"
        )
        assert error.message.endswith(" - 15 min.)")
    signed.verify(after=timedelta(minutes=14))


def test_s3_skew_error_carries_aws_fields() -> None:
    error = _s3_put_signed_payload().refusal(after=timedelta(minutes=16))
    assert error.extra["MaxAllowedSkewMilliseconds"] == "900000"
    assert set(error.extra) == {"RequestTime", "ServerTime", "MaxAllowedSkewMilliseconds"}


def test_request_from_16_minutes_in_the_future_is_not_yet_current() -> None:
    error = _kms().refusal(after=-timedelta(minutes=16))
    assert error.code == "InvalidSignatureException"
    assert error.message.startswith("Signature not yet current:")


def _edit_authorization(signed: Signed, old: str, new: str) -> None:
    authorization = signed.request.headers.get("authorization") or ""
    assert old in authorization
    replace_header(signed, "Authorization", authorization.replace(old, new))


def test_scope_date_that_differs_from_x_amz_date_is_refused() -> None:
    signed = _kms()
    _edit_authorization(signed, f"/{signed.info.date}/", "/20200101/")
    error = signed.refusal()
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message.startswith("Date in Credential scope does not match")
    signed = _s3_put_signed_payload()
    _edit_authorization(signed, f"/{signed.info.date}/", "/20200101/")
    assert (signed.refusal().code, signed.refusal().status) == ("AuthorizationHeaderMalformed", 400)


def test_host_must_be_signed() -> None:
    signed = _kms()
    _edit_authorization(signed, "SignedHeaders=content-type;host;", "SignedHeaders=content-type;")
    error = signed.refusal()
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    signed = _sts()
    _edit_authorization(signed, ";host;", ";")
    assert (signed.refusal().code, signed.refusal().status) == ("IncompleteSignature", 400)


def test_x_amz_date_must_be_signed() -> None:
    signed = _kms()
    _edit_authorization(signed, ";x-amz-date", "")
    assert signed.refusal().code == "IncompleteSignatureException"


@pytest.mark.parametrize(
    "authorization",
    [
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=A/2024-1-1/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0",
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request SignedHeaders=host Signature=a",
        "AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/kms/aws4_request,SignedHeaders=host;;a,Signature=0",
        "AWS AKID:c2lnbmF0dXJl",
        "",
    ],
)
def test_malformed_authorization_is_incomplete_signature(authorization: str) -> None:
    request = HttpRequest("POST", "/", headers=Headers([("Host", "x"), ("Authorization", authorization)]))
    with pytest.raises(SignatureFormatError) as caught:
        parse_authorization(request)
    error = caught.value
    assert (error.code, error.status) == ("IncompleteSignature", 400)
    assert (error.for_family("json").code, error.for_family("json").status) == (
        "IncompleteSignatureException",
        400,
    )
    assert error.for_family("rest-xml").code == "AuthorizationHeaderMalformed"
    assert error.for_family("rest-json").status == 403


def test_sigv2_presigned_url_is_refused_not_taken_as_anonymous() -> None:
    client = _client("s3")
    url = urlsplit(client.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}))
    assert "AWSAccessKeyId=" in url.query
    request = HttpRequest("GET", url.path, url.query, Headers([("Host", url.netloc)]))
    with pytest.raises(SignatureFormatError) as caught:
        parse_authorization(request)
    assert caught.value.for_family("rest-xml").code == "AuthorizationQueryParametersError"


def test_header_and_presigned_query_together_are_refused() -> None:
    url = presign("get_object", {"Bucket": "b", "Key": "k"})
    url.request.headers.add("Authorization", "AWS4-HMAC-SHA256 Credential=a/20240101/r/s3/aws4_request")
    with pytest.raises(SignatureFormatError):
        parse_authorization(url.request)


def test_canonical_headers_match_botocore() -> None:
    from botocore.auth import SigV4Auth
    from botocore.compat import HTTPHeaders

    from strongroom.aws.sigv4 import _canonical_headers, _header_index

    items = [
        ("Host", "kms.localhost:4566"),
        ("X-Amz-Meta-Tag", "  a   b  "),
        ("x-amz-meta-tag", "c\t d"),
        ("Content-Type", ""),
        ("X-Amz-Date", "20240101T000000Z"),
        ("User-Agent", "ünïcode/1.0"),
    ]
    signed = ("content-type", "host", "user-agent", "x-amz-date", "x-amz-meta-tag")
    theirs = HTTPHeaders()
    for name, value in items:
        theirs[name.lower()] = value
    request = HttpRequest("GET", "/", headers=Headers(items))
    assert _canonical_headers(_header_index(request), signed) == SigV4Auth(None, "", "").canonical_headers(
        theirs
    )


def test_signing_keys_are_cached() -> None:
    signing_key.cache_clear()
    request_signer.cache_clear()
    signed = _kms()
    signed.verify()
    signed.verify()
    signers = request_signer.cache_info()
    assert (signers.misses, signers.hits) == (1, 1)
    assert signers.maxsize is not None
    keys = signing_key.cache_info()
    assert (keys.misses, keys.hits) == (1, 0)
    assert keys.maxsize is not None


def test_signing_key_matches_the_aws_documentation_example() -> None:
    # "Examples of how to derive a signing key for Signature Version 4" (AWS General Reference).
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_date_header_can_stand_in_for_x_amz_date() -> None:
    now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    date_header = "Fri, 01 Mar 2024 12:00:00 GMT"
    request = HttpRequest("GET", "/", headers=Headers([("Host", "sts.local"), ("Date", date_header)]))
    canonical = "\n".join(
        [
            "GET",
            "/",
            "",
            f"date:{date_header}\nhost:sts.local\n",
            "date;host",
            hashlib.sha256(b"").hexdigest(),
        ]
    )
    scope = "20240301/us-east-1/sts/aws4_request"
    string_to_sign = (
        f"AWS4-HMAC-SHA256\n20240301T120000Z\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    signature = hmac.new(
        signing_key(SECRET, "20240301", "us-east-1", "sts"), string_to_sign.encode(), "sha256"
    ).hexdigest()
    request.headers.add(
        "Authorization",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders=date;host, Signature={signature}",
    )
    info = parse_authorization(request)
    assert info is not None
    verify(request, info, SECRET, now=now, service_family="query")
    with pytest.raises(AuthError):
        verify(request, info, SECRET, now=now + timedelta(minutes=16), service_family="query")


# --------------------------------------------------------------------------------------------
# The AWS documentation's chunk-signed upload, end to end.

DOC_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_SIGNATURES = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)


def _doc_chunked_request(signatures: tuple[str, str, str] = DOC_SIGNATURES) -> HttpRequest:
    """ "Signature Calculations for the Authorization Header: Transferring Payload in Multiple Chunks"."""
    body = (
        f"10000;chunk-signature={signatures[0]}\r\n".encode()
        + b"a" * 65536
        + f"\r\n400;chunk-signature={signatures[1]}\r\n".encode()
        + b"a" * 1024
        + f"\r\n0;chunk-signature={signatures[2]}\r\n\r\n".encode()
    )
    headers = Headers(
        [
            ("Host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            (
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential={DOC_ACCESS_KEY}/20130524/us-east-1/s3/aws4_request,"
                "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                "x-amz-decoded-content-length;x-amz-storage-class,"
                "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            ),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("Content-Length", "66824"),
        ]
    )
    return HttpRequest("PUT", "/examplebucket/chunkObject.txt", headers=headers, body=body)


DOC_NOW = datetime(2013, 5, 24, 0, 0, 30, tzinfo=UTC)


def test_aws_documentation_chunk_signed_upload_verifies_and_decodes() -> None:
    request = _doc_chunked_request()
    assert len(request.body) == 66824
    info = parse_authorization(request)
    assert info is not None
    assert verify(request, info, DOC_SECRET, now=DOC_NOW, service_family="rest-xml") == b"a" * 66560


@pytest.mark.parametrize("index", [0, 1, 2])
def test_aws_documentation_chunk_with_a_changed_signature_is_refused(index: int) -> None:
    signatures = list(DOC_SIGNATURES)
    signatures[index] = signatures[index][:-1] + ("0" if signatures[index][-1] != "0" else "1")
    request = _doc_chunked_request((signatures[0], signatures[1], signatures[2]))
    info = parse_authorization(request)
    assert info is not None
    with pytest.raises(AuthError) as caught:
        verify(request, info, DOC_SECRET, now=DOC_NOW, service_family="rest-xml")
    assert (caught.value.code, caught.value.status) == ("SignatureDoesNotMatch", 403)


def test_aws_documentation_chunk_with_a_changed_byte_is_refused() -> None:
    request = _doc_chunked_request()
    request.body = request.body[:1000] + b"b" + request.body[1001:]
    info = parse_authorization(request)
    assert info is not None
    with pytest.raises(AuthError) as caught:
        verify(request, info, DOC_SECRET, now=DOC_NOW, service_family="rest-xml")
    assert caught.value.code == "SignatureDoesNotMatch"


def test_chunked_upload_without_decoded_length_is_refused() -> None:
    request = _doc_chunked_request()
    request.headers = Headers(
        [(k, v) for k, v in request.headers.items() if k != "x-amz-decoded-content-length"]
    )
    info = parse_authorization(request)
    assert info is not None
    with pytest.raises(AuthError) as caught:
        verify(request, info, DOC_SECRET, now=DOC_NOW, service_family="rest-xml")
    # The header is signed, so dropping it breaks the signature before the body is read.
    assert caught.value.code == "SignatureDoesNotMatch"


# --------------------------------------------------------------------------------------------
# The error table.


@pytest.mark.parametrize(
    ("kind", "family", "code", "status"),
    [
        ("signature_mismatch", "smithy-rpc-v2-cbor", "InvalidSignatureException", 400),
        ("unknown_key", "json", "UnrecognizedClientException", 400),
        ("unknown_key", "rest-json", "UnrecognizedClientException", 403),
        ("unknown_key", "query", "InvalidClientTokenId", 403),
        ("unknown_key", "rest-xml", "InvalidAccessKeyId", 403),
        ("unknown_key", "ec2", "AuthFailure", 401),
        ("missing", "query", "MissingAuthenticationToken", 403),
        ("missing", "json", "MissingAuthenticationTokenException", 400),
        ("missing", "rest-xml", "AccessDenied", 403),
        ("missing", "ec2", "MissingAuthenticationToken", 401),
        ("incomplete", "query", "IncompleteSignature", 400),
        ("incomplete_query", "rest-xml", "AuthorizationQueryParametersError", 400),
        ("incomplete_query", "json", "IncompleteSignatureException", 400),
        ("expired_token", "json", "ExpiredTokenException", 400),
        ("expired_token", "query", "ExpiredToken", 403),
        ("expired_token", "s3", "ExpiredToken", 400),
        ("expired_token", "ec2", "RequestExpired", 400),
        ("content_sha_mismatch", "rest-xml", "XAmzContentSHA256Mismatch", 400),
        ("content_sha_mismatch", "json", "InvalidSignatureException", 400),
        ("bad_digest", "rest-xml", "BadDigest", 400),
        ("missing_decoded_length", "rest-xml", "MissingContentLength", 411),
    ],
)
def test_auth_error_table(kind: str, family: str, code: str, status: int) -> None:
    error = auth_error(kind, family, "")
    assert isinstance(error, AuthError)
    assert (error.code, error.status) == (code, status)
    assert error.message


def test_auth_error_messages_and_extras() -> None:
    assert (
        auth_error("unknown_key", "json", "").message
        == "The security token included in the request is invalid."
    )
    assert auth_error("unknown_key", "query", "custom").message == "custom"
    assert auth_error("skew", "json", "", extra={"RequestTime": "x"}).extra == {}
    assert auth_error("skew", "rest-xml", "", extra={"RequestTime": "x"}).extra == {"RequestTime": "x"}
    with pytest.raises(ValueError, match="family"):
        auth_error("unknown_key", "soap", "")
    with pytest.raises(ValueError, match="kind"):
        auth_error("nope", "json", "")
