"""AWS-shaped unique identifiers: access key ids, user/role/policy ids, request ids."""

from __future__ import annotations

import random
import secrets
import string
import time

_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def unique_id(prefix: str, length: int = 21) -> str:
    """An IAM unique id such as AIDA… (users), AROA… (roles), ANPA… (policies), AKIA… (keys)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length - len(prefix)))


def access_key_id(temporary: bool = False) -> str:
    return unique_id("ASIA" if temporary else "AKIA", 20)


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def request_id() -> str:
    """A random UUID for request ids and bus event ids: unique, not secret, so no system entropy.

    The same value as ``str(uuid.UUID(int=bits, version=4))`` (version nibble 4, RFC 4122
    variant), formatted directly: building a `uuid.UUID` cost more than the rest of this.
    """
    return _uuid_text(random.getrandbits(128) & _V4_CLEAR | _V4_SET)


_V7_VERSION_VARIANT = (0x7 << 76) | (0b10 << 62)
_RAND_A = 0xFFF << 64
_RAND_B = (1 << 62) - 1


def event_id() -> str:
    """A time-ordered UUID (RFC 9562 version 7) for audit event ids.

    CloudTrail's eventID is only a GUID; ordered by creation time, ids land at the end of the
    audit table's primary-key index instead of at random pages of it, which cuts the write
    I/O and CPU of each recorded event (`bench/audit.py`, docs/benchmarks.md).
    48 bits of Unix milliseconds, then 74 random bits: unique, not secret.
    """
    bits = random.getrandbits(74)
    value = (time.time_ns() // 1_000_000) << 80 | _V7_VERSION_VARIANT | (bits << 2) & _RAND_A | bits & _RAND_B
    return _uuid_text(value)


def _uuid_text(value: int) -> str:
    """A 128-bit value in the UUID text form (8-4-4-4-12 lower-case hex digits)."""
    # bytes.hex is faster than the int's own hex formatting (f"{value:032x}").
    text = value.to_bytes(16, "big").hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def account_id() -> str:
    return "".join(secrets.choice(string.digits) for _ in range(12))
