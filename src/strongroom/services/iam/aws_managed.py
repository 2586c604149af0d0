"""A few AWS managed policies, with AWS's documents, attachable by ARN in every account.

They are stored in the IAM tables under the pseudo-account `aws` (so the authorizer reads them like
any other attached policy) and seeded idempotently when the service starts.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from strongroom.core.iam.tables import accounts
from strongroom.services.iam import policies
from strongroom.services.iam.aws_managed_documents import READ_ONLY_ACCESS_ACTIONS, READ_ONLY_ACCESS_VERSION
from strongroom.services.iam.names import AWS_MANAGED_ACCOUNT, policy_arn

VERSION = "2012-10-17"


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    description: str
    version_id: str
    statements: list[dict[str, Any]]
    path: str = "/"

    @property
    def arn(self) -> str:
        return policy_arn(AWS_MANAGED_ACCOUNT, self.path, self.name)

    @property
    def document(self) -> str:
        return json.dumps({"Version": VERSION, "Statement": self.statements}, indent=4)

    @property
    def policy_id(self) -> str:
        """Stable across nodes and restarts: derived from the name."""
        digest = base64.b32encode(hashlib.sha256(self.name.encode()).digest()).decode()
        return "ANPA" + digest[:17]


AWS_MANAGED_POLICIES: tuple[ManagedPolicy, ...] = (
    ManagedPolicy(
        "AdministratorAccess",
        "Provides full access to AWS services and resources.",
        "v1",
        [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    ),
    ManagedPolicy(
        "PowerUserAccess",
        "Provides full access to AWS services and resources, but does not allow management of Users and "
        "groups.",
        "v12",
        [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": [
                    "account:GetAccountInformation",
                    "account:GetGovCloudAccountInformation",
                    "account:GetPrimaryEmail",
                    "account:ListRegions",
                    "iam:CreateServiceLinkedRole",
                    "iam:DeleteServiceLinkedRole",
                    "iam:ListRoles",
                    "organizations:DescribeEffectivePolicy",
                    "organizations:DescribeOrganization",
                ],
                "Resource": "*",
            },
        ],
    ),
    ManagedPolicy(
        "IAMFullAccess",
        "Provides full access to IAM via the AWS Management Console.",
        "v2",
        [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:*",
                    "organizations:DescribeAccount",
                    "organizations:DescribeOrganization",
                    "organizations:DescribeOrganizationalUnit",
                    "organizations:DescribePolicy",
                    "organizations:ListChildren",
                    "organizations:ListParents",
                    "organizations:ListPoliciesForTarget",
                    "organizations:ListRoots",
                    "organizations:ListPolicies",
                    "organizations:ListTargetsForPolicy",
                ],
                "Resource": "*",
            }
        ],
    ),
    ManagedPolicy(
        "IAMReadOnlyAccess",
        "Provides read only access to IAM via the AWS Management Console.",
        "v4",
        [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:GenerateCredentialReport",
                    "iam:GenerateServiceLastAccessedDetails",
                    "iam:Get*",
                    "iam:List*",
                    "iam:SimulateCustomPolicy",
                    "iam:SimulatePrincipalPolicy",
                ],
                "Resource": "*",
            }
        ],
    ),
    ManagedPolicy(
        "ReadOnlyAccess",
        "Provides read-only access to AWS services and resources.",
        READ_ONLY_ACCESS_VERSION,
        [{"Effect": "Allow", "Action": list(READ_ONLY_ACCESS_ACTIONS), "Resource": "*"}],
    ),
)


def seed(conn: Connection, now: datetime) -> None:
    """Insert or refresh the AWS managed policies (safe to run on every start, on every node)."""
    if (
        conn.execute(
            select(accounts.c.account_id).where(accounts.c.account_id == AWS_MANAGED_ACCOUNT)
        ).first()
        is None
    ):
        conn.execute(insert(accounts).values(account_id=AWS_MANAGED_ACCOUNT, created_at=now))
    for policy in AWS_MANAGED_POLICIES:
        existing = policies.find(conn, policy.arn)
        if existing is not None and existing.default_version_id != policy.version_id:
            # A newer Strongroom ships a newer AWS version: replace it, attachments stay (keyed by ARN).
            policies.forget(conn, policy.arn)
            existing = None
        if existing is None:
            policies.create(
                conn,
                AWS_MANAGED_ACCOUNT,
                policy.name,
                policy.path,
                policy.description,
                policy.document,
                now,
                policy_id=policy.policy_id,
                version_id=policy.version_id,
            )
