"""What SigV4 verification caches from request to request, and what it must never cache.

The scope and signed headers of an Authorization header, the parse of an X-Amz-Date and the
HMAC pads of a signing key are kept; the signature, the clock window and the payload hash are
checked on every request. Each cached path is held to the uncached one it replaces.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom.aws.errors import AuthError
from strongroom.aws.http import Headers, HttpRequest
from strongroom.aws.sigv4 import (
    RequestSigner,
    SignatureFormatError,
    SignedRequestInfo,
    _header_claims,
    _header_fields,
    parse_authorization,
    verify,
)

ACCESS_KEY = "AKIAFASTPATHTEST0001"
SECRET = "fastpathsecretfastpathsecretfastpath0001"
BODY = b'{"KeyId": "alias/app", "Plaintext": "YXR0YWNrIGF0IGRhd24="}'


def _signed_kms_request(body: bytes = BODY) -> tuple[HttpRequest, datetime]:
    """A KMS Encrypt as the server hands it to the gateway: lower-cased header names."""
    signed_at = datetime.now(UTC)
    prepared = AWSRequest(
        method="POST",
        url="http://localhost:4566/",
        data=body,
        headers={
            "Host": "localhost:4566",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "TrentService.Encrypt",
            "amz-sdk-request": "attempt=1;  max=3",
        },
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET), "kms", "us-east-1").add_auth(prepared)
    items = [(name.lower(), str(value)) for name, value in prepared.headers.items()]
    return HttpRequest("POST", "/", headers=Headers(items), body=body), signed_at


def _info(request: HttpRequest) -> SignedRequestInfo:
    info = parse_authorization(request)
    assert info is not None
    return info


def _with_authorization(request: HttpRequest, authorization: str) -> HttpRequest:
    headers = Headers([(k, v) for k, v in request.headers.items() if k != "authorization"])
    headers.add("authorization", authorization)
    return HttpRequest(request.method, request.raw_path, headers=headers, body=request.body)


def _refusal(request: HttpRequest, now: datetime, secret: str = SECRET) -> AuthError:
    with pytest.raises(AuthError) as caught:
        verify(request, _info(request), secret, now=now, service_family="json")
    return caught.value


# --------------------------------------------------------------------------------------------
# Nothing that decides whether a request is genuine is remembered.


def test_a_forged_signature_after_a_genuine_one_of_the_same_scope_is_refused() -> None:
    request, now = _signed_kms_request()
    assert verify(request, _info(request), SECRET, now=now, service_family="json") == BODY
    authorization = request.headers["authorization"]
    genuine = authorization.rsplit("=", 1)[1]
    forged = ("0" if genuine[0] != "0" else "1") + genuine[1:]
    replay = _with_authorization(request, authorization.replace(genuine, forged))
    assert _info(replay).signature == forged
    assert _refusal(replay, now).code == "InvalidSignatureException"
    # ... and the genuine request still verifies after the forged one.
    assert verify(request, _info(request), SECRET, now=now, service_family="json") == BODY


def test_a_verified_request_with_a_changed_body_is_refused() -> None:
    request, now = _signed_kms_request()
    verify(request, _info(request), SECRET, now=now, service_family="json")
    changed = HttpRequest("POST", "/", headers=request.headers, body=BODY.replace(b"app", b"apq"))
    assert _refusal(changed, now).code == "InvalidSignatureException"


def test_the_same_request_verified_again_later_is_held_to_the_clock_of_that_moment() -> None:
    request, now = _signed_kms_request()
    for _ in range(2):  # the second time, the X-Amz-Date parse comes from the cache
        verify(request, _info(request), SECRET, now=now, service_family="json")
        error = _refusal(request, now + timedelta(minutes=16))
        assert error.message.startswith("Signature expired:")
        error = _refusal(request, now - timedelta(minutes=16))
        assert error.message.startswith("Signature not yet current:")


def test_a_malformed_x_amz_date_is_refused_every_time() -> None:
    request, now = _signed_kms_request()
    headers = Headers([(k, v) for k, v in request.headers.items() if k != "x-amz-date"])
    headers.add("x-amz-date", "20240101T250000Z")
    malformed = HttpRequest("POST", "/", headers=headers, body=request.body)
    for _ in range(2):
        error = _refusal(malformed, now)
        assert error.message == "X-Amz-Date must be in the ISO8601 Long Format, got '20240101T250000Z'."


def test_a_wrong_secret_is_refused_after_the_right_one_was_used() -> None:
    request, now = _signed_kms_request()
    verify(request, _info(request), SECRET, now=now, service_family="json")
    assert _refusal(request, now, secret=SECRET[:-1] + "2").code == "InvalidSignatureException"


# --------------------------------------------------------------------------------------------
# The cached parse of an Authorization header is the full parse.


def _outcome(authorization: str) -> tuple[object, ...]:
    request = HttpRequest("POST", "/", headers=Headers([("host", "h"), ("authorization", authorization)]))
    try:
        info = parse_authorization(request)
    except SignatureFormatError as error:
        return ("refused", error.kind, str(error))
    assert info is not None and not info.presigned
    return (info.access_key_id, info.date, info.region, info.service, info.signed_headers), info.signature


def _full_parse(authorization: str) -> tuple[object, ...]:
    """The parse of the whole header, field by field, with no cache in the way."""
    try:
        return _header_fields(authorization)
    except SignatureFormatError as error:
        return ("refused", error.kind, str(error))


SIGNATURE = "a" * 64
CREDENTIAL = "Credential=AKID/20240101/us-east-1/kms/aws4_request"


@pytest.mark.parametrize(
    "authorization",
    [
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host;x-amz-date, Signature={SIGNATURE}",
        f"  AWS4-HMAC-SHA256   {CREDENTIAL} ,SignedHeaders= HOST ; X-Amz-Date , Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature=not-hex=but/a+token",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, Signature=first, SignedHeaders=host, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature =x, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host,, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature=",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature=a b",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature={SIGNATURE}, Extra=1",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature={SIGNATURE},",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature=\u00a0{SIGNATURE}",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature={SIGNATURE}\t",
        f"AWS4-HMAC-SHA512 {CREDENTIAL}, SignedHeaders=host, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Credential=AKID/2024/us-east-1/kms/aws4_request, SignedHeaders=host, "
        f"Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws5_request, SignedHeaders=host, "
        f"Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host;;x, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 {CREDENTIAL}, Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256, Signature={SIGNATURE}",
        f", Signature={SIGNATURE}",
        f"AWS4-HMAC-SHA256 Signature={SIGNATURE}, {CREDENTIAL}, SignedHeaders=host",
        "AWS4-HMAC-SHA256",
    ],
)
def test_the_cached_header_parse_is_the_full_parse(authorization: str) -> None:
    expected = _full_parse(authorization)
    for _ in range(2):  # a miss, then a hit
        assert _outcome(authorization) == expected


def test_a_long_header_is_parsed_in_full_and_not_kept() -> None:
    signed_headers = ";".join(["host", *(f"x-amz-meta-{n:04}" for n in range(300))])
    authorization = f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders={signed_headers}, Signature={SIGNATURE}"
    _header_claims.cache_clear()
    for _ in range(2):
        assert _outcome(authorization) == _full_parse(authorization)
    info = _info(HttpRequest("GET", "/", headers=Headers([("authorization", authorization)])))
    assert len(info.signed_headers) == 301
    assert _header_claims.cache_info().currsize == 0


def test_each_request_keeps_its_own_signature_and_session_token() -> None:
    head = f"AWS4-HMAC-SHA256 {CREDENTIAL}, SignedHeaders=host, Signature="
    first = HttpRequest("GET", "/", headers=Headers([("authorization", head + "1" * 64)]))
    second = HttpRequest(
        "GET", "/", headers=Headers([("authorization", head + "2" * 64), ("x-amz-security-token", "tok")])
    )
    first_info, second_info = _info(first), _info(second)
    assert (first_info.signature, first_info.session_token) == ("1" * 64, None)
    assert (second_info.signature, second_info.session_token) == ("2" * 64, "tok")


# --------------------------------------------------------------------------------------------
# The HMAC of a signing key, from its pads.


@pytest.mark.parametrize("key_length", [0, 1, 32, 63, 64, 65, 200])
def test_request_signer_is_hmac_sha256(key_length: int) -> None:
    key = os.urandom(key_length)
    signer = RequestSigner(key)
    assert signer.key == key
    for length in (0, 1, 55, 56, 64, 200, 5000):
        message = os.urandom(length)
        assert signer.hexdigest(message) == hmac.new(key, message, hashlib.sha256).hexdigest()
    # Hash states are copied, never consumed: the same message MACs the same every time.
    assert signer.hexdigest(b"again") == signer.hexdigest(b"again")


def test_request_signer_repr_shows_no_key() -> None:
    key = bytes(range(32))
    assert key.hex() not in repr(RequestSigner(key))
    assert repr(key) not in repr(RequestSigner(key))


def test_headers_by_name_is_the_lower_cased_index() -> None:
    headers = Headers([("Host", "a"), ("X-Amz-Meta-Tag", "1"), ("x-amz-meta-tag", "2")])
    assert dict(headers.by_name()) == {"host": ["a"], "x-amz-meta-tag": ["1", "2"]}
    headers.add("X-Extra", "3")  # a change is seen by the next call
    assert headers.by_name()["x-extra"] == ["3"]
