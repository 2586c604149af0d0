"""Buckets and objects end to end with boto3: names, versions, listings, ranges, conditions, copy."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from strongroom.aws.chunked import checksum_b64
from tests.service.s3.conftest import error_code, http_status, unique_bucket


def test_bucket_lifecycle_and_location(s3: Any, s3_eu: Any) -> None:
    name = unique_bucket()
    s3_eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3_eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    head = s3_eu.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "eu-west-1"
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3_eu.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as err:
        s3_eu.head_bucket(Bucket=name)
    assert http_status(err) == 404


@pytest.mark.parametrize(
    "name", ["ab", "Upper-case", "has_underscore", "192.168.1.1", "a..b", "xn--bucket", "end-"]
)
def test_invalid_bucket_names_are_refused(s3: Any, name: str) -> None:
    with pytest.raises(ClientError) as err:
        s3.create_bucket(Bucket=name)
    assert error_code(err) == "InvalidBucketName"
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_bucket_already_exists_for_another_account(s3: Any, other_s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as err:
        other_s3.create_bucket(Bucket=bucket)
    assert error_code(err) == "BucketAlreadyExists"
    assert http_status(err) == 409


def test_location_constraint_must_match_endpoint_region(s3: Any) -> None:
    with pytest.raises(ClientError) as err:
        s3.create_bucket(
            Bucket=unique_bucket(), CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    assert error_code(err) == "IllegalLocationConstraintException"


def test_put_get_head_delete(s3: Any, bucket: str) -> None:
    body = b"some bytes " * 500
    put = s3.put_object(
        Bucket=bucket, Key="dir/obj.txt", Body=body, ContentType="text/plain", Metadata={"a": "1"}
    )
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="dir/obj.txt")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"a": "1"}
    head = s3.head_object(Bucket=bucket, Key="dir/obj.txt")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == put["ETag"]
    s3.delete_object(Bucket=bucket, Key="dir/obj.txt")
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="dir/obj.txt")
    assert error_code(err) == "NoSuchKey"
    with pytest.raises(ClientError) as err:
        s3.head_object(Bucket=bucket, Key="dir/obj.txt")
    assert http_status(err) == 404


def test_missing_bucket(s3: Any) -> None:
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=unique_bucket("none"), Key="x")
    assert error_code(err) == "NoSuchBucket"


def test_range_gets(s3: Any, bucket: str) -> None:
    body = bytes(range(256)) * 12000  # ~3 MiB: spans several encrypted segments
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    part = s3.get_object(Bucket=bucket, Key="big", Range="bytes=1048570-2097160")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == f"bytes 1048570-2097160/{len(body)}"
    assert part["Body"].read() == body[1048570:2097161]
    tail = s3.get_object(Bucket=bucket, Key="big", Range="bytes=-10")
    assert tail["Body"].read() == body[-10:]
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={len(body)}-")
    assert error_code(err) == "InvalidRange"
    assert http_status(err) == 416


def test_conditional_requests(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v1")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert http_status(err) == 412
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert http_status(err) == 304
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="c", Body=b"v2", IfNoneMatch="*")
    assert error_code(err) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == b"v1"


def test_versions_and_delete_markers(s3: Any, versioned_bucket: str) -> None:
    first = s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"two")["VersionId"]
    assert first != second
    assert s3.get_object(Bucket=versioned_bucket, Key="k", VersionId=first)["Body"].read() == b"one"
    deleted = s3.delete_object(Bucket=versioned_bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    with pytest.raises(ClientError) as err:
        s3.get_object(Bucket=versioned_bucket, Key="k")
    assert error_code(err) == "NoSuchKey"
    listing = s3.list_object_versions(Bucket=versioned_bucket)
    assert {v["VersionId"] for v in listing["Versions"]} == {first, second}
    assert len(listing["DeleteMarkers"]) == 1
    s3.delete_object(Bucket=versioned_bucket, Key="k", VersionId=deleted["VersionId"])
    assert s3.get_object(Bucket=versioned_bucket, Key="k")["Body"].read() == b"two"


def test_list_objects_v2_with_delimiter_and_pages(s3: Any, bucket: str) -> None:
    for key in ["a/1", "a/2", "b/1", "c", "d e+f"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    listing = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in listing["CommonPrefixes"]] == ["a/", "b/"]
    assert [c["Key"] for c in listing["Contents"]] == ["c", "d e+f"]
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}):
        keys += [c["Key"] for c in page.get("Contents", [])]
    assert keys == ["a/1", "a/2", "b/1", "c", "d e+f"]


def _version_tree(s3: Any, bucket: str) -> dict[str, list[str]]:
    """Keys with several versions and a delete marker, some under common prefixes; key -> version ids."""
    ids: dict[str, list[str]] = {}
    for key in ["a/1", "a/1", "a/2", "b", "c/x/y", "d", "d"]:
        ids.setdefault(key, []).append(s3.put_object(Bucket=bucket, Key=key, Body=b"x")["VersionId"])
    ids["c/x/y"].append(s3.delete_object(Bucket=bucket, Key="c/x/y")["VersionId"])
    return ids


def test_list_object_versions_rolls_keys_up_at_the_delimiter(s3: Any, versioned_bucket: str) -> None:
    ids = _version_tree(s3, versioned_bucket)
    listing = s3.list_object_versions(Bucket=versioned_bucket, Delimiter="/")
    assert [p["Prefix"] for p in listing["CommonPrefixes"]] == ["a/", "c/"]
    assert [(v["Key"], v["VersionId"]) for v in listing["Versions"]] == [
        ("b", ids["b"][0]),
        ("d", ids["d"][1]),  # newest first
        ("d", ids["d"][0]),
    ]
    assert "DeleteMarkers" not in listing  # c/x/y's marker is under c/
    assert listing["Delimiter"] == "/"
    assert listing["IsTruncated"] is False

    under_a = s3.list_object_versions(Bucket=versioned_bucket, Prefix="a/", Delimiter="/")
    assert "CommonPrefixes" not in under_a
    assert [v["VersionId"] for v in under_a["Versions"]] == [*reversed(ids["a/1"]), *ids["a/2"]]

    under_c = s3.list_object_versions(Bucket=versioned_bucket, Prefix="c/", Delimiter="/")
    assert [p["Prefix"] for p in under_c["CommonPrefixes"]] == ["c/x/"]

    # Without a delimiter nothing rolls up (as before).
    flat = s3.list_object_versions(Bucket=versioned_bucket)
    assert "CommonPrefixes" not in flat
    assert len(flat["Versions"]) == 7
    assert [m["Key"] for m in flat["DeleteMarkers"]] == ["c/x/y"]


def test_list_object_versions_pages_with_a_delimiter(s3: Any, versioned_bucket: str) -> None:
    """A common prefix counts as one against MaxKeys, and a page ending on one resumes past it."""
    ids = _version_tree(s3, versioned_bucket)
    first = s3.list_object_versions(Bucket=versioned_bucket, Delimiter="/", MaxKeys=1)
    assert first["IsTruncated"] is True
    assert [p["Prefix"] for p in first["CommonPrefixes"]] == ["a/"]
    assert "Versions" not in first
    assert first["NextKeyMarker"] == "a/"
    assert "NextVersionIdMarker" not in first
    second = s3.list_object_versions(
        Bucket=versioned_bucket, Delimiter="/", MaxKeys=2, KeyMarker=first["NextKeyMarker"]
    )
    assert [v["Key"] for v in second["Versions"]] == ["b"]
    assert [p["Prefix"] for p in second["CommonPrefixes"]] == ["c/"]
    assert second["NextKeyMarker"] == "c/"

    seen: list[tuple[str, str]] = []
    prefixes: list[str] = []
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=versioned_bucket, Delimiter="/", PaginationConfig={"PageSize": 1}):
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert prefixes == ["a/", "c/"]
    assert seen == [("b", ids["b"][0]), ("d", ids["d"][1]), ("d", ids["d"][0])]


def test_list_object_versions_url_encodes_common_prefixes(s3: Any, versioned_bucket: str) -> None:
    s3.put_object(Bucket=versioned_bucket, Key="sp ace/k", Body=b"x")
    # Asked for by the caller, the encoding reaches it as sent (botocore decodes only its own).
    listing = s3.list_object_versions(Bucket=versioned_bucket, Delimiter="/", EncodingType="url")
    assert [p["Prefix"] for p in listing["CommonPrefixes"]] == ["sp%20ace/"]
    assert listing["EncodingType"] == "url"
    # botocore asks for url encoding by itself, and decodes the answer.
    plain = s3.list_object_versions(Bucket=versioned_bucket, Delimiter="/")
    assert [p["Prefix"] for p in plain["CommonPrefixes"]] == ["sp ace/"]


def test_delete_objects(s3: Any, bucket: str) -> None:
    for key in ["x1", "x2"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "x1"}, {"Key": "x2"}, {"Key": "nope"}]}
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == ["nope", "x1", "x2"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_bucket_not_empty(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="x", Body=b"x")
    with pytest.raises(ClientError) as err:
        s3.delete_bucket(Bucket=bucket)
    assert error_code(err) == "BucketNotEmpty"


def test_copy_object_and_tagging(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", Tagging="t=1")
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"]
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"copy me"
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.put_object_tagging(Bucket=bucket, Key="dst", Tagging={"TagSet": [{"Key": "u", "Value": "2"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == [{"Key": "u", "Value": "2"}]
    with pytest.raises(ClientError) as err:
        s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    assert error_code(err) == "InvalidRequest"


def test_checksums(s3: Any, bucket: str) -> None:
    for algorithm in ["CRC32", "SHA1", "SHA256"]:
        put = s3.put_object(
            Bucket=bucket, Key=f"sum-{algorithm}", Body=b"checked", ChecksumAlgorithm=algorithm
        )
        head = s3.head_object(Bucket=bucket, Key=f"sum-{algorithm}", ChecksumMode="ENABLED")
        assert head[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]
    # botocore computes CRC32C and CRC64NVME only with awscrt: send the values computed here.
    for algorithm in ["CRC32C", "CRC64NVME"]:
        value = checksum_b64(algorithm.lower(), b"checked")
        put = s3.put_object(
            Bucket=bucket, Key=f"sum-{algorithm}", Body=b"checked", **{f"Checksum{algorithm}": value}
        )
        head = s3.head_object(Bucket=bucket, Key=f"sum-{algorithm}", ChecksumMode="ENABLED")
        assert head[f"Checksum{algorithm}"] == value == put[f"Checksum{algorithm}"]
        with pytest.raises(ClientError) as err:
            s3.put_object(
                Bucket=bucket, Key=f"bad-{algorithm}", Body=b"other", **{f"Checksum{algorithm}": value}
            )
        assert error_code(err) in ("BadDigest", "InvalidRequest")
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="bad-md5", Body=b"data", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
    assert error_code(err) == "BadDigest"
    with pytest.raises(ClientError) as err:
        s3.put_object(
            Bucket=bucket,
            Key="bad-sum",
            Body=b"data",
            ChecksumSHA256="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )
    assert error_code(err) in ("BadDigest", "XAmzContentSHA256Mismatch", "InvalidRequest")
    keys = [c["Key"] for c in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert "bad-md5" not in keys and "bad-sum" not in keys


def test_presigned_url_s3v4(s3: Any, bucket: str) -> None:
    import requests

    s3.put_object(Bucket=bucket, Key="shared", Body=b"presigned")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "shared"}, ExpiresIn=60)
    assert "X-Amz-Signature" in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"presigned"


def test_virtual_host_addressing(s3: Any, bucket: str, endpoint: str) -> None:
    """A virtual-hosted request (Host: <bucket>.s3.localhost) signed with real SigV4."""
    import requests
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    s3.put_object(Bucket=bucket, Key="vh key", Body=b"virtual")
    host = f"{bucket}.s3.localhost"
    request = AWSRequest(method="GET", url=f"http://{host}/vh%20key", headers={"Host": host})
    S3SigV4Auth(Credentials("770000000001", "test"), "s3", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    response = requests.get(f"{endpoint}/vh%20key", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.content == b"virtual"
