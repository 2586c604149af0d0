"""Which quota and which price category a KMS request counts against."""

from __future__ import annotations

import pytest

from strongroom.services.kms import request_quotas as q


@pytest.mark.parametrize(
    ("region", "rate"),
    [("us-east-1", 100_000), ("eu-west-1", 100_000), ("eu-central-1", 20_000), ("sa-east-1", 10_000)],
)
def test_symmetric_quota_depends_on_the_region(region: str, rate: float) -> None:
    assert q.default_rate(q.SYMMETRIC, region) == rate


@pytest.mark.parametrize(
    ("operation", "spec", "quota"),
    [
        ("Encrypt", "SYMMETRIC_DEFAULT", q.SYMMETRIC),
        ("GenerateMac", "HMAC_384", q.SYMMETRIC),
        ("GenerateRandom", None, q.SYMMETRIC),
        ("Decrypt", "RSA_4096", q.RSA),
        ("Sign", "ECC_NIST_P256", q.ECC),
        ("Verify", "ECC_NIST_EDWARDS25519", q.ECC),
        ("Sign", "ML_DSA_65", q.POST_QUANTUM),
        ("GetPublicKey", "RSA_2048", "kms:GetPublicKey"),
        ("CreateKey", None, "kms:CreateKey"),
    ],
)
def test_quota_names(operation: str, spec: str | None, quota: str) -> None:
    assert q.quota_name(operation, spec) == quota
    assert q.default_rate(quota, "us-east-1") is not None


def test_management_rates_are_aws_defaults() -> None:
    assert q.default_rate("kms:CreateKey", "us-east-1") == 5
    assert q.default_rate("kms:DescribeKey", "us-east-1") == 2000
    assert q.default_rate(q.RSA, "us-east-1") == 500 and q.default_rate(q.ECC, "us-east-1") == 300
    assert q.default_rate("s3:PutObject", "us-east-1") is None


@pytest.mark.parametrize(
    ("operation", "spec", "extra", "category"),
    [
        ("Encrypt", "SYMMETRIC_DEFAULT", {}, "symmetric"),
        ("ListKeys", None, {}, "symmetric"),
        ("Sign", "RSA_2048", {}, "rsa_2048"),
        ("Sign", "RSA_3072", {}, "asymmetric"),
        ("GetPublicKey", "ECC_NIST_P384", {}, "asymmetric"),
        ("GenerateDataKeyPair", "SYMMETRIC_DEFAULT", {"key_pair_spec": "RSA_4096"}, "rsa_data_key_pair"),
        (
            "GenerateDataKeyPairWithoutPlaintext",
            "SYMMETRIC_DEFAULT",
            {"key_pair_spec": "ECC_NIST_P256"},
            "ecc_data_key_pair",
        ),
        ("Decrypt", "SYMMETRIC_DEFAULT", {"aws_owned": True}, None),
    ],
)
def test_price_categories(
    operation: str, spec: str | None, extra: dict[str, object], category: str | None
) -> None:
    assert q.price_category(operation, spec, **extra) == category  # type: ignore[arg-type]
