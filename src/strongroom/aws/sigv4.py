"""AWS Signature Version 4: who signed a request, and whether they really did.

- `parse_authorization(request)` reads what the signature claims (access key, scope, signed
  headers) from the Authorization header or a presigned query, cheaply and without a secret.
- `verify(request, info, secret, now=..., service_family=...)` recomputes the signature with
  botocore's own canonicalization, checks the clock window, the payload hash and any
  `aws-chunked` framing, and returns the request body to use.
- `auth_error(kind, family, message)` is the one place that knows which code and HTTP status
  each failure has in each protocol family.

Nothing here logs or returns a secret; signing keys are cached per (secret, date, region,
service) in a bounded LRU.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote, unquote_to_bytes

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.compat import HTTPHeaders

from strongroom.aws.chunked import (
    STREAMING_PAYLOADS,
    STREAMING_UNSIGNED_TRAILER,
    ChunkedBodyError,
    ChunkSigner,
    decode_aws_chunked,
)
from strongroom.aws.errors import AuthError
from strongroom.aws.http import HttpRequest

__all__ = [
    "SignatureFormatError",
    "SignedRequestInfo",
    "auth_error",
    "parse_authorization",
    "signing_key",
    "verify",
]

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_SKEW = timedelta(minutes=15)
MAX_PRESIGNED_EXPIRES = 7 * 24 * 3600
# Signing names whose canonical path is the raw path, not encoded a second time (botocore's
# S3SigV4Auth); every other service double-encodes.
S3_SIGNING_NAMES = frozenset({"s3", "s3-object-lambda", "s3-outposts", "s3express"})
_PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
_HEX = frozenset("0123456789abcdefABCDEF")

# Only the canonicalization helpers of these signers are used; they hold no credentials.
_SIGV4 = SigV4Auth(None, "", "")
_S3_SIGV4 = S3SigV4Auth(None, "", "")


# --------------------------------------------------------------------------------------------
# Failure kinds → (code, HTTP status, AWS's message), per protocol family.

_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_S3_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_EC2_AUTH_FAILURE = "AWS was not able to validate the provided access credentials"
_INVALID_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
_MISSING_TOKEN = "Request is missing Authentication Token"
_EC2_EXPIRED = "Request has expired."

# The JSON and RPCv2-CBOR services sit behind the same front end and answer alike; rest-json
# services (Lambda, GuardDuty …) answer with the same codes but 403; the only rest-xml service
# Strongroom serves is S3, so "rest-xml" means S3's codes.
_GROUP_OF_FAMILY = {
    "json": "json",
    "smithy-rpc-v2-cbor": "json",
    "rest-json": "rest-json",
    "query": "query",
    "ec2": "ec2",
    "rest-xml": "s3",
    "s3": "s3",
}

_Rule = tuple[str, int, str]

_RULES: dict[str, dict[str, _Rule]] = {
    # KMS/DynamoDB: InvalidSignatureException 400 (aws/aws-sdk-js#254); Lambda (rest-json):
    # 403 with x-amzn-ErrorType InvalidSignatureException (erlcloud/erlcloud#690); STS/IAM:
    # SignatureDoesNotMatch 403; EC2: AuthFailure 401 (markcaudill/haproxy-autoscale#20).
    "signature_mismatch": {
        "json": ("InvalidSignatureException", 400, _SIGNATURE_MISMATCH),
        "rest-json": ("InvalidSignatureException", 403, _SIGNATURE_MISMATCH),
        "query": ("SignatureDoesNotMatch", 403, _SIGNATURE_MISMATCH),
        "ec2": ("AuthFailure", 401, _EC2_AUTH_FAILURE),
        "s3": ("SignatureDoesNotMatch", 403, _S3_SIGNATURE_MISMATCH),
    },
    # JSON: UnrecognizedClientException 400 (aws/aws-encryption-sdk-java#9, Kinesis/DynamoDB);
    # Lambda answers it with 403 (iann0036/iamlive#58); query: InvalidClientTokenId 403 (AWS
    # "Common Errors" pages).
    "unknown_key": {
        "json": ("UnrecognizedClientException", 400, _INVALID_TOKEN),
        "rest-json": ("UnrecognizedClientException", 403, _INVALID_TOKEN),
        "query": ("InvalidClientTokenId", 403, _INVALID_TOKEN),
        "ec2": ("AuthFailure", 401, _EC2_AUTH_FAILURE),
        "s3": ("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."),
    },
    # Query: MissingAuthenticationToken 403 (Common Errors); the JSON front end names it
    # MissingAuthenticationTokenException (400); API-Gateway-style rest-json answers 403.
    "missing": {
        "json": ("MissingAuthenticationTokenException", 400, _MISSING_TOKEN),
        "rest-json": ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
        "query": ("MissingAuthenticationToken", 403, _MISSING_TOKEN),
        "ec2": ("MissingAuthenticationToken", 401, _MISSING_TOKEN),
        "s3": ("AccessDenied", 403, "Access Denied"),
    },
    # JSON: IncompleteSignatureException 400 (iann0036/cloud9-sync#10); rest-json 403
    # (aws/chalice#828); query: IncompleteSignature 400 (Common Errors; brendanhay/amazonka#316).
    "incomplete": {
        "json": ("IncompleteSignatureException", 400, "The request signature does not conform to AWS standards."),
        "rest-json": ("IncompleteSignatureException", 403, "The request signature does not conform to AWS standards."),
        "query": ("IncompleteSignature", 400, "The request signature does not conform to AWS standards."),
        "ec2": ("IncompleteSignature", 400, "The request signature does not conform to AWS standards."),
        "s3": (
            "AuthorizationHeaderMalformed",
            400,
            "The authorization header is malformed; the authorization header requires three components: "
            "Credential, SignedHeaders, and Signature.",
        ),
    },
    "incomplete_query": {
        "s3": (
            "AuthorizationQueryParametersError",
            400,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ),
    },
    # A header-signed request outside ±15 minutes. JSON: InvalidSignatureException 400 "Signature
    # expired: …" (aws/aws-sdk-js#254); STS/IAM: SignatureDoesNotMatch 403 with the same message
    # (aws/aws-cli#6676); EC2: RequestExpired 400 (aws/aws-sdk-java#1443); S3:
    # RequestTimeTooSkewed 403 with RequestTime/ServerTime/MaxAllowedSkewMilliseconds (aws/aws-sdk-php#612).
    "skew": {
        "json": ("InvalidSignatureException", 400, "Signature expired"),
        "rest-json": ("InvalidSignatureException", 403, "Signature expired"),
        "query": ("SignatureDoesNotMatch", 403, "Signature expired"),
        "ec2": ("RequestExpired", 400, _EC2_EXPIRED),
        "s3": ("RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large."),
    },
    # A presigned URL past X-Amz-Date + X-Amz-Expires: S3 says AccessDenied "Request has expired"
    # with X-Amz-Expires/Expires/ServerTime (aws/aws-sdk-php#1333).
    "expired_request": {
        "s3": ("AccessDenied", 403, "Request has expired"),
    },
    "not_yet_valid": {
        "s3": ("AccessDenied", 403, "Request is not valid yet"),
    },
    # JSON: ExpiredTokenException 400; STS/IAM: ExpiredToken 403 (aws/aws-sdk-java-v2#1649,
    # cfn-sphere/cfn-sphere#55); S3: ExpiredToken 400 (embulk/embulk-input-s3#43); EC2 answers
    # expired session credentials with RequestExpired (aws/aws-sdk-go-v2#1674).
    "expired_token": {
        "json": ("ExpiredTokenException", 400, _EXPIRED_TOKEN),
        "rest-json": ("ExpiredTokenException", 403, _EXPIRED_TOKEN),
        "query": ("ExpiredToken", 403, _EXPIRED_TOKEN),
        "ec2": ("RequestExpired", 400, _EC2_EXPIRED),
        "s3": ("ExpiredToken", 400, "The provided token has expired."),
    },
    "content_sha_mismatch": {
        "s3": (
            "XAmzContentSHA256Mismatch",
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
    },
    "missing_content_sha": {
        "s3": ("InvalidRequest", 400, "Missing required header for this request: x-amz-content-sha256"),
    },
    "invalid_content_sha": {
        "s3": (
            "InvalidArgument",
            400,
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
            "or a valid sha256 value.",
        ),
    },
    "malformed_body": {"s3": ("InvalidRequest", 400, "Invalid aws-chunked request body")},
    "incomplete_body": {"s3": ("IncompleteBody", 400, "The request body terminated unexpectedly")},
    "missing_decoded_length": {
        "s3": ("MissingContentLength", 411, "You must provide the x-amz-decoded-content-length HTTP header.")
    },
    "bad_digest": {
        "s3": (
            "BadDigest",
            400,
            "The Content-MD5 or checksum value that you specified did not match what the server received.",
        )
    },
}

# Where a family has no rule of its own for a kind, it answers as for this kind instead.
_FALLBACK = {
    "incomplete_query": "incomplete",
    "expired_request": "skew",
    "not_yet_valid": "skew",
    "content_sha_mismatch": "signature_mismatch",
    "missing_content_sha": "incomplete",
    "invalid_content_sha": "incomplete",
    "malformed_body": "signature_mismatch",
    "incomplete_body": "signature_mismatch",
    "missing_decoded_length": "incomplete",
    "bad_digest": "signature_mismatch",
}


def auth_error(kind: str, family: str, message: str, *, extra: dict[str, object] | None = None) -> AuthError:
    """The AWS error for a signature failure `kind` in protocol `family`.

    Kinds: signature_mismatch, unknown_key, missing, incomplete, incomplete_query, skew,
    expired_request, not_yet_valid, expired_token, content_sha_mismatch, missing_content_sha,
    invalid_content_sha, malformed_body, incomplete_body, missing_decoded_length, bad_digest.
    Families: json, query, ec2, rest-xml (S3), rest-json, smithy-rpc-v2-cbor, and "s3".
    An empty `message` takes AWS's own message; `extra` (S3's error fields) is kept for S3 only.
    """
    group = _GROUP_OF_FAMILY.get(family)
    if group is None:
        raise ValueError(f"unknown protocol family {family!r}")
    rules = _RULES.get(kind)
    if rules is None:
        raise ValueError(f"unknown signature failure kind {kind!r}")
    while group not in rules:
        rules = _RULES[_FALLBACK[kind]]
        kind = _FALLBACK[kind]
    code, status, default_message = rules[group]
    return AuthError(
        message or default_message,
        code=code,
        status=status,
        extra=extra if group == "s3" else None,
    )


class SignatureFormatError(AuthError):
    """A malformed Authorization header or presigned query (IncompleteSignature until remapped).

    `parse_authorization` does not know the protocol yet; the gateway re-answers it with
    `err.for_family(family)` once it does.
    """

    code = "IncompleteSignature"
    status = 400

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    def for_family(self, family: str) -> AuthError:
        return auth_error(self.kind, family, self.message)


# --------------------------------------------------------------------------------------------
# What the signature claims.


@dataclass(frozen=True)
class SignedRequestInfo:
    """What a SigV4 signature claims, parsed before verification."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    session_token: str | None = field(repr=False)


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    """The raw (still percent-encoded) key/value pairs of a query string, in order."""
    pairs = []
    for pair in query_string.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            pairs.append((key, value))
    return pairs


