"""botocore's service models: the single source of truth for every shape and operation."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import botocore.loaders
from botocore.model import ServiceModel

ROUTED_MODELS = (
    "kms", "secretsmanager", "ssm", "acm", "sts", "iam", "cloudtrail", "events", "s3", "ec2",
    "organizations", "wafv2", "shield", "fms", "guardduty", "inspector2", "macie2",
)  # fmt: skip


@lru_cache(maxsize=1)
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@lru_cache(maxsize=64)
def load_service_model(name: str) -> ServiceModel:
    return ServiceModel(load_model_dict(name), service_name=name)


def load_model_dict(name: str) -> dict[str, Any]:
    data: dict[str, Any] = _loader().load_service_model(name, "service-2")
    return data
