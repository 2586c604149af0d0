"""Resource policies on secrets: the five operations, BlockPublicPolicy, and their effect."""

from __future__ import annotations

from typing import Any

from tests.service.secretsmanager.conftest import UserClients, code_of, error_of, policy


def test_put_get_list_delete(sm: Any, name: str, account_id: str) -> None:
    arn = sm.create_secret(Name=name, SecretString="x")["ARN"]
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    assert sm.list_resource_policies(SecretId=name)["ResourcePolicies"] == []
    document = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": account_id},
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
        }
    )
    put = sm.put_resource_policy(SecretId=name, ResourcePolicy=document)
    assert put == {
        "ARN": arn,
        "Name": name,
        "PolicyName": "default",
        "ResponseMetadata": put["ResponseMetadata"],
    }
    got = sm.get_resource_policy(SecretId=name)
    assert got["ResourcePolicy"] == document and got["PolicyName"] == "default"
    assert sm.list_resource_policies(SecretId=name)["ResourcePolicies"] == [{"PolicyName": "default"}]
    other_name = error_of(sm.put_resource_policy, SecretId=name, ResourcePolicy=document, PolicyName="extra")
    assert code_of(other_name) == "InvalidParameterException"
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)


def test_block_public_policy_and_validation(sm: Any, name: str) -> None:
    sm.create_secret(Name=name, SecretString="x")
    public = policy(
        {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    )
    error = error_of(sm.put_resource_policy, SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert code_of(error) == "PublicPolicyException"
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)  # nothing changed
    sm.put_resource_policy(SecretId=name, ResourcePolicy=public)  # allowed without the block
    validated = sm.validate_resource_policy(SecretId=name, ResourcePolicy=public)
    assert validated["PolicyValidationPassed"] is False
    assert validated["ValidationErrors"][0]["CheckName"] == "BROAD_ACCESS"
    assert sm.validate_resource_policy(
        ResourcePolicy=policy({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"})
    )["PolicyValidationPassed"]
    malformed = error_of(
        sm.put_resource_policy, SecretId=name, ResourcePolicy='{"Statement": [{"Effect": "Maybe"}]}'
    )
    assert code_of(malformed) == "MalformedPolicyDocumentException"


def test_resource_policy_grants_and_denies(sm: Any, name: str, user_clients: UserClients) -> None:
    arn = sm.create_secret(Name=name, SecretString="guarded")["ARN"]
    user = user_clients(None)
    assert code_of(error_of(user["sm"].get_secret_value, SecretId=arn)) == "AccessDeniedException"
    sm.put_resource_policy(
        SecretId=name,
        ResourcePolicy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": user["arn"]},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ),
    )
    assert user["sm"].get_secret_value(SecretId=arn)["SecretString"] == "guarded"
    sm.put_resource_policy(
        SecretId=name,
        ResourcePolicy=policy(
            {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        ),
    )
    assert (
        code_of(error_of(sm.get_secret_value, SecretId=arn)) == "AccessDeniedException"
    )  # even the root user
