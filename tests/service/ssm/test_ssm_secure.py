"""SecureString through KMS: the caller's key, the PARAMETER_ARN encryption context, KMS's authorization."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.service.ssm.conftest import allow, assert_error, error_of, policy


def test_default_key_encrypts_and_decrypts(ssm: Any, kms: Any, account_id: str, prefix: str) -> None:
    name = f"{prefix}/db/password"
    ssm.put_parameter(Name=name, Value="hunter2-secret", Type="SecureString")
    hidden = ssm.get_parameter(Name=name)["Parameter"]
    assert hidden["Type"] == "SecureString"
    assert hidden["Value"] != "hunter2-secret"
    blob = base64.b64decode(hidden["Value"])
    shown = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert shown["Value"] == "hunter2-secret"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/aws/ssm"
    # The AWS managed key exists now, and the blob opens only with the parameter's ARN as context.
    managed = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    with pytest.raises(ClientError) as info:
        kms.decrypt(CiphertextBlob=blob)
    assert info.value.response["Error"]["Code"] in ("InvalidCiphertextException", "AccessDeniedException")


def test_customer_key_and_context(ssm: Any, kms: Any, account_id: str, prefix: str) -> None:
    key_id = kms.create_key(Description="ssm test")["KeyMetadata"]["KeyId"]
    name = f"{prefix}/api-key"
    ssm.put_parameter(Name=name, Value="s3cr3t-value", Type="SecureString", KeyId=key_id)
    blob = base64.b64decode(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    arn = f"arn:aws:ssm:us-east-1:{account_id}:parameter{name}"
    opened = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})
    assert opened["Plaintext"] == b"s3cr3t-value"
    assert opened["KeyId"].endswith(key_id)
    assert_error(error_of(kms.decrypt, CiphertextBlob=blob), "InvalidCiphertextException")
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "s3cr3t-value"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "KeyId", "Values": [key_id]}])["Parameters"]
    assert [m["Name"] for m in meta] == [name]


def test_overwrite_keeps_the_key_and_history_decrypts(ssm: Any, kms: Any, prefix: str) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"{prefix}/rotating"
    ssm.put_parameter(Name=name, Value="first-secret", Type="SecureString", KeyId=key_id)
    ssm.put_parameter(Name=name, Value="second-secret", Overwrite=True)
    history = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [h["Value"] for h in history] == ["first-secret", "second-secret"]
    assert [h["KeyId"] for h in history] == [key_id, key_id]
    hidden = ssm.get_parameter_history(Name=name)["Parameters"]
    assert all(h["Value"] not in ("first-secret", "second-secret") for h in hidden)
    assert ssm.get_parameter(Name=f"{name}:1", WithDecryption=True)["Parameter"]["Value"] == "first-secret"


def test_wrong_or_unusable_key(ssm: Any, kms: Any, prefix: str) -> None:
    err = error_of(
        ssm.put_parameter, Name=f"{prefix}/x", Value="v", Type="SecureString", KeyId="alias/no-such-key"
    )
    assert_error(err, "InvalidKeyId")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    err = error_of(ssm.put_parameter, Name=f"{prefix}/y", Value="v", Type="SecureString", KeyId=key_id)
    assert_error(err, "InvalidKeyId")
    assert_error(error_of(ssm.get_parameter, Name=f"{prefix}/y"), "ParameterNotFound")
    signing = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
    err = error_of(ssm.put_parameter, Name=f"{prefix}/z", Value="v", Type="SecureString", KeyId=signing)
    assert_error(err, "InvalidKeyId")


def test_disabling_the_key_stops_decryption(ssm: Any, kms: Any, prefix: str) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    name = f"{prefix}/locked"
    ssm.put_parameter(Name=name, Value="locked-away", Type="SecureString", KeyId=key_id)
    kms.disable_key(KeyId=key_id)
    assert_error(error_of(ssm.get_parameter, Name=name, WithDecryption=True), "InvalidKeyId")
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] != "locked-away"
    kms.enable_key(KeyId=key_id)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "locked-away"


def test_kms_permissions_apply_to_the_caller(
    ssm: Any, kms: Any, user_client: Any, account_id: str, prefix: str
) -> None:
    key = kms.create_key()["KeyMetadata"]
    name = f"{prefix}/guarded"
    ssm.put_parameter(Name=name, Value="guarded-value", Type="SecureString", KeyId=key["KeyId"])
    param_arn = f"arn:aws:ssm:us-east-1:{account_id}:parameter{name}"

    ssm_only = user_client("ssm", policy(allow("ssm:GetParameter", param_arn)))
    assert ssm_only.get_parameter(Name=name)["Parameter"]["Value"] != "guarded-value"
    assert_error(error_of(ssm_only.get_parameter, Name=name, WithDecryption=True), "AccessDeniedException")

    with_decrypt = user_client(
        "ssm",
        policy(
            allow("ssm:GetParameter", param_arn),
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key["Arn"],
                "Condition": {"StringEquals": {"kms:EncryptionContext:PARAMETER_ARN": param_arn}},
            },
        ),
    )
    assert with_decrypt.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "guarded-value"

    other_context = user_client(
        "ssm",
        policy(
            allow("ssm:GetParameter", param_arn),
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key["Arn"],
                "Condition": {"StringEquals": {"kms:EncryptionContext:PARAMETER_ARN": param_arn + "-other"}},
            },
        ),
    )
    assert_error(
        error_of(other_context.get_parameter, Name=name, WithDecryption=True), "AccessDeniedException"
    )

    via_ssm_only = user_client(
        "kms",
        policy(
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key["Arn"],
                "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}},
            }
        ),
    )
    blob = base64.b64decode(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    err = error_of(via_ssm_only.decrypt, CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": param_arn})
    assert_error(err, "AccessDeniedException")


def test_put_needs_kms_encrypt(ssm: Any, kms: Any, user_client: Any, account_id: str, prefix: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    name = f"{prefix}/w"
    writer = user_client("ssm", policy(allow("ssm:PutParameter")))
    err = error_of(writer.put_parameter, Name=name, Value="v", Type="SecureString", KeyId=key["KeyId"])
    assert_error(err, "AccessDeniedException")
    assert_error(error_of(ssm.get_parameter, Name=name), "ParameterNotFound")
    writer2 = user_client("ssm", policy(allow("ssm:PutParameter"), allow("kms:Encrypt", key["Arn"])))
    writer2.put_parameter(Name=name, Value="v", Type="SecureString", KeyId=key["KeyId"])


def test_advanced_secure_string_uses_envelope_encryption(
    ssm: Any, kms: Any, user_client: Any, prefix: str
) -> None:
    key = kms.create_key()["KeyMetadata"]
    name = f"{prefix}/big"
    value = "S" * 6000
    put = ssm.put_parameter(Name=name, Value=value, Type="SecureString", KeyId=key["KeyId"], Tier="Advanced")
    assert put["Tier"] == "Advanced"
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == value
    # Advanced puts ask KMS for a data key: kms:Encrypt alone is not enough.
    writer = user_client("ssm", policy(allow("ssm:PutParameter"), allow("kms:Encrypt", key["Arn"])))
    err = error_of(
        writer.put_parameter,
        Name=f"{prefix}/big2",
        Value=value,
        Type="SecureString",
        KeyId=key["KeyId"],
        Tier="Advanced",
    )
    assert_error(err, "AccessDeniedException")
    writer = user_client("ssm", policy(allow("ssm:PutParameter"), allow("kms:GenerateDataKey", key["Arn"])))
    writer.put_parameter(
        Name=f"{prefix}/big2", Value=value, Type="SecureString", KeyId=key["KeyId"], Tier="Advanced"
    )


def test_get_parameters_and_by_path_decrypt(ssm: Any, prefix: str) -> None:
    ssm.put_parameter(Name=f"{prefix}/s/one", Value="secret-one", Type="SecureString")
    ssm.put_parameter(Name=f"{prefix}/s/two", Value="plain-two", Type="String")
    got = ssm.get_parameters(Names=[f"{prefix}/s/one", f"{prefix}/s/two"], WithDecryption=True)["Parameters"]
    assert sorted(p["Value"] for p in got) == ["plain-two", "secret-one"]
    listed = ssm.get_parameters_by_path(Path=f"{prefix}/s", WithDecryption=True)["Parameters"]
    assert sorted(p["Value"] for p in listed) == ["plain-two", "secret-one"]
    hidden = ssm.get_parameters_by_path(Path=f"{prefix}/s")["Parameters"]
    assert "secret-one" not in [p["Value"] for p in hidden]
