"""Key policies: the default, the AWS managed keys' own, and what PutKeyPolicy accepts.

A key policy is a resource policy the policy engine evaluates with `resource_policy_required`:
only a statement naming the account (``arn:aws:iam::ACCT:root``) lets IAM policies grant access,
which is what the default key policy does. Validation refuses what KMS refuses: malformed
documents, principals that do not exist, documents over 32 KB, and — unless bypassed — a policy
that would lock the caller out of ever changing it again.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from strongroom.aws.errors import ServiceError
from strongroom.core.iam import MalformedPolicy, Policy, parse_policy
from strongroom.core.iam.tables import accounts, iam_roles, iam_users

DEFAULT_POLICY_NAME = "default"
MAX_POLICY_BYTES = 32768
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."
INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."

# What AWS services may do with an AWS managed key on the caller's behalf.
_MANAGED_USE_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:CreateGrant",
    "kms:DescribeKey",
]


def _document(policy_id: str, statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Id": policy_id, "Statement": statements}, indent=2)


def default_key_policy(account_id: str) -> str:
    """The policy CreateKey gives a key without one: the account's IAM policies decide."""
    return _document(
        "key-default-1",
        [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    )


def aws_managed_key_policy(account_id: str, region: str, service: str, service_title: str) -> str:
    """The policy of `alias/aws/<service>`: use only through that service, metadata to the account."""
    return _document(
        f"auto-{service}-1",
        [
            {
                "Sid": f"Allow access through {service_title} for all principals in the account "
                f"that are authorized to use {service_title}",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": _MANAGED_USE_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        "kms:CallerAccount": account_id,
                    }
                },
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ],
    )


def parse_key_policy(text: str) -> Policy:
    """Parse a key policy as KMS validates it; raises MalformedPolicyDocumentException."""
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise ServiceError(
            "LimitExceededException",
            f"Policy size exceeds the maximum allowed size of {MAX_POLICY_BYTES} bytes.",
        )
    try:
        return parse_policy(text, kind="resource")
    except MalformedPolicy as exc:
        message = exc.message
        if message.startswith("Invalid principal"):
            message = INVALID_PRINCIPALS
        raise ServiceError("MalformedPolicyDocumentException", message) from None


def check_principals_exist(conn: Connection, text: str) -> None:
    """KMS refuses a policy naming an IAM user or role that does not exist (in a local account)."""
    for arn in _named_principal_arns(text):
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam":
            continue
        kind = parts[5].split("/", 1)[0]
        table = {"user": iam_users, "role": iam_roles}.get(kind)
        if table is None:
            continue
        found = conn.execute(select(func.count()).select_from(table).where(table.c.arn == arn)).scalar()
        if not found and _account_is_local(conn, parts[4]):
            raise ServiceError("MalformedPolicyDocumentException", INVALID_PRINCIPALS)


def _account_is_local(conn: Connection, account: str) -> bool:
    count = conn.execute(select(func.count()).select_from(accounts).where(accounts.c.account_id == account))
    return bool(count.scalar())


def _named_principal_arns(text: str) -> list[str]:
    try:
        document = json.loads(text)
    except ValueError:
        return []
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    arns: list[str] = []
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element)
            if isinstance(principal, dict):
                values = principal.get("AWS", [])
                arns += [v for v in (values if isinstance(values, list) else [values]) if isinstance(v, str)]
    return [arn for arn in arns if arn.startswith("arn:")]
