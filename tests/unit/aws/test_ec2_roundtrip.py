"""Every EC2 operation through botocore's ec2 serializer and parser and ours."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("roundtrip_support")

from roundtrip_support import check_errors, check_request, check_response, operations  # noqa: E402

NAMES = operations("ec2")


@pytest.mark.parametrize("operation", NAMES, ids=[f"ec2.{name}" for name in NAMES])
def test_roundtrip(operation: str) -> None:
    check_request("ec2", operation, "https://ec2.us-east-1.amazonaws.com")
    check_response("ec2", operation)
    check_errors("ec2", operation)
