"""Request-rate quotas on a server of their own: AWS's defaults turned on, lowered per account.

Token buckets refill on the real monotonic clock (quotas are rates per second), so the tests send
bursts faster than the configured rates; they never move the business clock for this.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess, boto_config

DEFAULTS = "760000000005"  # AWS's default table (CreateKey: 5 per second)
LOW_SYMMETRIC = "760000000006"  # symmetric cryptographic operations lowered to 3 per second
LOW_RSA = "760000000007"  # RSA cryptographic operations lowered to 2 per second
UNLIMITED = "760000000008"  # CreateKey switched off (0)
THROTTLED = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."


@pytest.fixture(scope="module")
def quota_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    work = tmp_path_factory.mktemp("quotas")
    quota_file = work / "quotas.json"
    quota_file.write_text(
        json.dumps(
            {
                "accounts": {
                    LOW_RSA: {"kms:CryptographicOperationsRsa": 2},
                    UNLIMITED: {"kms:CreateKey": 0},
                }
            }
        )
    )
    server = ServerProcess(
        work / "data",
        workers=1,
        extra_args=["--quota-file", str(quota_file)],
        env={
            "STRONGROOM_QUOTA_DEFAULTS": "aws",
            "STRONGROOM_QUOTAS": "",  # the file wins; an inline table is ignored when both are set
        },
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client_for(quota_server: ServerProcess) -> Callable[[str], Any]:
    def make(account: str) -> Any:
        return boto3.client(
            "kms",
            endpoint_url=quota_server.endpoint,
            region_name="us-east-1",
            aws_access_key_id=account,
            aws_secret_access_key="test",
            config=boto_config(max_pool_connections=50),
        )

    return make


def burst(call: Callable[[], Any], times: int) -> tuple[int, list[ClientError]]:
    """`times` calls at once: (admitted, throttled errors)."""
    ok, throttled, _ = timed_burst(call, times)
    return ok, throttled


def timed_burst(call: Callable[[], Any], times: int) -> tuple[int, list[ClientError], float]:
    """`times` concurrent calls: (admitted, throttled errors, seconds the burst took)."""

    def one(_: int) -> ClientError | None:
        try:
            call()
            return None
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ThrottlingException":
                raise
            return exc

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=times) as pool:
        outcomes = list(pool.map(one, range(times)))
    elapsed = time.monotonic() - started
    throttled = [o for o in outcomes if o is not None]
    return times - len(throttled), throttled, elapsed


def admissible(rate: float, seconds: float) -> float:
    """The most a token bucket of `rate`/s (one second's burst) can admit in `seconds`."""
    return rate + rate * seconds


def test_create_key_is_throttled_at_aws_default_rate(client_for: Callable[[str], Any]) -> None:
    kms = client_for(DEFAULTS)
    ok, throttled, seconds = timed_burst(lambda: kms.create_key(), 25)
    assert throttled, f"25 concurrent CreateKey calls in {seconds:.2f}s must pass the 5/s quota"
    assert 5 <= ok <= admissible(5, seconds)
    error = throttled[0].response
    assert error["Error"]["Message"] == THROTTLED
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A throttled CreateKey created nothing.
    assert len(kms.list_keys(Limit=1000)["Keys"]) == ok


def test_lowered_quota_from_the_file_applies_to_that_account_only(
    client_for: Callable[[str], Any], tmp_path: Path
) -> None:
    low = client_for(LOW_RSA)
    rsa = low.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    symmetric = low.create_key()["KeyMetadata"]["KeyId"]
    ok, throttled = burst(
        lambda: low.sign(KeyId=rsa, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256"), 12
    )
    assert throttled and ok <= 4
    # The symmetric quota is a different bucket: still open.
    ok, throttled = burst(lambda: low.encrypt(KeyId=symmetric, Plaintext=b"p"), 12)
    assert ok == 12 and not throttled
    # Another account's RSA quota is AWS's 500/s.
    other = client_for(UNLIMITED)
    other_rsa = other.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    ok, throttled = burst(
        lambda: other.sign(KeyId=other_rsa, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256"), 12
    )
    assert ok == 12


def test_a_zero_rate_switches_a_quota_off(client_for: Callable[[str], Any]) -> None:
    kms = client_for(UNLIMITED)
    ok, throttled = burst(lambda: kms.create_key(), 25)
    assert ok == 25 and not throttled


def test_inline_quotas_from_the_environment(tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("inline-quotas")
    server = ServerProcess(
        work / "data",
        workers=1,
        env={
            "STRONGROOM_QUOTAS": json.dumps(
                {"accounts": {LOW_SYMMETRIC: {"kms:CryptographicOperationsSymmetric": 3}}}
            )
        },
    )
    server.start()
    try:
        kms = server.client("kms", access_key=LOW_SYMMETRIC, max_pool_connections=50)
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        ok, throttled, seconds = timed_burst(lambda: kms.generate_data_key(KeyId=key, KeySpec="AES_256"), 12)
        assert throttled and 3 <= ok <= admissible(3, seconds)
        ok, throttled = burst(lambda: kms.generate_random(NumberOfBytes=8), 6)  # the same shared quota
        assert throttled
        # Dev mode without STRONGROOM_QUOTA_DEFAULTS: management operations are not throttled.
        ok, throttled = burst(lambda: kms.create_key(), 15)
        assert ok == 15
    finally:
        server.stop()


def test_a_malformed_quota_file_stops_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "quotas.json"
    bad.write_text(json.dumps({"quota": {"kms:CreateKey": 1}}))
    server = ServerProcess(tmp_path / "data", workers=1, extra_args=["--quota-file", str(bad)])
    with pytest.raises(RuntimeError, match="unknown quota sections"):
        server.start(timeout=30)
    server.stop()
