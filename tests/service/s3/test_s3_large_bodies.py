"""Bodies large enough that their MD5 and checksum are computed beside the encryption and the
write: the digests still decide, and a mismatch leaves nothing behind."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.s3.conftest import error_code, http_status

SIZE = 6 * 1024 * 1024 + 123  # over the parallel-digest threshold, not a whole number of segments


@pytest.fixture(scope="module")
def body() -> bytes:
    return os.urandom(SIZE)


def segment_files(data_dir: Path) -> set[Path]:
    return set((data_dir / "s3").rglob("*.seg"))


def test_large_put_keeps_md5_etag_and_checksum(s3: Any, bucket: str, body: bytes) -> None:
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    put = s3.put_object(Bucket=bucket, Key="big", Body=body, ChecksumAlgorithm="CRC32")
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ChecksumCRC32"] == crc
    got = s3.get_object(Bucket=bucket, Key="big", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumCRC32"] == crc
    ranged = s3.get_object(Bucket=bucket, Key="big", Range="bytes=1048570-3145740")
    assert ranged["Body"].read() == body[1048570:3145741]


@pytest.mark.parametrize(
    "bad",
    [
        {"ChecksumCRC32": base64.b64encode(b"\0\0\0\0").decode()},
        {"ChecksumSHA256": base64.b64encode(b"\0" * 32).decode()},
        {"ContentMD5": base64.b64encode(b"\0" * 16).decode()},
    ],
    ids=["crc32", "sha256", "content-md5"],
)
def test_large_put_with_a_wrong_digest_writes_nothing(
    s3: Any, bucket: str, body: bytes, data_dir: Path, bad: dict[str, str]
) -> None:
    s3.put_object(Bucket=bucket, Key="kept", Body=b"the old value")
    before = segment_files(data_dir)
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="kept", Body=body, **bad)
    assert error_code(err) == "BadDigest"
    assert http_status(err) == 400
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"the old value"
    assert segment_files(data_dir) - before == set()


def test_large_sse_kms_put_has_an_opaque_etag(s3: Any, bucket: str, body: bytes) -> None:
    put = s3.put_object(Bucket=bucket, Key="kms", Body=body, ServerSideEncryption="aws:kms")
    assert put["ETag"] != f'"{hashlib.md5(body).hexdigest()}"'
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == body
