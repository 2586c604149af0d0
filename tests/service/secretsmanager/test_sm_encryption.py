"""Values are encrypted under KMS: the caller's KMS permissions apply, a disabled key locks the
secret, and nothing readable is left in the data directory."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.conftest import ClientFactory
from tests.service.secretsmanager.conftest import UserClients, code_of, error_of, message_of, policy
from tests.support.at_rest import places_holding
from tests.support.server import ServerProcess

SM_READ = {
    "Effect": "Allow",
    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
    "Resource": "*",
}


def key_policy(account: str, *statements: dict[str, Any]) -> str:
    root = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    return policy(root, *statements)


def test_default_key_is_aws_managed(sm: Any, kms: Any, name: str, user_clients: UserClients) -> None:
    sm.create_secret(Name=name, SecretString="default-key")
    alias = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert alias["KeyManager"] == "AWS"
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert versions[0]["KmsKeyIds"] == [alias["Arn"]]
    # Everyone in the account may use aws/secretsmanager through Secrets Manager.
    user = user_clients(policy(SM_READ))
    assert user["sm"].get_secret_value(SecretId=name)["SecretString"] == "default-key"


def test_customer_key_needs_kms_decrypt(sm: Any, kms: Any, name: str, user_clients: UserClients) -> None:
    key = kms.create_key(Description="secrets")["KeyMetadata"]
    created = sm.create_secret(Name=name, SecretString="customer-key", KmsKeyId=key["Arn"])
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key["Arn"]
    assert sm.list_secret_version_ids(SecretId=name)["Versions"][0]["KmsKeyIds"] == [key["Arn"]]
    user = user_clients(policy(SM_READ))
    error = error_of(user["sm"].get_secret_value, SecretId=name)
    assert code_of(error) == "AccessDeniedException"
    assert message_of(error) == "Access to KMS is not allowed"

    # kms:Decrypt only when Secrets Manager asks, for this secret: kms:ViaService and the context.
    scoped = user_clients(
        policy(
            SM_READ,
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key["Arn"],
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
                        "kms:EncryptionContext:SecretARN": created["ARN"],
                    }
                },
            },
        )
    )
    assert scoped["sm"].get_secret_value(SecretId=name)["SecretString"] == "customer-key"
    scoped["sm"].put_secret_value(SecretId=name, SecretString="written-by-user")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "written-by-user"
    # The same permission does not let the user call KMS directly.
    blob = kms.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"SecretARN": created["ARN"]})
    direct = error_of(
        scoped["kms"].decrypt,
        CiphertextBlob=blob["CiphertextBlob"],
        EncryptionContext={"SecretARN": created["ARN"]},
    )
    assert code_of(direct) == "AccessDeniedException"


def test_disabled_key_locks_the_secret(sm: Any, kms: Any, name: str) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name=name, SecretString="locked", KmsKeyId=key_id)
    kms.disable_key(KeyId=key_id)
    assert code_of(error_of(sm.get_secret_value, SecretId=name)) == "DecryptionFailure"
    assert code_of(error_of(sm.put_secret_value, SecretId=name, SecretString="x")) == "EncryptionFailure"
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "locked"


def test_wrong_kms_key(sm: Any, name: str) -> None:
    error = error_of(sm.create_secret, Name=name, SecretString="x", KmsKeyId="alias/does-not-exist")
    assert code_of(error) == "EncryptionFailure"
    assert (
        code_of(error_of(sm.describe_secret, SecretId=name)) == "ResourceNotFoundException"
    )  # nothing created


def test_update_kms_key_reencrypts(sm: Any, kms: Any, name: str) -> None:
    first = kms.create_key()["KeyMetadata"]
    second = kms.create_key()["KeyMetadata"]
    sm.create_secret(Name=name, SecretString="move-me", KmsKeyId=first["Arn"])
    sm.update_secret(SecretId=name, KmsKeyId=second["Arn"])
    kms.disable_key(KeyId=first["KeyId"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "move-me"
    assert sm.list_secret_version_ids(SecretId=name)["Versions"][0]["KmsKeyIds"] == [second["Arn"]]


def test_cross_account_needs_resource_and_key_policy(
    sm: Any, kms: Any, make_client: ClientFactory, account_id: str, other_account_id: str, name: str
) -> None:
    other = make_client("secretsmanager", access_key=other_account_id)
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{other_account_id}:root"},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    key = kms.create_key(Policy=key_policy(account_id, grant))["KeyMetadata"]
    arn = sm.create_secret(Name=name, SecretString="shared", KmsKeyId=key["Arn"])["ARN"]
    assert code_of(error_of(other.get_secret_value, SecretId=arn)) == "AccessDeniedException"
    sm.put_resource_policy(
        SecretId=name,
        ResourcePolicy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": other_account_id},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ),
    )
    assert other.get_secret_value(SecretId=arn)["SecretString"] == "shared"
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=key_policy(account_id))
    error = error_of(other.get_secret_value, SecretId=arn)
    assert code_of(error) == "AccessDeniedException" and message_of(error) == "Access to KMS is not allowed"


def test_cross_account_cannot_use_aws_managed_key(
    sm: Any, make_client: ClientFactory, other_account_id: str, name: str
) -> None:
    other = make_client("secretsmanager", access_key=other_account_id)
    arn = sm.create_secret(Name=name, SecretString="mine")["ARN"]
    sm.put_resource_policy(
        SecretId=name,
        ResourcePolicy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": other_account_id},
                "Action": "secretsmanager:*",
                "Resource": "*",
            }
        ),
    )
    assert other.describe_secret(SecretId=arn)["Name"] == name
    assert code_of(error_of(other.get_secret_value, SecretId=arn)) == "AccessDeniedException"


def test_no_plaintext_in_the_data_dir(sm: Any, name: str, server: ServerProcess) -> None:
    markers = [f"plaintext-marker-{uuid.uuid4().hex}" for _ in range(4)]
    sm.create_secret(Name=name, SecretString=markers[0])
    sm.put_secret_value(SecretId=name, SecretString=json.dumps({"password": markers[1]}))
    sm.create_secret(Name=name + "-bin", SecretBinary=markers[2].encode())
    sm.update_secret(SecretId=name, SecretString=markers[3])
    sm.get_secret_value(SecretId=name)
    sm.get_secret_value(SecretId=name + "-bin")
    assert places_holding(server, [m.encode() for m in markers]) == []
