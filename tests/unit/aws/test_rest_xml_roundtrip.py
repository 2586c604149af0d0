"""Every S3 operation through botocore's rest-xml serializer and parser and ours, path-style and
virtual-hosted."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("roundtrip_support")

from roundtrip_support import (  # noqa: E402
    check_errors,
    check_request,
    check_response,
    operations,
    protocol_of,
    service_model,
)
from shape_examples import example_output  # noqa: E402

from strongroom.aws.protocols import xml  # noqa: E402

NAMES = operations("s3")
PATH_STYLE = "http://s3.localhost.localstack.cloud:4566"
# Outputs botocore reads through a handler or as an event stream, checked separately below.
SPECIAL_OUTPUTS = {"GetBucketLocation", "SelectObjectContent"}


@pytest.mark.parametrize("operation", NAMES, ids=[f"s3.{name}" for name in NAMES])
def test_roundtrip(operation: str) -> None:
    check_request("s3", operation, PATH_STYLE)
    if operation not in SPECIAL_OUTPUTS:
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
