"""Scalar wire values shared by every protocol: timestamps, blobs, booleans and floats as text.

Timestamps are read leniently (ISO 8601, epoch seconds, RFC 822 / HTTP dates all parse wherever
they appear, as botocore's own parser does) and written in the one format the location calls for.
"""

from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime, parsedate_to_datetime

from strongroom.aws.errors import SerializationError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ISO8601 = "iso8601"
UNIX_TIMESTAMP = "unixtimestamp"
RFC822 = "rfc822"


def parse_timestamp(value: str | int | float) -> datetime:
    """A UTC datetime from epoch seconds, an ISO 8601 string or an RFC 822 date."""
    if isinstance(value, bool):
        raise SerializationError(f"Invalid timestamp: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    text = value.strip()
    try:
        return _from_epoch(Decimal(text))
    except InvalidOperation:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise SerializationError(f"Invalid timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(seconds: Decimal) -> datetime:
    if not seconds.is_finite():
        raise SerializationError(f"Invalid timestamp: {seconds}")
    try:
        return EPOCH + timedelta(microseconds=int((seconds * 1_000_000).to_integral_value()))
    except OverflowError:
        raise SerializationError(f"Invalid timestamp: {seconds}") from None


def format_timestamp(value: datetime, timestamp_format: str) -> str | int | float:
    """`value` in `timestamp_format` (iso8601, unixTimestamp or rfc822, any case)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    fmt = timestamp_format.lower()
    if fmt == UNIX_TIMESTAMP:
        delta = value - EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        if micros % 1_000_000 == 0:
            return micros // 1_000_000
        return float(Decimal(micros) / 1_000_000)
    if fmt == RFC822:
        return format_datetime(value.replace(microsecond=0), usegmt=True)
    if value.microsecond == 0:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if value.microsecond % 1000 == 0:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_blob(value: bytes | bytearray | str) -> str:
    """Base64 text of a blob (a str blob is taken as its UTF-8 bytes, as botocore does)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(bytes(value)).decode("ascii")


def decode_blob(text: str) -> bytes:
    """The bytes of a base64 blob; `SerializationError` if it is not base64."""
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SerializationError("Invalid base64 blob value") from None


def parse_boolean(text: str) -> bool:
    """`true` / `false` (any case) as a bool."""
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise SerializationError(f"Invalid boolean value: {text!r}")


def parse_integer(text: str) -> int:
    """An integer or long written as text."""
    try:
        return int(text.strip())
    except ValueError:
        raise SerializationError(f"Invalid integer value: {text!r}") from None


def parse_float(text: str) -> float:
    """A float or double written as text, including NaN and ±Infinity."""
    try:
        return float(text.strip())
    except ValueError:
        raise SerializationError(f"Invalid number value: {text!r}") from None


def format_float(value: float) -> str:
    """A float as text the way AWS writes it (`NaN`, `Infinity`, `-Infinity` spelled out)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def json_float(value: float) -> float | str:
    """A float for a JSON document: non-finite values become their AWS string spelling."""
    value = float(value)
    if math.isfinite(value):
        return value
    return format_float(value)


def format_scalar(type_name: str, value: object, timestamp_format: str = ISO8601) -> str:
    """A scalar member as text for a header, query string, URI label or XML element."""
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name in ("float", "double") and isinstance(value, int | float):
        return format_float(value)
    if type_name == "timestamp" and isinstance(value, datetime):
        return str(format_timestamp(value, timestamp_format))
    if type_name == "timestamp" and isinstance(value, int | float | str):
        return str(format_timestamp(parse_timestamp(value), timestamp_format))
    if type_name == "blob" and isinstance(value, bytes | bytearray | str):
        return encode_blob(value)
    return str(value)


def parse_scalar(type_name: str, text: str) -> object:
    """A scalar member from its text form (the inverse of `format_scalar`)."""
    if type_name == "boolean":
        return parse_boolean(text)
    if type_name in ("integer", "long", "byte", "short"):
        return parse_integer(text)
    if type_name in ("float", "double"):
        return parse_float(text)
    if type_name == "timestamp":
        return parse_timestamp(text)
    if type_name == "blob":
        return decode_blob(text)
    return text
