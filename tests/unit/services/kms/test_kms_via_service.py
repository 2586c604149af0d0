"""Calls that reach KMS through another service (`ctx.call`): kms:ViaService, AWS managed and owned keys.

Runs the real kernel and KMS in process, with the request context an internal call from SSM or S3
carries (`called_via`), because no other service is needed to show what KMS decides.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AccessDenied, ServiceError
from strongroom.aws.gateway import Gateway
from strongroom.aws.models import load_service_model
from strongroom.aws.service import RoutedService
from strongroom.core.iam.principals import root_principal
from strongroom.core.kernel import Kernel
from strongroom.migrations.runner import upgrade
from strongroom.services.kms.api import KmsApi

ACCOUNT = "700000000042"
REGION = "eu-central-1"


@pytest.fixture
def kms(tmp_path: Path) -> Iterator[tuple[KmsApi, Gateway]]:
    kernel = Kernel.open(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        dev=True,
        default_region=REGION,
    )
    upgrade(kernel.db)
    api = KmsApi(kernel)
    api.setup()
    gateway = Gateway(kernel, [RoutedService("kms", load_service_model("kms"), api)])
    yield api, gateway
    kernel.close()


def _ctx(gateway: Gateway, operation: str, called_via: tuple[str, ...] = ()) -> RequestContext:
    return RequestContext(
        kernel=gateway.kernel,
        dispatcher=gateway,
        service="kms",
        operation=operation,
        region=REGION,
        principal=root_principal(ACCOUNT),
        request_id=str(uuid.uuid4()),
        source_ip="127.0.0.1",
        user_agent="test",
        secure_transport=False,
        called_via=called_via,
    )


def _call(
    kms: tuple[KmsApi, Gateway], operation: str, params: dict[str, Any], via: tuple[str, ...] = ()
) -> Any:
    api, gateway = kms
    handler = api.handler(operation)
    assert handler is not None
    return handler(_ctx(gateway, operation, via), params)


def test_aws_managed_key_is_created_on_first_use_through_its_service(kms: tuple[KmsApi, Gateway]) -> None:
    out = _call(
        kms, "GenerateDataKey", {"KeyId": "alias/aws/ssm", "KeySpec": "AES_256"}, ("ssm.amazonaws.com",)
    )
    assert len(out["Plaintext"]) == 32
    again = _call(kms, "Decrypt", {"CiphertextBlob": out["CiphertextBlob"]}, ("ssm.amazonaws.com",))
    assert again["Plaintext"] == out["Plaintext"] and again["KeyId"] == out["KeyId"]
    meta = _call(kms, "DescribeKey", {"KeyId": "alias/aws/ssm"})["KeyMetadata"]
    assert meta["KeyManager"] == "AWS" and meta["Arn"] == out["KeyId"]


def test_the_wrong_service_or_no_service_is_denied(kms: tuple[KmsApi, Gateway]) -> None:
    _call(kms, "Encrypt", {"KeyId": "alias/aws/ssm", "Plaintext": b"x"}, ("ssm.amazonaws.com",))
    for via in ((), ("secretsmanager.amazonaws.com",)):
        with pytest.raises(AccessDenied) as err:
            _call(kms, "Encrypt", {"KeyId": "alias/aws/ssm", "Plaintext": b"x"}, via)
        assert "kms:Encrypt" in err.value.message


def test_via_service_condition_in_a_customer_key_policy(kms: tuple[KmsApi, Gateway]) -> None:
    root = f"arn:aws:iam::{ACCOUNT}:root"
    policy = (
        '{"Version":"2012-10-17","Statement":['
        f'{{"Effect":"Allow","Principal":{{"AWS":"{root}"}},"Action":"kms:*","Resource":"*",'
        '"Condition":{"StringNotLike":{"kms:ViaService":"*"}}},'
        f'{{"Effect":"Allow","Principal":{{"AWS":"{root}"}},"Action":"kms:Decrypt","Resource":"*",'
        f'"Condition":{{"StringEquals":{{"kms:ViaService":"secretsmanager.{REGION}.amazonaws.com"}}}}}}]}}'
    )
    key = _call(kms, "CreateKey", {"Policy": policy})["KeyMetadata"]
    blob = _call(kms, "Encrypt", {"KeyId": key["KeyId"], "Plaintext": b"x"})["CiphertextBlob"]
    assert (
        _call(kms, "Decrypt", {"CiphertextBlob": blob}, ("secretsmanager.amazonaws.com",))["Plaintext"]
        == b"x"
    )
    with pytest.raises(AccessDenied):
        _call(kms, "Encrypt", {"KeyId": key["KeyId"], "Plaintext": b"x"}, ("secretsmanager.amazonaws.com",))
    with pytest.raises(AccessDenied):
        _call(kms, "Decrypt", {"CiphertextBlob": blob}, ("ssm.amazonaws.com",))


def test_aws_owned_keys_serve_only_their_service_and_stay_hidden(kms: tuple[KmsApi, Gateway]) -> None:
    via_s3 = ("s3.amazonaws.com",)
    out = _call(kms, "GenerateDataKey", {"KeyId": "alias/aws-owned/s3", "KeySpec": "AES_256"}, via_s3)
    assert (
        _call(kms, "Decrypt", {"CiphertextBlob": out["CiphertextBlob"]}, via_s3)["Plaintext"]
        == out["Plaintext"]
    )
    again = _call(kms, "GenerateDataKey", {"KeyId": "alias/aws-owned/s3", "KeySpec": "AES_256"}, via_s3)
    assert again["KeyId"] == out["KeyId"]
    with pytest.raises(ServiceError) as err:
        _call(
            kms,
            "GenerateDataKey",
            {"KeyId": "alias/aws-owned/s3", "KeySpec": "AES_256"},
            ("ssm.amazonaws.com",),
        )
    assert err.value.code == "NotFoundException"
    with pytest.raises(ServiceError) as err:
        _call(kms, "DescribeKey", {"KeyId": out["KeyId"]})
    assert err.value.code == "NotFoundException"
    with pytest.raises(ServiceError):
        _call(kms, "Decrypt", {"CiphertextBlob": out["CiphertextBlob"]})
    listed = {k["KeyId"] for k in _call(kms, "ListKeys", {})["Keys"]}
    assert out["KeyId"].rsplit("/", 1)[1] not in listed


def test_grant_is_for_aws_resource_only_through_a_service(kms: tuple[KmsApi, Gateway]) -> None:
    root = f"arn:aws:iam::{ACCOUNT}:root"
    policy = (
        '{"Version":"2012-10-17","Statement":['
        f'{{"Effect":"Allow","Principal":{{"AWS":"{root}"}},"NotAction":"kms:CreateGrant","Resource":"*"}},'
        f'{{"Effect":"Allow","Principal":{{"AWS":"{root}"}},"Action":"kms:CreateGrant","Resource":"*",'
        '"Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}]}'
    )
    key = _call(kms, "CreateKey", {"Policy": policy, "BypassPolicyLockoutSafetyCheck": True})["KeyMetadata"]
    grant = {
        "KeyId": key["KeyId"],
        "GranteePrincipal": f"arn:aws:iam::{ACCOUNT}:role/app",
        "Operations": ["Decrypt"],
    }
    assert len(_call(kms, "CreateGrant", grant, ("ebs.amazonaws.com",))["GrantId"]) == 64
    with pytest.raises(AccessDenied):
        _call(kms, "CreateGrant", grant)
