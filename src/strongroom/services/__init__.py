"""One package per AWS service. `SERVICE_APIS` names the API class of each routed service."""

from __future__ import annotations

import importlib

from strongroom.aws.service import ServiceApi

SERVICE_APIS: dict[str, str] = {
    "iam": "strongroom.services.iam.api:IamApi",
    "sts": "strongroom.services.sts.api:StsApi",
    "cloudtrail": "strongroom.services.cloudtrail.api:CloudTrailApi",
    "acm": "strongroom.services.acm.api:AcmApi",
    "kms": "strongroom.services.kms.api:KmsApi",
    "events": "strongroom.services.events.api:EventsApi",
    "ssm": "strongroom.services.ssm.api:SsmApi",
    "secretsmanager": "strongroom.services.secretsmanager.api:SecretsManagerApi",
    "s3": "strongroom.services.s3.api:S3Api",
}


def load_api(name: str) -> type[ServiceApi]:
    module_name, _, class_name = SERVICE_APIS[name].partition(":")
    cls: type[ServiceApi] = getattr(importlib.import_module(module_name), class_name)
    return cls
