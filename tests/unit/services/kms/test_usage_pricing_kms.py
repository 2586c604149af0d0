"""The KMS price file and how the free tier is shared across Regions."""

from __future__ import annotations

from decimal import Decimal

from strongroom.core.metering import request_lines
from strongroom.services.kms.usage import load_prices


def test_price_file_names_its_source_and_date() -> None:
    prices = load_prices()
    assert prices.source == "https://aws.amazon.com/kms/pricing/"
    assert prices.retrieved.count("-") == 2
    assert prices.price("key_month") == Decimal("1.00")
    assert prices.price("requests_symmetric") == Decimal("0.03")
    assert prices.prices["free_tier"]["requests"] == 20_000


def test_free_tier_is_shared_across_regions_and_excludes_asymmetric() -> None:
    lines = request_lines(
        load_prices(),
        {
            ("eu-west-1", "symmetric"): 15_000,
            ("us-east-1", "symmetric"): 15_000,
            ("us-east-1", "asymmetric"): 10_000,
        },
    )
    billed = {(line["region"], line["description"]): Decimal(line["cost_usd"]) for line in lines}
    quantities = {(line["region"], line["description"]): int(line["quantity"]) for line in lines}
    free = "Requests (symmetric and HMAC keys, management operations, GenerateRandom), free tier"
    assert quantities[("eu-west-1", free)] == 15_000 and quantities[("us-east-1", free)] == 5_000
    assert billed[
        ("us-east-1", "Requests (symmetric and HMAC keys, management operations, GenerateRandom)")
    ] == Decimal("0.030000")
    assert billed[("us-east-1", "Asymmetric requests except RSA 2048")] == Decimal("0.150000")
