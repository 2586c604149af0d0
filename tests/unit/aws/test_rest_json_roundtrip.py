"""Every GuardDuty, Inspector2 and Macie2 operation through botocore's rest-json serializer and
parser and ours."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("roundtrip_support")

from roundtrip_support import check_errors, check_request, check_response, operations  # noqa: E402

CASES = [(service, name) for service in ("guardduty", "inspector2", "macie2") for name in operations(service)]


@pytest.mark.parametrize(("service", "operation"), CASES, ids=[f"{s}.{n}" for s, n in CASES])
def test_roundtrip(service: str, operation: str) -> None:
    check_request(service, operation, f"https://{service}.us-east-1.amazonaws.com")
    check_response(service, operation)
    check_errors(service, operation)
