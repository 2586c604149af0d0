"""AWS Signature Version 4: who signed a request, and whether they really did.

- `parse_authorization(request)` reads what the signature claims (access key, scope, signed
  headers) from the Authorization header or a presigned query, cheaply and without a secret.
- `verify(request, info, secret, now=..., service_family=...)` recomputes the signature with
  botocore's own canonicalization, checks the clock window, the payload hash and any
  `aws-chunked` framing, and returns the request body to use.
- `auth_error(kind, family, message)` (from `strongroom.aws.auth_errors`) gives each failure
  its code and HTTP status in each protocol family.

Nothing here logs or returns a secret; signing keys are cached per (secret, date, region,
service) in a bounded LRU. What repeats from one request to the next — the scope and signed
headers of an Authorization header, the parse of an X-Amz-Date — is cached too; the signature,
the clock window and the payload hash are checked anew for every request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote, unquote, unquote_to_bytes

from botocore.auth import S3SigV4Auth, SigV4Auth

from strongroom.aws.auth_errors import SignatureFormatError, auth_error
from strongroom.aws.chunked import (
    STREAMING_PAYLOADS,
    STREAMING_UNSIGNED_TRAILER,
    ChunkedBodyError,
    ChunkSigner,
    decode_aws_chunked,
)
from strongroom.aws.http import HttpRequest

__all__ = [
    "RequestSigner",
    "SignatureFormatError",
    "SignedRequestInfo",
    "auth_error",
    "parse_authorization",
    "request_signer",
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
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_HEX = frozenset("0123456789abcdefABCDEF")
# How every SDK ends its Authorization header; what comes before it repeats from request to request.
_SIGNATURE_FIELD = ", Signature="
# Longer Authorization heads are parsed every time rather than kept in the cache.
_MAX_CACHED_HEAD = 1024

# Only the canonicalization helpers of these signers are used; they hold no credentials.
_SIGV4 = SigV4Auth(None, "", "")
_S3_SIGV4 = S3SigV4Auth(None, "", "")


# --------------------------------------------------------------------------------------------
# What the signature claims.


class SignedRequestInfo(NamedTuple):
    """What a SigV4 signature claims, parsed before verification.

    Immutable; a named tuple rather than a frozen dataclass, whose field-by-field
    `object.__setattr__` cost more than the rest of the parse (one per request).
    """

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    session_token: str | None

    def __repr__(self) -> str:  # the session token is a credential: never shown
        return (
            f"SignedRequestInfo(access_key_id={self.access_key_id!r}, date={self.date!r}, "
            f"region={self.region!r}, service={self.service!r}, signed_headers={self.signed_headers!r}, "
            f"signature={self.signature!r}, presigned={self.presigned!r})"
        )


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
    head, separator, signature = authorization.rpartition(_SIGNATURE_FIELD)
    if (
        separator
        and signature
        and "," not in signature
        and signature.strip() == signature
        and len(head) <= _MAX_CACHED_HEAD
    ):
        # The last field of a header parses the same whatever its value when it holds no comma and
        # no surrounding space, so the rest of the header is parsed once: `_header_claims(head)`
        # is what `_header_fields` finds in this very header.
        access_key_id, date, region, service, signed_headers = _header_claims(head)
    else:
        (access_key_id, date, region, service, signed_headers), signature = _header_fields(authorization)
    return SignedRequestInfo(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=signature,
        presigned=False,
        session_token=request.headers.get("x-amz-security-token"),
    )


_Claims = tuple[str, str, str, str, tuple[str, ...]]


@lru_cache(maxsize=256)
def _header_claims(head: str) -> _Claims:
    """The claims of `{head}, Signature=…`: errors (SignatureFormatError) are raised, not cached."""
    claims, _ = _header_fields(head + _SIGNATURE_FIELD + "0")
    return claims


def _header_fields(authorization: str) -> tuple[_Claims, str]:
    """(access key, date, region, service, signed headers) and the signature of an Authorization header."""
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
                "incomplete",
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header",
            )
        fields[name.strip()] = value.strip()
    missing = [name for name in ("Credential", "Signature", "SignedHeaders") if not fields.get(name)]
    if missing:
        raise SignatureFormatError(
            "incomplete", " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        )
    access_key_id, date, region, service = _parse_credential(fields["Credential"], "incomplete")
    signed_headers = _parse_signed_headers(fields["SignedHeaders"], "incomplete")
    return (access_key_id, date, region, service, signed_headers), fields["Signature"]


def _parse_presigned(request: HttpRequest, params: dict[str, str]) -> SignedRequestInfo:
    missing = [name for name in (*_PRESIGN_PARAMS, "X-Amz-Expires") if not params.get(name)]
    if missing:
        raise SignatureFormatError(
            "incomplete_query", f"Query-string authentication requires {', '.join(missing)}."
        )
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


class RequestSigner:
    """HMAC-SHA256 under one signing key, set up once: a request's MAC copies the keyed state.

    Copying costs about two thirds of `hmac.new`, and like it keeps the GIL, which `hmac.digest`
    releases on every call: on a busy server getting it back behind a background thread cost
    more than the MAC itself.
    """

    __slots__ = ("_keyed", "key")

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def __repr__(self) -> str:
        return "RequestSigner(<key>)"

    def hexdigest(self, message: bytes) -> str:
        mac = self._keyed.copy()
        mac.update(message)
        return mac.hexdigest()


@lru_cache(maxsize=1024)
def request_signer(secret_access_key: str, date: str, region: str, service: str) -> RequestSigner:
    """The signer of one key and scope (kSigning and its HMAC pads), cached as `signing_key` is."""
    return RequestSigner(signing_key(secret_access_key, date, region, service))


@lru_cache(maxsize=64)
def _amz_timestamp(text: str) -> datetime | None:
    """An ISO 8601 basic timestamp (20130524T000000Z) as a UTC datetime, or None.

    Cached: a client sends the same X-Amz-Date for every request it signs within a second, and
    the clock window is checked against the current time on each of them (`_check_time_window`).
    """
    if len(text) != 16 or text[8] != "T" or text[15] != "Z" or not (text[:8] + text[9:15]).isdigit():
        return None
    try:
        return datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[9:11]),
            int(text[11:13]),
            int(text[13:15]),
            tzinfo=UTC,
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


@lru_cache(maxsize=4096)
def _canonical_paths(raw_path: str, s3: bool) -> tuple[str, ...]:
    """The canonical URI (S3: the path as sent; others: normalized and encoded once more).

    For S3 a client that escaped its path differently from what it signed (both legal) is
    also tried against the spec's form: every byte but unreserved ones and '/' escaped.
    """
    if not s3:
        return (_SIGV4._normalize_url_path(raw_path or "/"),)
    path = _S3_SIGV4._normalize_url_path(raw_path or "/")
    spec_form = quote(unquote_to_bytes(path), safe="/~")
    return (path,) if spec_form == path else (path, spec_form)


_HeaderIndex = Mapping[str, Sequence[str]]


def _header_index(request: HttpRequest) -> _HeaderIndex:
    """Every header value by lowercased name (the request's own index, built once per request)."""
    return request.headers.by_name()


def _header(index: _HeaderIndex, name: str) -> str | None:
    values = index.get(name)
    return None if values is None else ",".join(values)


@lru_cache(maxsize=256)
def _canonical_order(signed_headers: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(signed_headers)))


