"""Every S3 operation through botocore's rest-xml serializer and parser and ours, path-style and
virtual-hosted."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

pytest.register_assert_rewrite("roundtrip_support")

from roundtrip_support import (  # noqa: E402
    botocore_request,
    check_errors,
    check_request,
    check_response,
    normalize,
    operations,
    protocol_of,
    service_model,
)
from shape_examples import example_input, example_output  # noqa: E402

from strongroom.aws.http import Headers, HttpRequest  # noqa: E402
from strongroom.aws.protocols import xml  # noqa: E402

NAMES = operations("s3")
PATH_STYLE = "http://s3.localhost.localstack.cloud:4566"
# Outputs botocore reads through a handler or as an event stream, checked separately below.
SPECIAL_OUTPUTS = {"GetBucketLocation", "SelectObjectContent"}
# Deprecated operations sharing their successor's method, path and query: the wire cannot tell
# them apart, so routing answers with the successor (whose input is a superset).
WIRE_TWINS = {
    "GetBucketLifecycle": "GetBucketLifecycleConfiguration",
    "PutBucketLifecycle": "PutBucketLifecycleConfiguration",
    "GetBucketNotification": "GetBucketNotificationConfiguration",
    "PutBucketNotification": "PutBucketNotificationConfiguration",
}

# Deprecated shapes whose `Event` and flattened `Events` members share one element name: no XML
# can carry both apart, on the wire of AWS itself. Only routing and errors are checked for them.
SELF_AMBIGUOUS = {"GetBucketNotification", "PutBucketNotification"}


@pytest.mark.parametrize("operation", NAMES, ids=[f"s3.{name}" for name in NAMES])
def test_roundtrip(operation: str) -> None:
    exact = operation not in SELF_AMBIGUOUS
    check_request("s3", operation, PATH_STYLE, routed_as=WIRE_TWINS.get(operation), compare_values=exact)
    if exact and operation not in SPECIAL_OUTPUTS:
        check_response("s3", operation)
    check_errors("s3", operation, head_has_no_body=True)


def test_get_bucket_location_answers_with_a_bare_location_constraint() -> None:
    model = service_model("s3")
    operation = model.operation_model("GetBucketLocation")
    response = protocol_of(model).serialize_response(operation, {"LocationConstraint": "eu-west-1"}, "r1")
    root = xml.parse_xml(response.body)
    # botocore's parse_get_bucket_location handler reads exactly this: the root's text.
    assert xml.local_name(root.tag) == "LocationConstraint"
    assert root.text == "eu-west-1"


def test_event_stream_output_is_not_written_as_xml() -> None:
    model = service_model("s3")
    operation = model.operation_model("SelectObjectContent")
    response = protocol_of(model).serialize_response(operation, example_output(operation), "r1")
    assert response.status == 200
    assert not response.body.startswith(b"<?xml")


def _virtual_hosted(request: HttpRequest, host_suffix: str) -> HttpRequest:
    """The same request as boto3 sends it with `addressing_style="virtual"`."""
    _, bucket, *rest = request.raw_path.split("/", 2)
    headers = Headers([(k, v) for k, v in request.headers.items() if k.lower() != "host"])
    headers["Host"] = f"{unquote(bucket)}.{host_suffix}"
    path = "/" + rest[0] if rest else "/"
    return HttpRequest(request.method, path, request.query_string, headers, request.body)


BUCKET_OPERATIONS = [
    name
    for name in NAMES
    if "{Bucket}" in service_model("s3").operation_model(name).http["requestUri"]
    and name not in SELF_AMBIGUOUS
]


@pytest.mark.parametrize("operation", BUCKET_OPERATIONS, ids=[f"s3-virtual.{n}" for n in BUCKET_OPERATIONS])
def test_virtual_host_roundtrip(operation: str) -> None:
    model = service_model("s3")
    op = model.operation_model(operation)
    protocol = protocol_of(model)
    params = example_input(op, seed=3)
    path_style = botocore_request(op, params, PATH_STYLE)
    request = _virtual_hosted(path_style, "s3.localhost.localstack.cloud:4566")
    assert protocol.find_operation(model, request).name == WIRE_TWINS.get(operation, operation)
    parsed = protocol.parse_request(op, request)
    assert normalize(op.input_shape, parsed, drop_empty=True) == normalize(
        op.input_shape, params, drop_empty=True
    )
