"""S3's integrity checks: Content-MD5 and the flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1,
SHA256), for whole objects, parts, and multipart uploads (COMPOSITE and FULL_OBJECT)."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any

from strongroom.aws.chunked import CHECKSUM_ALGORITHMS, checksum_b64
from strongroom.aws.errors import ServiceError
from strongroom.services.s3.errors import bad_digest, invalid_argument, invalid_request

# Model member suffix → algorithm name in aws/chunked.
MEMBERS = {"CRC32": "crc32", "CRC32C": "crc32c", "CRC64NVME": "crc64nvme", "SHA1": "sha1", "SHA256": "sha256"}
FULL_OBJECT_ONLY = frozenset({"CRC64NVME"})


def claimed_content_md5(request: dict[str, Any]) -> bytes | None:
    """The digest a Content-MD5 header claims (InvalidDigest if it is not one), or None."""
    text = request.get("ContentMD5")
    if text is None:
        return None
    try:
        claimed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        claimed = b""
    if len(claimed) != 16:
        raise ServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.")
    return claimed


def check_content_md5(claimed: bytes | None, md5: bytes) -> None:
    if claimed is not None and not hmac.compare_digest(md5, claimed):
        raise bad_digest("The Content-MD5 you specified did not match what we received.")


def requested_algorithm(request: dict[str, Any]) -> str | None:
    """The checksum algorithm a write names (explicitly or by sending a value), upper case."""
    sent = [name for name in MEMBERS if request.get(f"Checksum{name}")]
    if len(sent) > 1:
        raise invalid_request(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
        )
    algorithm = request.get("ChecksumAlgorithm")
    if algorithm is not None:
        algorithm = str(algorithm).upper()
        if algorithm not in MEMBERS:
            raise invalid_argument(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
                "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
                "x-amz-sdk-checksum-algorithm",
                algorithm,
            )
        if sent and sent[0] != algorithm:
            raise invalid_request(
                f"Value for x-amz-sdk-checksum-algorithm header is invalid. Expected {sent[0]}."
            )
    return algorithm or (sent[0] if sent else None)


def compute(algorithm: str, data: bytes) -> str:
    return checksum_b64(MEMBERS[algorithm], data)


def verified(request: dict[str, Any], algorithm: str | None, value: str | None) -> dict[str, str]:
    """`{"ChecksumCRC32": value}` for the body's checksum `value` (checked against a sent one), or {}."""
    if algorithm is None or value is None:
        return {}
    sent = request.get(f"Checksum{algorithm}")
    if sent is not None and not hmac.compare_digest(str(sent), value):
        raise bad_digest(f"The {algorithm} you specified did not match the calculated checksum.")
    return {f"Checksum{algorithm}": value}


def composite(algorithm: str, part_values: list[str]) -> str:
    """AWS's checksum of checksums for a COMPOSITE multipart upload: `<b64>-<parts>`."""
    raw = b"".join(base64.b64decode(v) for v in part_values)
    return f"{checksum_b64(MEMBERS[algorithm], raw)}-{len(part_values)}"


def algorithms() -> list[str]:
    return [name for name, algo in MEMBERS.items() if algo in CHECKSUM_ALGORITHMS]
