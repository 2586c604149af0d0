"""Policy documents as IAM stores and returns them.

A document is checked by the policy engine (`parse_policy`) before it is stored, and stored as the
caller wrote it. IAM measures quotas in characters, white space outside strings not counted,
and returns documents URL-encoded (clients such as boto3 and the AWS CLI decode them back).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from strongroom.core.iam.document import parse_policy, policy_size
from strongroom.core.iam.policy_errors import MalformedPolicy, PolicyTooLarge
from strongroom.services.iam.errors import limit_exceeded, malformed_policy

PolicyKind = Literal["identity", "trust"]

USER_INLINE_QUOTA = 2048
ROLE_INLINE_QUOTA = 10240
MANAGED_POLICY_QUOTA = 6144
TRUST_POLICY_QUOTA = 2048


def check_document(text: str, kind: PolicyKind = "identity") -> None:
    """Raise MalformedPolicyDocument (400) unless the engine accepts `text` as a `kind` policy."""
    try:
        parse_policy(text, kind=kind)
    except PolicyTooLarge as exc:
        raise limit_exceeded(exc.message) from None
    except MalformedPolicy as exc:
        raise malformed_policy(exc.message) from None


def counted_size(text: str) -> int:
    """Characters that count against a quota: white space between JSON tokens does not."""
    return policy_size(text)


def check_managed_size(text: str) -> None:
    if counted_size(text) > MANAGED_POLICY_QUOTA:
        raise limit_exceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_QUOTA}")


def check_trust_size(text: str) -> None:
    if counted_size(text) > TRUST_POLICY_QUOTA:
        raise limit_exceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_QUOTA}")


def encoded(text: str) -> str:
    return quote(text, safe="*")  # IAM leaves `*` as is, like Java's URLEncoder