def _canonical_headers(index: _HeaderIndex, signed_headers: tuple[str, ...]) -> str:
    """botocore's canonical_headers (sorted names, values trimmed by its own rule, joined by ',').

    Built here rather than through botocore's email.message-based HTTPHeaders, which cost
    more than the rest of the verification together; test_canonical_headers_match_botocore
    holds the two to the same output. `" ".join(value.split())` is botocore's `_header_value`.
    """
    lines = []
    for name in _canonical_order(signed_headers):
        values = index.get(name)
        if values is None:
            continue
        lines.append(name + ":" + ",".join([" ".join(value.split()) for value in values]))
    return "\n".join(lines)


def _request_timestamp(
    request: HttpRequest, index: _HeaderIndex, info: SignedRequestInfo, family: str
) -> tuple[str, datetime]:
    incomplete = "incomplete_query" if info.presigned else "incomplete"
    if info.presigned:
        amz_date = _presign_params(request.query_string) or {}
        text = amz_date.get("X-Amz-Date", "")
    else:
        x_amz_date = _header(index, "x-amz-date")
        if x_amz_date is not None:
            if "x-amz-date" not in info.signed_headers:
                raise auth_error(
                    incomplete, family, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
                )
            text = x_amz_date
        else:
            http_date = _header(index, "date")
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
    when = _amz_timestamp(text)
    if when is None:
        raise auth_error(incomplete, family, f"X-Amz-Date must be in the ISO8601 Long Format, got '{text}'.")
    return text, when


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


def _claimed_payload_hash(
    request: HttpRequest, index: _HeaderIndex, info: SignedRequestInfo, s3: bool, family: str
) -> str | None:
    """The payload hash the client signed, or None when it is the body's SHA-256 (not sent)."""
    header = _header(index, "x-amz-content-sha256")
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
    index = _header_index(request)
    amz_date, when = _request_timestamp(request, index, info, family)
    if amz_date[:8] != info.date:
        if s3:
            raise auth_error(
                "incomplete_query" if info.presigned else "incomplete",
                family,
                f'Invalid credential date "{info.date}". '
                f'This date is not the same as X-Amz-Date: "{amz_date[:8]}".',
            )
        raise auth_error(
            "signature_mismatch",
            family,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{info.date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    _check_time_window(request, info, amz_date, when, now, family)

    claimed = _claimed_payload_hash(request, index, info, s3, family)
    if claimed is not None and info.presigned and claimed in STREAMING_PAYLOADS:
        raise auth_error("invalid_content_sha", family, "")
    payload_hash = claimed if claimed is not None else request.body_sha256()

    signer = request_signer(secret_access_key, info.date, info.region, info.service)
    scope = f"{info.date}/{info.region}/{info.service}/aws4_request"
    method = request.method.upper()
    query = (
        _canonical_query(_query_pairs(request.query_string), presigned=info.presigned)
        if request.query_string
        else ""
    )
    headers = _canonical_headers(index, info.signed_headers)
    signed_headers = ";".join(info.signed_headers)
    provided = info.signature.encode("utf-8", "replace")
    for path in _canonical_paths(request.raw_path, s3):
        canonical_request = f"{method}\n{path}\n{query}\n{headers}\n\n{signed_headers}\n{payload_hash}"
        request_hash = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
        string_to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{request_hash}"
        expected = signer.hexdigest(string_to_sign.encode("utf-8"))
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
    return _payload(request, info, family, payload_hash, claimed is not None, signer.key, amz_date, scope)


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
    computed = request.body_sha256()
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
        raise auth_error(
            "incomplete_body", family, "x-amz-decoded-content-length must be a non-negative integer"
        )
    declared = frozenset(
        name.strip().lower()
        for name in (request.headers.get("x-amz-trailer") or "").split(",")
        if name.strip()
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
