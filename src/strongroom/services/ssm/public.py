"""Public parameters under `/aws/service/global-infrastructure/`: AWS's regions and services.

They belong to no account (ARN `arn:aws:ssm:<region>::parameter/aws/service/...`), are String
parameters at version 1, and are served from botocore's endpoint data (the regions of the `aws`
partition) and the services Strongroom speaks.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from botocore.loaders import Loader

PREFIX = "/aws/service/"
ROOT = "/aws/service/global-infrastructure"
PUBLISHED = datetime(2019, 4, 1, tzinfo=UTC)
SERVICE_NAMES = {
    "acm": "AWS Certificate Manager",
    "cloudtrail": "AWS CloudTrail",
    "ec2": "Amazon Elastic Compute Cloud (EC2)",
    "events": "Amazon EventBridge",
    "fms": "AWS Firewall Manager",
    "guardduty": "Amazon GuardDuty",
    "iam": "AWS Identity and Access Management (IAM)",
    "inspector2": "Amazon Inspector",
    "kms": "AWS Key Management Service",
    "macie2": "Amazon Macie",
    "s3": "Amazon Simple Storage Service (S3)",
    "secretsmanager": "AWS Secrets Manager",
    "shield": "AWS Shield",
    "ssm": "AWS Systems Manager",
    "sts": "AWS Security Token Service (STS)",
    "wafv2": "AWS WAF",
}


def is_public(name: str) -> bool:
    return name.startswith(PREFIX)


@functools.cache
def catalog() -> dict[str, str]:
    """Every public parameter Strongroom serves: name → value."""
    partition = next(p for p in Loader().load_data("endpoints")["partitions"] if p["partition"] == "aws")
    entries: dict[str, str] = {}
    for region, info in partition["regions"].items():
        base = f"{ROOT}/regions/{region}"
        entries[base] = region
        entries[f"{base}/longName"] = info.get("description", region)
        entries[f"{base}/partition"] = "aws"
        entries[f"{base}/domain"] = partition.get("dnsSuffix", "amazonaws.com")
        for service in SERVICE_NAMES:
            entries[f"{base}/services/{service}"] = service
    for service, long_name in SERVICE_NAMES.items():
        entries[f"{ROOT}/services/{service}"] = service
        entries[f"{ROOT}/services/{service}/longName"] = long_name
    return dict(sorted(entries.items()))