def _presign_params(query_string: str) -> dict[str, str] | None:
    if "X-Amz-Algorithm=" not in query_string:
        return None
    params: dict[str, str] = {}
    for key, value in _query_pairs(query_string):
        # '+' stays a literal plus: SigV4 clients encode a space as %20.
        params.setdefault(unquote(key), unquote(value))
    return params if "X-Amz-Algorithm" in params else None


def _parse_credential(credential: str, kind: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise SignatureFormatError(
            kind,
            f"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{credential}'",
        )
    access_key_id, date, region, service, terminator = parts
    if terminator != "aws4_request":
        raise SignatureFormatError(
            kind, f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )
    if len(date) != 8 or not date.isdigit():
        raise SignatureFormatError(kind, f"Invalid credential date '{date}'. It must be in YYYYMMDD format.")
    return access_key_id, date, region, service


def _parse_signed_headers(value: str, kind: str) -> tuple[str, ...]:
    names = tuple(name.strip().lower() for name in value.split(";"))
    if not all(names):
        raise SignatureFormatError(kind, f"Invalid SignedHeaders '{value}'.")
    return names


def parse_authorization(request: HttpRequest) -> SignedRequestInfo | None:
    """What the request's SigV4 signature claims; None when it carries no signature at all.

    Raises SignatureFormatError (an AuthError, IncompleteSignature 400) when the Authorization
    header or presigned query is malformed.
    """
    authorization = request.headers.get("authorization")
    presign = _presign_params(request.query_string)
    if authorization is None and presign is None:
        if "Signature=" in request.query_string and "AWSAccessKeyId=" in request.query_string:
            # A SigV2 presigned URL (boto3's default for S3 without signature_version='s3v4'):
            # refused rather than served as an anonymous request.
            raise SignatureFormatError(
                "incomplete_query",
                "Signature Version 2 is not supported; presign with Signature Version 4 "
                "(e.g. botocore Config(signature_version='s3v4')).",
            )
        return None
    if authorization is not None and presign is not None:
        raise SignatureFormatError(
            "incomplete",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
        )
    if presign is not None:
        return _parse_presigned(request, presign)
    assert authorization is not None
    return _parse_header(request, authorization)


def _parse_header(request: HttpRequest, authorization: str) -> SignedRequestInfo:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureFormatError("incomplete", f"Unsupported Authorization Type '{algorithm}'")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise SignatureFormatError(
                "incomplete", f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header"
            )
        fields[name.strip()] = value.strip()
    missing = [name for name in ("Credential", "Signature", "SignedHeaders") if not fields.get(name)]
    if missing:
        raise SignatureFormatError(
            "incomplete", " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        )
    access_key_id, date, region, service = _parse_credential(fields["Credential"], "incomplete")
    return SignedRequestInfo(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=_parse_signed_headers(fields["SignedHeaders"], "incomplete"),
        signature=fields["Signature"],
        presigned=False,
        session_token=request.headers.get("x-amz-security-token"),
    )


def _parse_presigned(request: HttpRequest, params: dict[str, str]) -> SignedRequestInfo:
    missing = [name for name in (*_PRESIGN_PARAMS, "X-Amz-Expires") if not params.get(name)]
    if missing:
        raise SignatureFormatError("incomplete_query", f"Query-string authentication requires {', '.join(missing)}.")
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise SignatureFormatError("incomplete_query", f'X-Amz-Algorithm only supports "{ALGORITHM}"')
    access_key_id, date, region, service = _parse_credential(params["X-Amz-Credential"], "incomplete_query")
    return SignedRequestInfo(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=_parse_signed_headers(params["X-Amz-SignedHeaders"], "incomplete_query"),
        signature=params["X-Amz-Signature"],
        presigned=True,
        session_token=params.get("X-Amz-Security-Token"),
    )


# --------------------------------------------------------------------------------------------
# Verification.


@lru_cache(maxsize=1024)
def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """The SigV4 signing key (kSigning); cached, as it changes once a day per key and scope."""
    key = hmac.digest(f"AWS4{secret_access_key}".encode(), date.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def _amz_timestamp(text: str) -> datetime | None:
    """An ISO 8601 basic timestamp (20130524T000000Z) as a UTC datetime, or None."""
    if len(text) != 16 or text[8] != "T" or text[15] != "Z" or not (text[:8] + text[9:15]).isdigit():
        return None
    try:
        return datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]), int(text[13:15]), tzinfo=UTC
        )
    except ValueError:
        return None


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _canonical_query(pairs: list[tuple[str, str]], *, presigned: bool) -> str:
    """RFC 3986 re-encoding of every pair, sorted: what botocore's signer builds from params.

    Decoding to bytes (not str) keeps a client's non-UTF-8 escapes byte for byte.
    """
    encoded = sorted(
        (quote(unquote_to_bytes(key), safe="-_.~"), quote(unquote_to_bytes(value), safe="-_.~"))
        for key, value in pairs
        if not (presigned and unquote(key) == "X-Amz-Signature")
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def _canonical_paths(raw_path: str, s3: bool) -> list[str]:
    """The canonical URI (S3: the path as sent; others: normalized and encoded once more).

    For S3 a client that escaped its path differently from what it signed (both legal) is
    also tried against the spec's form: every byte but unreserved ones and '/' escaped.
    """
    if not s3:
        return [_SIGV4._normalize_url_path(raw_path or "/")]
    path = _S3_SIGV4._normalize_url_path(raw_path or "/")
    spec_form = quote(unquote_to_bytes(path), safe="/~")
    return [path] if spec_form == path else [path, spec_form]


def _canonical_headers(request: HttpRequest, signed_headers: tuple[str, ...]) -> str:
    headers = HTTPHeaders()
    for name in signed_headers:
        for value in request.headers.get_all(name):
            headers[name] = value
    return str(_SIGV4.canonical_headers(headers))


def _request_timestamp(request: HttpRequest, info: SignedRequestInfo, family: str) -> str:
    incomplete = "incomplete_query" if info.presigned else "incomplete"
    if info.presigned:
        amz_date = _presign_params(request.query_string) or {}
        text = amz_date.get("X-Amz-Date", "")
    else:
        x_amz_date = request.headers.get("x-amz-date")
        if x_amz_date is not None:
            if "x-amz-date" not in info.signed_headers:
                raise auth_error(incomplete, family, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
            text = x_amz_date
        else:
            http_date = request.headers.get("date")
            if http_date is None or "date" not in info.signed_headers:
                raise auth_error(
                    incomplete,
                    family,
                    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
                )
            try:
                text = _stamp(parsedate_to_datetime(http_date).astimezone(UTC))
            except (TypeError, ValueError):
                raise auth_error(incomplete, family, f"Invalid Date header '{http_date}'.") from None
    if _amz_timestamp(text) is None:
        raise auth_error(incomplete, family, f"X-Amz-Date must be in the ISO8601 Long Format, got '{text}'.")
    return text


def _check_time_window(
    request: HttpRequest, info: SignedRequestInfo, amz_date: str, when: datetime, now: datetime, family: str
) -> None:
    s3 = family == "s3"
    if when > now + MAX_SKEW:
        message = (
            f"Signature not yet current: {amz_date} is still later than {_stamp(now + MAX_SKEW)} "
            f"({_stamp(now)} + 15 min.)"
        )
        if info.presigned:
            raise auth_error("not_yet_valid", family, "" if s3 else message)
        raise auth_error("skew", family, "" if s3 else message, extra=_skew_fields(amz_date, now))
    if not info.presigned:
        if when < now - MAX_SKEW:
            message = (
                f"Signature expired: {amz_date} is now earlier than {_stamp(now - MAX_SKEW)} "
                f"({_stamp(now)} - 15 min.)"
            )
            raise auth_error("skew", family, "" if s3 else message, extra=_skew_fields(amz_date, now))
        return
    expires_text = (_presign_params(request.query_string) or {}).get("X-Amz-Expires", "")
    try:
        expires = int(expires_text)
    except ValueError:
        raise auth_error("incomplete_query", family, "X-Amz-Expires should be a number") from None
    if expires < 0:
        raise auth_error("incomplete_query", family, "X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGNED_EXPIRES:
        raise auth_error(
            "incomplete_query", family, "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        )
    expiry = when + timedelta(seconds=expires)
    if now > expiry:
        raise auth_error(
            "expired_request",
            family,
            "" if s3 else f"Signature expired: {_stamp(expiry)} is now earlier than {_stamp(now)}",
            extra={"X-Amz-Expires": str(expires), "Expires": _iso(expiry), "ServerTime": _iso(now)},
        )


def _skew_fields(amz_date: str, now: datetime) -> dict[str, object]:
    return {"RequestTime": amz_date, "ServerTime": _iso(now), "MaxAllowedSkewMilliseconds": "900000"}


def _is_sha256_hex(value: str) -> bool:
    return len(value) == 64 and _HEX.issuperset(value)


def _claimed_payload_hash(request: HttpRequest, info: SignedRequestInfo, s3: bool, family: str) -> str | None:
    """The payload hash the client signed, or None when it is the body's SHA-256 (not sent)."""
    header = request.headers.get("x-amz-content-sha256")
    if info.presigned:
        if not s3:
            return header
        # botocore's S3SigV4QueryAuth signs UNSIGNED-PAYLOAD; other SDKs put the value in the query.
        query_value = (_presign_params(request.query_string) or {}).get("X-Amz-Content-Sha256")
        if query_value:
            claimed = query_value
        elif header is not None and "x-amz-content-sha256" in info.signed_headers:
            claimed = header
        else:
            return UNSIGNED_PAYLOAD
        if claimed != UNSIGNED_PAYLOAD and not _is_sha256_hex(claimed):
            raise auth_error("invalid_content_sha", family, "")
        return claimed
    if header is None:
        if s3:
            raise auth_error("missing_content_sha", family, "")
        return None
    if header != UNSIGNED_PAYLOAD and header not in STREAMING_PAYLOADS and not _is_sha256_hex(header):
        raise auth_error("invalid_content_sha", family, "")
    return header


def verify(
    request: HttpRequest,
    info: SignedRequestInfo,
    secret_access_key: str,
    *,
    now: datetime,
    service_family: str,
) -> bytes:
    """Verify the request's SigV4 signature and return the body to use.

    For an aws-chunked body that is the decoded payload, after every chunk signature and the
    trailing checksum were verified. `now` is the real wall clock. Raises AuthError with the
    code of `service_family` (json, query, ec2, rest-xml, rest-json, smithy-rpc-v2-cbor); S3
    signing names always answer with S3's codes.
    """
    s3 = info.service in S3_SIGNING_NAMES
    family = "s3" if s3 else service_family
    if "host" not in info.signed_headers:
        raise auth_error(
            "incomplete_query" if info.presigned else "incomplete",
            family,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    amz_date = _request_timestamp(request, info, family)
    when = _amz_timestamp(amz_date)
    assert when is not None
    if amz_date[:8] != info.date:
        if s3:
            raise auth_error(
                "incomplete_query" if info.presigned else "incomplete",
                family,
                f"Invalid credential date \"{info.date}\". This date is not the same as X-Amz-Date: \"{amz_date[:8]}\".",
            )
        raise auth_error(
            "signature_mismatch",
            family,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{info.date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    _check_time_window(request, info, amz_date, when, now, family)

    claimed = _claimed_payload_hash(request, info, s3, family)
    if claimed is not None and info.presigned and claimed in STREAMING_PAYLOADS:
        raise auth_error("invalid_content_sha", family, "")
    payload_hash = claimed if claimed is not None else hashlib.sha256(request.body).hexdigest()

    key = signing_key(secret_access_key, info.date, info.region, info.service)
    scope = f"{info.date}/{info.region}/{info.service}/aws4_request"
    pairs = _query_pairs(request.query_string)
    common = (
        _canonical_query(pairs, presigned=info.presigned),
        _canonical_headers(request, info.signed_headers) + "\n",
        ";".join(info.signed_headers),
        payload_hash,
    )
    provided = info.signature.encode("utf-8", "replace")
    for path in _canonical_paths(request.raw_path, s3):
        canonical_request = "\n".join((request.method.upper(), path, *common))
        string_to_sign = (
            f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"
        )
        expected = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected.encode("ascii"), provided):
            break
    else:
        raise auth_error(
            "signature_mismatch",
            family,
            "",
            extra={
                "AWSAccessKeyId": info.access_key_id,
                "StringToSign": string_to_sign,
                "SignatureProvided": info.signature,
                "CanonicalRequest": canonical_request,
            },
        )
    return _payload(request, info, family, payload_hash, claimed is not None, key, amz_date, scope)


def _payload(
    request: HttpRequest,
    info: SignedRequestInfo,
    family: str,
    payload_hash: str,
    claimed: bool,
    key: bytes,
    amz_date: str,
    scope: str,
) -> bytes:
    if payload_hash == UNSIGNED_PAYLOAD or not claimed:
        return request.body
    if payload_hash in STREAMING_PAYLOADS:
        return _decode_streaming(request, info, family, payload_hash, key, amz_date, scope)
    computed = hashlib.sha256(request.body).hexdigest()
    if not hmac.compare_digest(computed, payload_hash.lower()):
        raise auth_error(
            "content_sha_mismatch",
            family,
            "",
            extra={"ClientComputedContentSHA256": payload_hash, "S3ComputedContentSHA256": computed},
        )
    return request.body


def _decode_streaming(
    request: HttpRequest,
    info: SignedRequestInfo,
    family: str,
    payload_hash: str,
    key: bytes,
    amz_date: str,
    scope: str,
) -> bytes:
    decoded_length_text = request.headers.get("x-amz-decoded-content-length")
    if decoded_length_text is None:
        raise auth_error("missing_decoded_length", family, "")
    if not decoded_length_text.isdigit():
        raise auth_error("incomplete_body", family, "x-amz-decoded-content-length must be a non-negative integer")
    declared = frozenset(
        name.strip().lower() for name in (request.headers.get("x-amz-trailer") or "").split(",") if name.strip()
    )
    signer = None if payload_hash == STREAMING_UNSIGNED_TRAILER else ChunkSigner(key, amz_date, scope)
    try:
        return decode_aws_chunked(
            request.body,
            content_sha256=payload_hash,
            decoded_length=int(decoded_length_text),
            declared_trailers=declared,
            signer=signer,
            seed_signature=info.signature,
        )
    except ChunkedBodyError as error:
        message = "" if error.kind == "signature_mismatch" else error.message
        raise auth_error(error.kind, family, message) from None
