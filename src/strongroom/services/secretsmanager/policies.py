"""Resource policies on secrets: the grammar check, what counts as public (broad) access, and
the managed policy of a cross-account replica.

A policy is public when an Allow statement names every principal (``"*"``, ``{"AWS": "*"}`` or
a NotPrincipal) without a condition that pins the caller to known accounts, an organization or
a network: that is what BlockPublicPolicy refuses and what ValidateResourcePolicy reports.

A secret has at most two policies. `default` is the one its owner puts, gets and deletes.
`cross-account-replication` is the one AWS attaches to a cross-account replica when it is
created and removes when StopReplicationToReplica promotes it: it lets the primary's account
accept replication into the replica. Its owner can read it (GetResourcePolicy with that
PolicyName, ListResourcePolicies) but not change it; both apply when the replica is authorized.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from strongroom.core.iam.document import Policy, Statement, parse_policy
from strongroom.core.iam.policy_errors import MalformedPolicy
from strongroom.services.secretsmanager.errors import malformed_policy
from strongroom.services.secretsmanager.records import Secret

MAX_POLICY_SIZE = 20480
DEFAULT_POLICY = "default"
REPLICATION_POLICY = "cross-account-replication"
# Condition keys that, with a non-negated equality-style operator, keep a "*" principal narrow.
_NARROWING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOwner",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:userid",
        "aws:username",
        "kms:CallerAccount",
    )
)
_NARROWING_OPERATORS = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress"}
)


@dataclass(frozen=True)
class Finding:
    check_name: str
    message: str


def parse(text: str) -> Policy:
    if len(text) > MAX_POLICY_SIZE:
        raise malformed_policy(
            f"The resource policy exceeds the maximum size of {MAX_POLICY_SIZE} characters."
        )
    try:
        return parse_policy(text, kind="resource")
    except MalformedPolicy as error:
        raise malformed_policy(error.message) from None


def is_public(policy: Policy) -> bool:
    return any(_broad(statement) for statement in policy.statements)


def _broad(statement: Statement) -> bool:
    if not statement.allow:
        return False
    everyone = statement.not_principal or (statement.principals is not None and statement.principals.everyone)
    if not everyone:
        return False
    return not any(
        c.key.lower() in _NARROWING_KEYS
        and not c.negated
        and c.operator.removesuffix("IfExists") in _NARROWING_OPERATORS
        and not any(v == "*" for v in c.values)
        for c in statement.conditions
    )


def findings(text: str) -> list[Finding]:
    """ValidateResourcePolicy's checks: the grammar, then broad access."""
    try:
        policy = parse(text)
    except Exception as error:
        message = getattr(error, "message", str(error))
        return [Finding("MALFORMED_POLICY", str(message))]
    if is_public(policy):
        return [
            Finding(
                "BROAD_ACCESS",
                "The resource policy grants access to every principal without a condition that "
                "limits it to your accounts, organization or network.",
            )
        ]
    return []


# -- the managed policy of a cross-account replica ---------------------------------------------------


def replication_policy(replica: Secret) -> dict[str, Any] | None:
    """The managed `cross-account-replication` policy of a cross-account replica (linked or
    Detached: AWS removes it only when the replica is promoted), or None for any other secret."""
    primary_arn = replica.cross_account_primary_arn
    if primary_arn is None:
        return None
    partition, account = primary_arn.split(":")[1], primary_arn.split(":")[4]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CrossAccountReplication",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "secretsmanager:AcceptCrossAccountReplication",
                "Resource": "*",
            }
        ],
    }


def names(secret: Secret) -> list[str]:
    """The secret's policy names as ListResourcePolicies gives them: default first, then the
    others in alphabetical order."""
    found = [DEFAULT_POLICY] if secret.resource_policy is not None else []
    if secret.cross_account_primary is not None:
        found.append(REPLICATION_POLICY)
    return found


def with_replication_policy(replica: Secret) -> str | None:
    """The replica's own policy joined with its managed one: what authorizes a call on it."""
    managed = replication_policy(replica)
    if managed is None:
        return replica.resource_policy
    if replica.resource_policy is None:
        return json.dumps(managed)
    own = json.loads(replica.resource_policy)
    statements = own.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return json.dumps({**own, "Statement": [*statements, *managed["Statement"]]})
