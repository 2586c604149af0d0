"""Every STS and IAM operation through botocore's query serializer and parser and ours."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("roundtrip_support")

from roundtrip_support import check_errors, check_request, check_response, operations  # noqa: E402

CASES = [(service, name) for service in ("sts", "iam") for name in operations(service)]
IDS = [f"{service}.{name}" for service, name in CASES]


@pytest.mark.parametrize(("service", "operation"), CASES, ids=IDS)
def test_roundtrip(service: str, operation: str) -> None:
    check_request(service, operation, f"https://{service}.amazonaws.com")
    check_response(service, operation)
    check_errors(service, operation)
