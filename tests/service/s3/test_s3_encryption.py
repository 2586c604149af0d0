"""Server-side encryption for real: SSE-S3, SSE-KMS (with bucket keys), DSSE-KMS and SSE-C, with
AWS's errors for every bad input and nothing stored when a write is refused."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.s3.conftest import ACCOUNT, error_code, http_status, policy_document
from tests.support.at_rest import places_holding
from tests.support.server import ServerProcess

SSE_C_KEY = os.urandom(32)


def allow_sse_c(s3: Any, bucket: str) -> None:
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]},
                }
            ]
        },
    )


def keys_of(s3: Any, bucket: str) -> list[str]:
    return [c["Key"] for c in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_new_bucket_default_encryption_blocks_sse_c(s3: Any, bucket: str) -> None:
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert rule["BlockedEncryptionTypes"]["EncryptionType"] == ["SSE-C"]
    with pytest.raises(ClientError) as err:
        s3.put_object(
            Bucket=bucket, Key="c", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY
        )
    assert error_code(err) == "AccessDenied"
    assert keys_of(s3, bucket) == []


def test_sse_kms_with_aws_managed_key(s3: Any, kms: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"kms secret", ServerSideEncryption="aws:kms")
    assert put["ServerSideEncryption"] == "aws:kms"
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert put["SSEKMSKeyId"] == managed["Arn"]
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"kms secret"
    assert got["SSEKMSKeyId"] == managed["Arn"]


def test_sse_kms_customer_key_context_and_default(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    context = base64.b64encode(json.dumps({"project": "x"}).encode()).decode()
    put = s3.put_object(
        Bucket=bucket,
        Key="ck",
        Body=b"data",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["KeyId"],
        SSEKMSEncryptionContext=context,
    )
    assert put["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=bucket, Key="ck")["Body"].read() == b"data"
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["Arn"],
                    }
                }
            ]
        },
    )
    by_default = s3.put_object(Bucket=bucket, Key="d", Body=b"default")
    assert by_default["ServerSideEncryption"] == "aws:kms"
    assert by_default["SSEKMSKeyId"] == key["Arn"]
    s3.delete_bucket_encryption(Bucket=bucket)
    assert s3.put_object(Bucket=bucket, Key="e", Body=b"x")["ServerSideEncryption"] == "AES256"


def test_bucket_key(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key["Arn"],
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    for index in range(5):
        put = s3.put_object(Bucket=bucket, Key=f"bk{index}", Body=f"object {index}".encode())
        assert put["BucketKeyEnabled"] is True
    for index in range(5):
        got = s3.get_object(Bucket=bucket, Key=f"bk{index}")
        assert got["Body"].read() == f"object {index}".encode()
        assert got["BucketKeyEnabled"] is True


def test_dsse_kms(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    put = s3.put_object(
        Bucket=bucket,
        Key="dsse",
        Body=b"two layers",
        ServerSideEncryption="aws:kms:dsse",
        SSEKMSKeyId=key["Arn"],
    )
    assert put["ServerSideEncryption"] == "aws:kms:dsse"
    assert s3.get_object(Bucket=bucket, Key="dsse")["Body"].read() == b"two layers"


def test_disabled_kms_key_is_refused_and_nothing_written(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    s3.put_object(
        Bucket=bucket, Key="before", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
    )
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as err:
        s3.put_object(
            Bucket=bucket, Key="new", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
        )
    assert error_code(err) == "KMS.DisabledException"
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="before")
    assert error_code(err) == "KMS.DisabledException"
    assert keys_of(s3, bucket) == ["before"]


def test_unknown_kms_key(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_object(
            Bucket=bucket,
            Key="n",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId="alias/does-not-exist",
        )
    assert error_code(err) == "KMS.NotFoundException"
    assert keys_of(s3, bucket) == []


def test_kms_key_the_caller_may_not_use(s3: Any, kms: Any, make_user: Any, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    user = make_user({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    with pytest.raises(ClientError) as err:
        user["s3"].put_object(
            Bucket=bucket, Key="u", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
        )
    assert error_code(err) == "AccessDenied"
    assert "kms:GenerateDataKey" in err.value.response["Error"]["Message"]
    s3.put_object(
        Bucket=bucket, Key="owned", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
    )
    with pytest.raises(ClientError) as err:
        user["s3"].get_object(Bucket=bucket, Key="owned")
    assert error_code(err) == "AccessDenied"
    assert keys_of(s3, bucket) == ["owned"]


def test_sse_kms_key_id_without_kms_header(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="n", Body=b"x", SSEKMSKeyId="alias/aws/s3")
    assert error_code(err) == "InvalidArgument"


def test_sse_c_round_trip_and_errors(s3: Any, bucket: str) -> None:
    allow_sse_c(s3, bucket)
    put = s3.put_object(
        Bucket=bucket, Key="c", Body=b"customer", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY
    )
    md5 = base64.b64encode(hashlib.md5(SSE_C_KEY).digest()).decode()
    assert put["SSECustomerKeyMD5"] == md5
    got = s3.get_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY)
    assert got["Body"].read() == b"customer"
    assert got["SSECustomerAlgorithm"] == "AES256"
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="c")
    assert error_code(err) == "InvalidRequest"
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))
    assert error_code(err) == "AccessDenied"
    assert http_status(err) == 403
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))
    assert http_status(err) == 403
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as err:
        # With an explicit MD5 botocore sends the key as given: base64 of the raw key.
        s3.put_object(
            Bucket=bucket,
            Key="bad",
            Body=b"x",
            SSECustomerAlgorithm="AES256",
            SSECustomerKey=base64.b64encode(SSE_C_KEY).decode(),
            SSECustomerKeyMD5=wrong_md5,
        )
    assert error_code(err) == "InvalidArgument"
    assert keys_of(s3, bucket) == ["c"]


def test_sse_c_copy_re_encrypts_to_target_settings(s3: Any, bucket: str) -> None:
    allow_sse_c(s3, bucket)
    s3.put_object(
        Bucket=bucket, Key="c", Body=b"customer", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY
    )
    copied = s3.copy_object(
        Bucket=bucket,
        Key="plain",
        CopySource={"Bucket": bucket, "Key": "c"},
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=SSE_C_KEY,
        ServerSideEncryption="aws:kms",
    )
    assert copied["ServerSideEncryption"] == "aws:kms"
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == b"customer"


def test_data_dir_holds_no_plaintext(
    s3: Any, kms: Any, bucket: str, data_dir: Path, server: ServerProcess
) -> None:
    allow_sse_c(s3, bucket)
    marker = b"PLAINTEXT-MARKER-" + os.urandom(8).hex().encode()
    body = marker * 2000
    s3.put_object(Bucket=bucket, Key="s3", Body=body)
    s3.put_object(Bucket=bucket, Key="kms", Body=body, ServerSideEncryption="aws:kms")
    s3.put_object(Bucket=bucket, Key="dsse", Body=body, ServerSideEncryption="aws:kms:dsse")
    s3.put_object(Bucket=bucket, Key="c", Body=body, SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_C_KEY)
    assert places_holding(server, [marker * 4]) == []
    assert any((data_dir / "s3").rglob("*.seg"))


def test_tampered_segment_is_not_served(s3: Any, bucket: str, data_dir: Path) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"y" * 5000)
    before = {p: p.stat().st_mtime_ns for p in (data_dir / "s3").rglob("*.seg")}
    s3.put_object(Bucket=bucket, Key="t2", Body=b"z" * 5000)
    new = [p for p in (data_dir / "s3").rglob("*.seg") if p not in before]
    assert len(new) == 1
    raw = bytearray(new[0].read_bytes())
    raw[100] ^= 1
    new[0].write_bytes(bytes(raw))
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="t2")
    assert http_status(err) == 500


def test_policy_denies_unencrypted_uploads(s3: Any, bucket: str) -> None:
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy_document(
            {
                "Sid": "DenyNonKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            }
        ),
    )
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert error_code(err) == "AccessDenied"
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="s3", Body=b"x", ServerSideEncryption="AES256")
    assert error_code(err) == "AccessDenied"
    s3.put_object(Bucket=bucket, Key="ok", Body=b"x", ServerSideEncryption="aws:kms")
    assert keys_of(s3, bucket) == ["ok"]
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"] == "DenyNonKms"


def test_policy_requires_secure_transport(s3: Any, bucket: str) -> None:
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy_document(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
    )
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="x", Body=b"x")
    assert error_code(err) == "AccessDenied"


def test_bucket_policy_grants_cross_account(s3: Any, other_s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="shared", Body=b"for the other account")
    with pytest.raises(ClientError) as err:
        other_s3.get_object(Bucket=bucket, Key="shared")
    assert error_code(err) == "AccessDenied"
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy_document(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::770000000002:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ),
    )
    assert other_s3.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"for the other account"


def test_public_policy_is_blocked_by_default(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=policy_document(
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ),
        )
    assert error_code(err) == "AccessDenied"
    assert (
        s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]
        is True
    )


def test_malformed_policy(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.put_bucket_policy(Bucket=bucket, Policy='{"Statement": "nope"}')
    assert error_code(err) == "MalformedPolicy"


def test_sse_c_over_plain_http_refused_without_dev(tmp_path: Path) -> None:
    """A production (non --dev) server refuses SSE-C over plain HTTP, as AWS does."""
    import boto3
    from botocore.config import Config

    from tests.support.server import ServerProcess

    server = ServerProcess(
        tmp_path / "data",
        dev=False,
        env={
            "STRONGROOM_ROOT_ACCESS_KEY_ID": "AKIA770000000099X",
            "STRONGROOM_ROOT_SECRET_ACCESS_KEY": "secret-770",
        },
    )
    server.start()
    try:
        client = boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIA770000000099X",
            aws_secret_access_key="secret-770",
            config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
        )
        client.create_bucket(Bucket="prod-bucket")
        allow_sse_c(client, "prod-bucket")
        with pytest.raises(ClientError) as err:
            client.put_object(
                Bucket="prod-bucket",
                Key="c",
                Body=b"x",
                SSECustomerAlgorithm="AES256",
                SSECustomerKey=SSE_C_KEY,
            )
        assert error_code(err) == "InvalidRequest"
        assert "secure" in err.value.response["Error"]["Message"]
    finally:
        server.stop()


assert ACCOUNT
