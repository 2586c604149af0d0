"""GetObject of objects larger than one segment is sent while it is decrypted: whole objects and
ranges come back exact under every SSE type, and a segment altered on disk never reaches the
client as plaintext — before the first byte it is S3's 500 InternalError, after it the
connection is cut short of the Content-Length."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, IncompleteReadError, ResponseStreamingError

from tests.service.s3.conftest import error_code, http_status
from tests.support.server import ServerProcess

MiB = 1024 * 1024
SIZE = 64 * MiB + 12345  # not a whole number of segments: the last one is short
SEGMENT_STRIDE = MiB + 28  # one AES-GCM layer: nonce (12) + tag (16)
HEADER = 10
SSE_C_KEY = os.urandom(32)

SSE_TYPES: dict[str, dict[str, Any]] = {
    "sse-s3": {"ServerSideEncryption": "AES256"},
    "sse-kms": {"ServerSideEncryption": "aws:kms"},
    "sse-kms-bucket-key": {"ServerSideEncryption": "aws:kms", "BucketKeyEnabled": True},
    "dsse-kms": {"ServerSideEncryption": "aws:kms:dsse"},
    "sse-c": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY},
}
RANGES = [
    ("bytes=0-0", 0, 1),
    ("bytes=1048575-1048576", MiB - 1, MiB + 1),  # the two sides of a segment boundary
    ("bytes=1000-5243000", 1000, 5243001),  # partial first and last segments, whole ones between
    ("bytes=3145728-", 3 * MiB, SIZE),  # from a segment start to the end
    ("bytes=-70000", SIZE - 70000, SIZE),  # suffix: across the short last segment
    ("bytes=0-", 0, SIZE),
]


@pytest.fixture(scope="module")
def body() -> bytes:
    return os.urandom(SIZE)


@pytest.fixture(scope="module")
def sse_bucket(s3: Any) -> str:
    """One bucket for the module (64 MiB objects are written once per SSE type)."""
    name = f"stream-{os.urandom(6).hex()}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(  # SSE-C is blocked by default on new buckets, as in AWS
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]},
                }
            ]
        },
    )
    return name


def read_keys(sse: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sse.items() if k.startswith("SSECustomer")}


def seg_files(data_dir: Path) -> set[Path]:
    return set((data_dir / "s3").rglob("*.seg"))


@pytest.mark.parametrize("sse", list(SSE_TYPES.values()), ids=list(SSE_TYPES))
def test_large_object_and_ranges_round_trip(
    s3: Any, sse_bucket: str, body: bytes, sse: dict[str, Any]
) -> None:
    key = f"big-{os.urandom(4).hex()}"
    s3.put_object(Bucket=sse_bucket, Key=key, Body=body, **sse)
    whole = s3.get_object(Bucket=sse_bucket, Key=key, **read_keys(sse))
    assert whole["ContentLength"] == SIZE
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert whole["Body"].read() == body
    for header, start, end in RANGES:
        got = s3.get_object(Bucket=sse_bucket, Key=key, Range=header, **read_keys(sse))
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206, header
        assert got["ContentRange"] == f"bytes {start}-{end - 1}/{SIZE}", header
        assert got["ContentLength"] == end - start, header
        assert got["Body"].read() == body[start:end], header


def test_streamed_multipart_object_and_part_number(s3: Any, sse_bucket: str, body: bytes) -> None:
    key = "multi"
    upload = s3.create_multipart_upload(Bucket=sse_bucket, Key=key, ServerSideEncryption="aws:kms")
    cut = 5 * MiB + 7
    parts = []
    for number, chunk in enumerate((body[:cut], body[cut : 2 * cut], body[2 * cut : 3 * cut]), start=1):
        put = s3.upload_part(
            Bucket=sse_bucket, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=chunk
        )
        parts.append({"PartNumber": number, "ETag": put["ETag"]})
    s3.complete_multipart_upload(
        Bucket=sse_bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket=sse_bucket, Key=key)["Body"].read() == body[: 3 * cut]
    across = s3.get_object(Bucket=sse_bucket, Key=key, Range=f"bytes={cut - 10}-{2 * cut + 9}")
    assert across["Body"].read() == body[cut - 10 : 2 * cut + 10]
    second = s3.get_object(Bucket=sse_bucket, Key=key, PartNumber=2)
    assert second["Body"].read() == body[cut : 2 * cut]


def server_pids(server: ServerProcess) -> list[int]:
    """The server process and its workers (uvicorn's children)."""
    assert server.process is not None
    pids = [server.process.pid]
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if entry.name.isdigit():
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if parent == server.process.pid:
                    pids.append(int(entry.name))
    return pids


def open_piece_files(server: ServerProcess) -> list[str]:
    found = []
    for pid in server_pids(server):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.endswith(".seg"):
                        found.append(target)
    return found


def test_client_that_stops_reading_leaves_no_file_open(
    s3: Any, sse_bucket: str, body: bytes, server: ServerProcess
) -> None:
    s3.put_object(Bucket=sse_bucket, Key="dropped", Body=body)
    for _ in range(3):
        got = s3.get_object(Bucket=sse_bucket, Key="dropped")
        assert got["Body"].read(1000) == body[:1000]
        assert open_piece_files(server)  # held while the body is being sent
        got["Body"].close()  # the connection goes with ~63 MiB unsent
    deadline = time.monotonic() + 10
    while open_piece_files(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_piece_files(server) == []
    assert s3.get_object(Bucket=sse_bucket, Key="dropped", Range="bytes=5-9")["Body"].read() == body[5:10]


def put_and_locate(s3: Any, bucket: str, key: str, data: bytes, data_dir: Path) -> Path:
    before = seg_files(data_dir)
    s3.put_object(Bucket=bucket, Key=key, Body=data, ServerSideEncryption="AES256")
    (written,) = seg_files(data_dir) - before
    return written


def flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as file:
        file.seek(offset)
        byte = file.read(1)
        file.seek(offset)
        file.write(bytes([byte[0] ^ 0x01]))


def test_tampered_later_segment_cuts_the_connection(
    s3: Any, bucket: str, data_dir: Path, body: bytes
) -> None:
    data = body[: 3 * MiB + 5]
    stored = put_and_locate(s3, bucket, "tampered", data, data_dir)
    flip_byte(stored, HEADER + 2 * SEGMENT_STRIDE + 500)  # inside the third segment's ciphertext
    got = s3.get_object(Bucket=bucket, Key="tampered")
    # The headers and the segments before the altered one were sent; the altered one never is.
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["ContentLength"] == len(data)
    with pytest.raises((ResponseStreamingError, IncompleteReadError)):
        got["Body"].read()
    received = b""
    got = s3.get_object(Bucket=bucket, Key="tampered")
    try:
        for chunk in got["Body"].iter_chunks(65536):
            received += chunk
    except (ResponseStreamingError, IncompleteReadError):
        pass
    assert received == data[: len(received)]
    assert len(received) == 2 * MiB  # the two segments before the altered one
    # The range before the altered segment still reads; one that needs it does not.
    assert s3.get_object(Bucket=bucket, Key="tampered", Range="bytes=0-99")["Body"].read() == data[:100]
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="tampered", Range=f"bytes={2 * MiB}-{2 * MiB + 99}")
    assert error_code(err) == "InternalError"
    assert http_status(err) == 500


def test_tampered_first_segment_is_an_internal_error(
    s3: Any, bucket: str, data_dir: Path, body: bytes
) -> None:
    data = body[: 2 * MiB + 1]
    stored = put_and_locate(s3, bucket, "first", data, data_dir)
    flip_byte(stored, HEADER + 100)
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="first")
    assert error_code(err) == "InternalError"
    assert http_status(err) == 500


def test_truncated_file_is_never_served_whole(s3: Any, bucket: str, data_dir: Path, body: bytes) -> None:
    data = body[: 2 * MiB + 1]
    stored = put_and_locate(s3, bucket, "truncated", data, data_dir)
    with open(stored, "r+b") as file:
        file.truncate(HEADER + SEGMENT_STRIDE + 10)
    got = s3.get_object(Bucket=bucket, Key="truncated")
    with pytest.raises((ResponseStreamingError, IncompleteReadError)):
        got["Body"].read()
