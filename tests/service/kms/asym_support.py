"""Shared helpers of the asymmetric/MAC/PQ KMS service tests (accounts 72000000000x)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

ASYM_ACCOUNT = "720000000001"
ASYM_OTHER_ACCOUNT = "720000000002"


def create_key(client: Any, key_spec: str, key_usage: str, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = client.create_key(KeySpec=key_spec, KeyUsage=key_usage, **extra)["KeyMetadata"]
    return metadata


def code_of(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def message_of(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"].get("Message", ""))


def status_of(err: pytest.ExceptionInfo[ClientError]) -> int:
    return int(err.value.response["ResponseMetadata"]["HTTPStatusCode"])
