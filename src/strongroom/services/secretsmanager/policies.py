"""Resource policies on secrets: the grammar check, and what counts as public (broad) access.

A policy is public when an Allow statement names every principal (``"*"``, ``{"AWS": "*"}`` or
a NotPrincipal) without a condition that pins the caller to known accounts, an organization or
a network: that is what BlockPublicPolicy refuses and what ValidateResourcePolicy reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.core.iam.document import Policy, Statement, parse_policy
from strongroom.core.iam.policy_errors import MalformedPolicy
from strongroom.services.secretsmanager.errors import malformed_policy

MAX_POLICY_SIZE = 20480
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
