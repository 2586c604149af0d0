"""Multipart uploads with boto3 and the AWS CLI (`aws s3 cp` of 200 MB goes multipart with checksums)."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.s3.conftest import ACCOUNT, error_code

MiB = 1024 * 1024


def test_multipart_sse_kms_with_composite_checksum(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    upload = s3.create_multipart_upload(
        Bucket=bucket,
        Key="mp",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["Arn"],
        ChecksumAlgorithm="SHA256",
    )
    assert upload["ServerSideEncryption"] == "aws:kms"
    parts_data = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    parts = []
    for number, data in enumerate(parts_data, start=1):
        sent = s3.upload_part(
            Bucket=bucket,
            Key="mp",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="SHA256",
        )
        assert sent["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
        parts.append({"PartNumber": number, "ETag": sent["ETag"], "ChecksumSHA256": sent["ChecksumSHA256"]})
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    assert done["ETag"].endswith('-3"')
    assert done["ChecksumSHA256"].endswith("-3")
    body = b"".join(parts_data)
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["Body"].read() == body
    assert got["SSEKMSKeyId"] == key["Arn"]
    middle = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={5 * MiB - 10}-{5 * MiB + 10}")
    assert middle["Body"].read() == body[5 * MiB - 10 : 5 * MiB + 11]
    second = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    assert second["Body"].read() == parts_data[1]
    assert second["PartsCount"] == 3


def test_multipart_errors(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="bad")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="bad", UploadId=upload, PartNumber=1, Body=b"small")
    last = s3.upload_part(Bucket=bucket, Key="bad", UploadId=upload, PartNumber=2, Body=b"last")
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="bad",
            UploadId=upload,
            MultipartUpload={
                "Parts": [{"PartNumber": 1, "ETag": small["ETag"]}, {"PartNumber": 2, "ETag": last["ETag"]}]
            },
        )
    assert error_code(err) == "EntityTooSmall"
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="bad",
            UploadId=upload,
            MultipartUpload={
                "Parts": [{"PartNumber": 2, "ETag": last["ETag"]}, {"PartNumber": 1, "ETag": small["ETag"]}]
            },
        )
    assert error_code(err) == "InvalidPartOrder"
    with pytest.raises(ClientError) as err:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="bad",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"00"'}]},
        )
    assert error_code(err) == "InvalidPart"
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [upload]
    s3.abort_multipart_upload(Bucket=bucket, Key="bad", UploadId=upload)
    with pytest.raises(ClientError) as err:
        s3.upload_part(Bucket=bucket, Key="bad", UploadId=upload, PartNumber=1, Body=b"x")
    assert error_code(err) == "NoSuchUpload"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


@pytest.mark.timeout(600)
def test_aws_cli_cp_200mb_goes_multipart(s3: Any, bucket: str, endpoint: str, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with open(source, "wb") as out:
        for _ in range(200):
            out.write(os.urandom(MiB))
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCOUNT,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    aws = [sys.executable, "-m", "awscli", "--endpoint-url", endpoint]
    subprocess.run(
        [*aws, "s3", "cp", str(source), f"s3://{bucket}/big.bin", "--sse", "aws:kms"],
        check=True,
        env=env,
        capture_output=True,
        timeout=500,
    )
    head = s3.head_object(Bucket=bucket, Key="big.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == 200 * MiB
    assert "-" in head["ETag"]  # a multipart ETag
    assert head["ServerSideEncryption"] == "aws:kms"
    target = tmp_path / "back.bin"
    subprocess.run(
        [*aws, "s3", "cp", f"s3://{bucket}/big.bin", str(target)],
        check=True,
        env=env,
        capture_output=True,
        timeout=500,
    )
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
