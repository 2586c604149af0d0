"""The `aws-chunked` request body: framing, chunk-signature chain, trailing checksums.

A body whose `x-amz-content-sha256` is one of the STREAMING-* values arrives framed::

    <hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n ... 0[;chunk-signature=<sig>]\\r\\n
    [<trailer name>:<value>\\r\\n ...][x-amz-trailer-signature:<sig>\\r\\n]\\r\\n

Signed variants chain each chunk's signature to the previous one, starting from the seed (the
request's own signature), so chunks cannot be dropped, swapped or altered. Trailers carry a
checksum of the decoded payload (`x-amz-checksum-crc32` …); boto3 sends the unsigned variant
with a CRC32 trailer for PutObject over TLS by default.

Failures raise `ChunkedBodyError` with a failure kind that `strongroom.aws.sigv4.auth_error`
turns into the protocol's error code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import anycrc

STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_PAYLOADS = frozenset({STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER})

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_CRC32C = anycrc.Model("CRC32C")
_CRC64NVME = anycrc.Model("CRC64-NVME")


def _crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def _crc32c(data: bytes) -> bytes:
    return int(_CRC32C.calc(data)).to_bytes(4, "big")


def _crc64nvme(data: bytes) -> bytes:
    return int(_CRC64NVME.calc(data)).to_bytes(8, "big")


def _digest(name: str) -> Callable[[bytes], bytes]:
    return lambda data: hashlib.new(name, data).digest()


# The flexible-checksum algorithms S3 accepts, by trailer/header suffix (x-amz-checksum-<name>).
CHECKSUM_ALGORITHMS: dict[str, Callable[[bytes], bytes]] = {
    "crc32": _crc32,
    "crc32c": _crc32c,
    "crc64nvme": _crc64nvme,
    "sha1": _digest("sha1"),
    "sha256": _digest("sha256"),
    "sha512": _digest("sha512"),
}


def checksum_b64(algorithm: str, data: bytes) -> str:
    """The base64 value of `x-amz-checksum-<algorithm>` for `data` (KeyError if unsupported)."""
    return base64.b64encode(CHECKSUM_ALGORITHMS[algorithm](data)).decode("ascii")


class ChunkedBodyError(Exception):
    """The framed body is malformed, incomplete, or fails a chunk signature or checksum."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class ChunkSigner:
    """What a chunk signature is computed from: the request's signing key, timestamp and scope."""

    signing_key: bytes = field(repr=False)
    amz_date: str
    scope: str

    def _sign(self, text: str) -> str:
        return hmac.new(self.signing_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def chunk_signature(self, previous: str, data: bytes | memoryview) -> str:
        return self._sign(
            f"AWS4-HMAC-SHA256-PAYLOAD\n{self.amz_date}\n{self.scope}\n{previous}\n"
            f"{_EMPTY_SHA256}\n{hashlib.sha256(data).hexdigest()}"
        )

    def trailer_signature(self, previous: str, canonical_trailers: bytes) -> str:
        return self._sign(
            f"AWS4-HMAC-SHA256-TRAILER\n{self.amz_date}\n{self.scope}\n{previous}\n"
            f"{hashlib.sha256(canonical_trailers).hexdigest()}"
        )


_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_SIGNATURE_PREFIX = b"chunk-signature="
_TRAILER_SIGNATURE = b"x-amz-trailer-signature"
_CRLF = b"\r\n"


def _malformed(detail: str) -> ChunkedBodyError:
    return ChunkedBodyError("malformed_body", f"Invalid aws-chunked request body: {detail}")


def _truncated() -> ChunkedBodyError:
    return ChunkedBodyError("incomplete_body", "The request body terminated unexpectedly")


def _chunk_size(size_text: bytes) -> int:
    # int(..., 16) alone would also accept "0x10", "+1", "1_0" and surrounding spaces.
    if not size_text or len(size_text) > 16 or not _HEX_DIGITS.issuperset(size_text):
        raise _malformed("chunk size is not hexadecimal")
    return int(size_text, 16)


def _chunk_signature(extension: bytes) -> str:
    if not extension.startswith(_SIGNATURE_PREFIX):
        raise _malformed("chunk-signature missing")
    signature = extension[len(_SIGNATURE_PREFIX) :]
    if len(signature) != 64 or not _HEX_DIGITS.issuperset(signature):
        raise _malformed("chunk-signature is not a SHA-256 hex digest")
    return signature.decode("ascii")


def _require_signature(expected: str, provided: str) -> None:
    if not hmac.compare_digest(expected, provided):
        raise ChunkedBodyError(
            "signature_mismatch",
            "The request signature we calculated does not match the signature you provided.",
        )


def decode_aws_chunked(
    body: bytes,
    *,
    content_sha256: str,
    decoded_length: int,
    declared_trailers: frozenset[str],
    signer: ChunkSigner | None = None,
    seed_signature: str = "",
) -> bytes:
    """Decode a framed body, verifying chunk signatures, trailer signature and trailing checksums.

    `content_sha256` is one of STREAMING_PAYLOADS; the signed variants need `signer` and
    `seed_signature`. `declared_trailers` are the lowercased names from `x-amz-trailer`.
    """
    signed = content_sha256 != STREAMING_UNSIGNED_TRAILER
    if signed and signer is None:
        raise ValueError("a signed aws-chunked body needs a ChunkSigner")
    view = memoryview(body)
    parts: list[memoryview] = []
    total = 0
    previous = seed_signature
    pos = 0
    while True:
        eol = body.find(_CRLF, pos)
        if eol < 0:
            raise _truncated()
        size_text, _, extension = body[pos:eol].partition(b";")
        size = _chunk_size(size_text)
        provided = _chunk_signature(extension) if signed else ""
        pos = eol + 2
        end = pos + size
        if size and end + 2 > len(body):
            raise _truncated()
        data = view[pos:end]
        if signer is not None:
            expected = signer.chunk_signature(previous, data)
            _require_signature(expected, provided)
            previous = provided
        if size == 0:
            break
        if body[end : end + 2] != _CRLF:
            raise _malformed("chunk data is not followed by CRLF")
        parts.append(data)
        total += size
        pos = end + 2

    trailers, trailer_signature = _read_trailers(body, pos)
    if trailers and content_sha256 == STREAMING_SIGNED:
        raise _malformed("trailing headers sent without a -TRAILER payload type")
    sent = {name for name, _ in trailers}
    if sent != declared_trailers:
        missing = sorted(declared_trailers - sent)
        extra = sorted(sent - declared_trailers)
        raise _malformed(
            f"trailers declared in x-amz-trailer but not sent: {missing}; sent but not declared: {extra}"
        )
    if content_sha256 == STREAMING_SIGNED_TRAILER and signer is not None:
        if trailer_signature is None:
            raise _malformed("x-amz-trailer-signature missing")
        canonical = b"".join(name.encode("ascii") + b":" + value + b"\n" for name, value in trailers)
        _require_signature(signer.trailer_signature(previous, canonical), trailer_signature)

    if total != decoded_length:
        raise ChunkedBodyError(
            "incomplete_body",
            "You did not provide the number of bytes specified by the "
            "x-amz-decoded-content-length HTTP header",
        )
    decoded = b"".join(parts)
    for name, value in trailers:
        if name.startswith("x-amz-checksum-"):
            _check_trailer_checksum(name.removeprefix("x-amz-checksum-"), value, decoded)
    return decoded


def _read_trailers(body: bytes, pos: int) -> tuple[list[tuple[str, bytes]], str | None]:
    """Trailing `name:value` lines up to the blank line; some SDKs end the body right after `0\\r\\n`."""
    trailers: list[tuple[str, bytes]] = []
    signature: str | None = None
    while pos < len(body):
        eol = body.find(_CRLF, pos)
        if eol < 0:
            raise _malformed("trailing header is not terminated by CRLF")
        line = body[pos:eol]
        pos = eol + 2
        if not line:
            if pos != len(body):
                raise _malformed("data after the end of the chunked body")
            break
        if signature is not None:
            raise _malformed("x-amz-trailer-signature must be the last trailing header")
        raw_name, colon, value = line.partition(b":")
        if not colon:
            raise _malformed("trailing header without ':'")
        name = raw_name.strip().lower()
        if name == _TRAILER_SIGNATURE:
            signature = value.strip().decode("ascii", "replace")
        else:
            trailers.append((name.decode("ascii", "replace"), value.strip()))
    return trailers, signature


def _check_trailer_checksum(algorithm: str, value: bytes, decoded: bytes) -> None:
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise _malformed(f"unsupported checksum algorithm {algorithm!r}")
    expected = checksum_b64(algorithm, decoded).encode("ascii")
    if not hmac.compare_digest(expected, value):
        raise ChunkedBodyError(
            "bad_digest", f"The {algorithm.upper()} you specified did not match the calculated checksum."
        )
