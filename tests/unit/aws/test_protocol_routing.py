"""Targeted protocol behaviour: S3 virtual hosts, greedy keys, query-string disambiguation,
unknown routes and actions, refused XML, error envelopes."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from botocore.config import Config

pytest.register_assert_rewrite("roundtrip_support")

from roundtrip_support import botocore_parse, protocol_of, service_model  # noqa: E402

from strongroom.aws.errors import (  # noqa: E402
    AWSError,
    SerializationError,
    ServiceError,
    UnknownOperation,
    ValidationError,
)
from strongroom.aws.http import Headers, HttpRequest  # noqa: E402
from strongroom.aws.protocols.rest import split_header_list  # noqa: E402
from strongroom.aws.protocols.rest_xml import virtual_host_bucket  # noqa: E402

S3 = service_model("s3")
S3_PROTOCOL = protocol_of(S3)


def s3_request(
    method: str,
    path: str,
    query: str = "",
    host: str = "localhost:4566",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> HttpRequest:
    return HttpRequest(method, path, query, Headers([("Host", host), *(headers or [])]), body)


@pytest.mark.parametrize(
    ("host", "bucket"),
    [
        ("my-bucket.s3.localhost.localstack.cloud:4566", "my-bucket"),
        ("my.dotted.bucket.s3.localhost.localstack.cloud:4566", "my.dotted.bucket"),
        ("logs.s3.amazonaws.com", "logs"),
        ("logs.s3.eu-west-1.amazonaws.com", "logs"),
        ("logs.s3-us-west-2.amazonaws.com", "logs"),
        ("logs.s3.strongroom.internal:8443", "logs"),
        ("logs.localhost:4566", "logs"),
        ("logs.localhost", "logs"),
        ("s3.amazonaws.com", None),
        ("s3.eu-west-1.amazonaws.com", None),
        ("s3.localhost.localstack.cloud:4566", None),
        ("s3.localhost:4566", None),
        ("localhost:4566", None),
        ("127.0.0.1:4566", None),
        ("[::1]:4566", None),
        ("route-1.s3-object-lambda.us-east-1.amazonaws.com", None),
    ],
)
def test_virtual_host_bucket(host: str, bucket: str | None) -> None:
    assert virtual_host_bucket(host) == bucket


KEY = "dir/sub dir/file name+1 ü.txt"
RAW_KEY = "dir/sub%20dir/file%20name%2B1%20%C3%BC.txt"


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("localhost:4566", f"/my-bucket/{RAW_KEY}"),
        ("s3.localhost.localstack.cloud:4566", f"/my-bucket/{RAW_KEY}"),
        ("my-bucket.s3.localhost.localstack.cloud:4566", f"/{RAW_KEY}"),
        ("my-bucket.s3.amazonaws.com", f"/{RAW_KEY}"),
        ("my-bucket.localhost:4566", f"/{RAW_KEY}"),
    ],
)
def test_greedy_key_with_slashes_and_spaces_in_every_host_form(host: str, path: str) -> None:
    request = s3_request("GET", path, host=host)
    operation = S3_PROTOCOL.find_operation(S3, request)
    assert operation.name == "GetObject"
    parsed = S3_PROTOCOL.parse_request(operation, request)
    assert parsed["Bucket"] == "my-bucket"
    assert parsed["Key"] == KEY


def test_keys_keep_leading_and_doubled_slashes_and_encoded_slashes() -> None:
    for path, key in [("/b//a//c", "/a//c"), ("/b/a%2Fb", "a/b"), ("/b/a/", "a/"), ("/b/%25", "%")]:
        request = s3_request("GET", path)
        operation = S3_PROTOCOL.find_operation(S3, request)
        assert operation.name == "GetObject"
        assert S3_PROTOCOL.parse_request(operation, request)["Key"] == key


def test_bucket_with_trailing_slash_and_virtual_host_root_is_the_bucket() -> None:
    assert S3_PROTOCOL.find_operation(S3, s3_request("GET", "/b/")).name == "ListObjects"
    request = s3_request("GET", "/", "list-type=2&prefix=a%2F", host="b.s3.localhost.localstack.cloud")
    operation = S3_PROTOCOL.find_operation(S3, request)
    assert operation.name == "ListObjectsV2"
    assert S3_PROTOCOL.parse_request(operation, request) == {"Bucket": "b", "Prefix": "a/"}


COPY = ("x-amz-copy-source", "src-bucket/src%20key")


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "expected"),
    [
        ("GET", "/", "", [], "ListBuckets"),
        ("GET", "/b", "", [], "ListObjects"),
        ("GET", "/b", "list-type=2", [], "ListObjectsV2"),
        ("GET", "/b", "versioning", [], "GetBucketVersioning"),
        ("PUT", "/b", "versioning", [], "PutBucketVersioning"),
        ("GET", "/b", "versions", [], "ListObjectVersions"),
        ("GET", "/b", "uploads", [], "ListMultipartUploads"),
        ("GET", "/b", "tagging", [], "GetBucketTagging"),
        ("GET", "/b", "analytics", [], "ListBucketAnalyticsConfigurations"),
        ("GET", "/b", "analytics&id=a1", [], "GetBucketAnalyticsConfiguration"),
        ("GET", "/b", "lifecycle", [], "GetBucketLifecycleConfiguration"),
        ("POST", "/b", "delete", [], "DeleteObjects"),
        ("HEAD", "/b", "", [], "HeadBucket"),
        ("PUT", "/b", "", [], "CreateBucket"),
        ("DELETE", "/b", "", [], "DeleteBucket"),
        ("GET", "/b/k", "", [], "GetObject"),
        ("HEAD", "/b/k", "", [], "HeadObject"),
        ("GET", "/b/k", "tagging", [], "GetObjectTagging"),
        ("GET", "/b/k", "acl", [], "GetObjectAcl"),
        ("GET", "/b/k", "uploadId=u1", [], "ListParts"),
        ("PUT", "/b/k", "", [], "PutObject"),
        ("PUT", "/b/k", "", [COPY], "CopyObject"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u1", [], "UploadPart"),
        ("PUT", "/b/k", "partNumber=1&uploadId=u1", [COPY], "UploadPartCopy"),
        ("POST", "/b/k", "uploads", [], "CreateMultipartUpload"),
        ("POST", "/b/k", "uploadId=u1", [], "CompleteMultipartUpload"),
        ("DELETE", "/b/k", "", [], "DeleteObject"),
        ("DELETE", "/b/k", "uploadId=u1", [], "AbortMultipartUpload"),
        ("POST", "/b/k", "select&select-type=2", [], "SelectObjectContent"),
        ("GET", "/b/k", "x-id=GetObject", [], "GetObject"),
    ],
)
def test_s3_operations_sharing_a_path_are_told_apart(
    method: str, path: str, query: str, headers: list[tuple[str, str]], expected: str
) -> None:
    assert S3_PROTOCOL.find_operation(S3, s3_request(method, path, query, headers=headers)).name == expected


def test_copy_source_and_metadata_headers_are_read() -> None:
    request = s3_request(
        "PUT",
        "/b/k",
        headers=[COPY, ("x-amz-meta-Owner", "alice"), ("X-Amz-Meta-team", "blue"), ("x-amz-tagging", "a=1")],
    )
    operation = S3_PROTOCOL.find_operation(S3, request)
    parsed = S3_PROTOCOL.parse_request(operation, request)
    assert parsed["CopySource"] == "src-bucket/src%20key"
    assert parsed["Metadata"] == {"Owner": "alice", "team": "blue"}
    assert parsed["Tagging"] == "a=1"


def test_head_object_answers_metadata_headers_and_no_body_on_error() -> None:
    head = S3.operation_model("HeadObject")
    response = S3_PROTOCOL.serialize_response(head, {"Metadata": {"owner": "alice"}, "ContentLength": 5}, "r")
    assert response.headers["x-amz-meta-owner"] == "alice"
    assert response.headers["Content-Length"] == "5"
    assert response.body == b""
    error = S3_PROTOCOL.serialize_error(S3, head, ServiceError("NoSuchKey", "gone", status=404), "r")
    assert (error.status, error.body) == (404, b"")


def test_s3_error_carries_extra_members() -> None:
    get = S3.operation_model("GetObject")
    error = ServiceError("NoSuchBucket", "The specified bucket does not exist", extra={"BucketName": "b"})
    response = S3_PROTOCOL.serialize_error(S3, get, error, "req-1")
    assert response.status == 404  # from the model's error trait
    parsed = botocore_parse("rest-xml", response, get.output_shape)
    assert parsed["Error"] == {
        "Code": "NoSuchBucket",
        "Message": "The specified bucket does not exist",
        "BucketName": "b",
    }


def test_s3_unknown_route_is_method_not_allowed() -> None:
    with pytest.raises(UnknownOperation) as caught:
        S3_PROTOCOL.find_operation(S3, s3_request("PATCH", "/b/k"))
    response = S3_PROTOCOL.serialize_error(S3, None, caught.value, "r")
    assert response.status == 405
    assert botocore_parse("rest-xml", response, None)["Error"]["Code"] == "MethodNotAllowed"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x "boom">]><Tagging><TagSet/></Tagging>',
        b'<!DOCTYPE t SYSTEM "file:///etc/passwd"><Tagging/>',
        b"<Tagging><TagSet>",
        b"not xml",
    ],
)
def test_unsafe_or_malformed_xml_is_refused_as_malformed_xml(body: bytes) -> None:
    request = s3_request("PUT", "/b", "tagging", body=body)
    operation = S3_PROTOCOL.find_operation(S3, request)
    with pytest.raises(SerializationError) as caught:
        S3_PROTOCOL.parse_request(operation, request)
    response = S3_PROTOCOL.serialize_error(S3, operation, caught.value, "r")
    assert botocore_parse("rest-xml", response, None)["Error"]["Code"] == "MalformedXML"


def test_header_lists_honour_quotes() -> None:
    assert split_header_list('a, "b,c" ,d,"e\\"f"') == ["a", "b,c", "d", 'e"f']


# --- rest-json ---------------------------------------------------------------------------------

GUARDDUTY = service_model("guardduty")
REST_JSON = protocol_of(GUARDDUTY)


def test_rest_json_literal_segments_beat_labels_and_labels_are_decoded() -> None:
    request = HttpRequest("GET", "/detector/d%201/filter/my%2Ffilter", headers=Headers([("Host", "gd")]))
    operation = REST_JSON.find_operation(GUARDDUTY, request)
    assert operation.name == "GetFilter"
    assert REST_JSON.parse_request(operation, request) == {"DetectorId": "d 1", "FilterName": "my/filter"}


def test_rest_json_unknown_route_and_errors_carry_the_error_type_header() -> None:
    with pytest.raises(UnknownOperation) as caught:
        REST_JSON.find_operation(GUARDDUTY, HttpRequest("GET", "/no/such/thing"))
    response = REST_JSON.serialize_error(GUARDDUTY, None, caught.value, "r")
    assert response.status == 404
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    parsed = botocore_parse("rest-json", response, None)
    assert parsed["Error"]["Code"] == "UnknownOperationException"


def test_rest_json_malformed_body_is_a_serialization_error() -> None:
    request = HttpRequest("POST", "/detector", body=b"{not json")
    operation = REST_JSON.find_operation(GUARDDUTY, request)
    with pytest.raises(SerializationError):
        REST_JSON.parse_request(operation, request)


# --- query and ec2 -----------------------------------------------------------------------------

IAM = service_model("iam")
QUERY = protocol_of(IAM)
EC2 = service_model("ec2")
EC2_PROTOCOL = protocol_of(EC2)
FORM = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]


@pytest.mark.parametrize(
    ("service", "body", "message"),
    [
        ("iam", b"Action=NoSuchThing&Version=2010-05-08", "The action NoSuchThing is not valid"),
        ("iam", b"Version=2010-05-08", "must contain the parameter Action"),
        ("ec2", b"Action=RunInstancez&Version=2016-11-15", "The action RunInstancez is not valid"),
    ],
)
def test_unknown_or_missing_action_is_invalid_action(service: str, body: bytes, message: str) -> None:
    model = service_model(service)
    protocol = protocol_of(model)
    with pytest.raises(AWSError) as caught:
        protocol.find_operation(model, HttpRequest("POST", "/", headers=Headers(FORM), body=body))
    response = protocol.serialize_error(model, None, caught.value, "req-9")
    assert response.status == 400
    parsed = botocore_parse(service if service == "ec2" else "query", response, None)
    assert parsed["Error"]["Code"] == "InvalidAction"
    assert message in parsed["Error"]["Message"]


def test_query_parameters_may_come_in_the_query_string() -> None:
    request = HttpRequest("GET", "/", "Action=GetUser&Version=2010-05-08&UserName=al%20ice")
    operation = QUERY.find_operation(IAM, request)
    assert operation.name == "GetUser"
    assert QUERY.parse_request(operation, request) == {"UserName": "al ice"}


def test_query_error_uses_the_models_aws_query_error_code_and_status() -> None:
    operation = IAM.operation_model("GetUser")
    response = QUERY.serialize_error(IAM, operation, ServiceError("NoSuchEntityException", "no user"), "rq")
    assert response.status == 404
    parsed = botocore_parse("query", response, None)
    assert parsed["Error"] == {"Type": "Sender", "Code": "NoSuchEntity", "Message": "no user"}


def test_kernel_validation_errors_take_each_protocols_spelling() -> None:
    error = ValidationError("1 validation error detected")
    assert b"<Code>ValidationError</Code>" in QUERY.serialize_error(IAM, None, error, "r").body
    assert b"<Code>InvalidParameterValue</Code>" in EC2_PROTOCOL.serialize_error(EC2, None, error, "r").body
    assert b"<Code>InvalidArgument</Code>" in S3_PROTOCOL.serialize_error(S3, None, error, "r").body


def test_ec2_lists_are_numbered_without_member_segment() -> None:
    body = b"Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2&InstanceId.10=i-10"
    request = HttpRequest("POST", "/", headers=Headers(FORM), body=body)
    operation = EC2_PROTOCOL.find_operation(EC2, request)
    assert EC2_PROTOCOL.parse_request(operation, request) == {"InstanceIds": ["i-1", "i-2", "i-10"]}


def test_malformed_scalar_is_a_client_error() -> None:
    request = HttpRequest("POST", "/", headers=Headers(FORM), body=b"Action=ListUsers&MaxItems=ten")
    operation = QUERY.find_operation(IAM, request)
    with pytest.raises(SerializationError):
        QUERY.parse_request(operation, request)


# --- real boto3 clients, answered in-process through the before-send hook ------------------------


def _answer_with(handler: Any) -> Any:
    """A before-send hook that routes the client's real request through our protocol layer."""

    def before_send(request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        headers = Headers([("Host", url.netloc)])
        for name, value in request.headers.items():
            headers.add(name, value.decode() if isinstance(value, bytes) else value)
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else body.read()
        ours = HttpRequest(request.method, url.path or "/", url.query, headers, body)
        model = service_model(handler.service)
        protocol = protocol_of(model)
        operation = protocol.find_operation(model, ours)
        try:
            result = handler(operation.name, protocol.parse_request(operation, ours))
            response = protocol.serialize_response(operation, result, "req-live")
        except AWSError as error:
            response = protocol.serialize_error(model, operation, error, "req-live")
        raw = _RawBody(response.body)
        return AWSResponse(request.url, response.status, HeadersDict(response.headers.items()), raw)

    return before_send


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def stream(self, *_: Any, **__: Any) -> Any:
        yield self._body.read()

    def read(self, *args: Any) -> bytes:
        return self._body.read(*args)


class _S3Handler:
    service = "s3"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        if operation == "GetObject":
            if params["Key"] == "missing":
                raise ServiceError("NoSuchKey", "The specified key does not exist.", extra={"Key": "missing"})
            return {"Body": b"hello", "ContentLength": 5, "Metadata": {"owner": "alice"}}
        if operation == "PutObject":
            return {"ETag": '"abc"'}
        if operation == "GetBucketLocation":
            return {"LocationConstraint": "eu-west-1"}
        if operation == "ListObjectsV2":
            return {"Name": params["Bucket"], "KeyCount": 1, "Contents": [{"Key": "a b/c", "Size": 3}]}
        return {}


@pytest.mark.parametrize("addressing_style", ["path", "virtual"])
def test_real_boto3_s3_client(addressing_style: str) -> None:
    handler = _S3Handler()
    client = boto3.client(
        "s3",
        endpoint_url="http://s3.localhost.localstack.cloud:4566",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(s3={"addressing_style": addressing_style}),
    )
    client.meta.events.register("before-send", _answer_with(handler))
    put = client.put_object(Bucket="my-bucket", Key="dir/a file+.txt", Body=b"hello", Metadata={"owner": "a"})
    assert put["ETag"] == '"abc"'
    assert handler.calls[-1][1]["Key"] == "dir/a file+.txt"
    assert handler.calls[-1][1]["Bucket"] == "my-bucket"
    assert handler.calls[-1][1]["Metadata"] == {"owner": "a"}
    got = client.get_object(Bucket="my-bucket", Key="dir/a file+.txt")
    assert got["Body"].read() == b"hello"
    assert got["Metadata"] == {"owner": "alice"}
    assert client.get_bucket_location(Bucket="my-bucket")["LocationConstraint"] == "eu-west-1"
    listed = client.list_objects_v2(Bucket="my-bucket", Prefix="a ")
    assert listed["Contents"][0]["Key"] == "a b/c"
    assert handler.calls[-1][0] == "ListObjectsV2"
    assert handler.calls[-1][1]["Prefix"] == "a "
    with pytest.raises(client.exceptions.NoSuchKey) as caught:
        client.get_object(Bucket="my-bucket", Key="missing")
    assert caught.value.response["Error"]["Key"] == "missing"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_real_boto3_iam_and_ec2_clients() -> None:
    class Iam:
        service = "iam"

        def __call__(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
            raise ServiceError(
                "NoSuchEntityException", f"The user with name {params['UserName']} cannot be found."
            )

    class Ec2:
        service = "ec2"

        def __call__(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
            ids = params["InstanceIds"]
            return {"Reservations": [{"ReservationId": "r-1", "Instances": [{"InstanceId": i} for i in ids]}]}

    common = {"region_name": "us-east-1", "aws_access_key_id": "AKID", "aws_secret_access_key": "s"}
    iam = boto3.client("iam", endpoint_url="http://localhost:4566", **common)
    iam.meta.events.register("before-send", _answer_with(Iam()))
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.get_user(UserName="bob")
    assert caught.value.response["Error"]["Message"] == "The user with name bob cannot be found."
    ec2 = boto3.client("ec2", endpoint_url="http://localhost:4566", **common)
    ec2.meta.events.register("before-send", _answer_with(Ec2()))
    reservations = ec2.describe_instances(InstanceIds=["i-1", "i-2"])["Reservations"]
    assert [i["InstanceId"] for i in reservations[0]["Instances"]] == ["i-1", "i-2"]
