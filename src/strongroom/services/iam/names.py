"""IAM names, paths and ARNs.

Names of users, roles and managed policies are unique in an account regardless of case, so rows
are keyed by the lower-cased name (`name_key`) and keep the name as it was given. Names and paths
are checked against the model's patterns by the gateway; this module builds and reads ARNs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.services.iam.errors import invalid_input

AWS_MANAGED_ACCOUNT = "aws"
DEFAULT_PATH = "/"

_POLICY_ARN = re.compile(r"arn:aws:iam::(\d{12}|aws):policy((?:/[^/]+)*/)([\w+=,.@-]+)")


def name_key(name: str) -> str:
    return name.lower()


def user_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def role_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def policy_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def type_root_arn(account_id: str, kind: str) -> str:
    """What IAM authorizes a listing against, e.g. `arn:aws:iam::123456789012:user/`."""
    return f"arn:aws:iam::{account_id}:{kind}/"


@dataclass(frozen=True)
class PolicyArn:
    account_id: str
    path: str
    name: str

    @property
    def aws_managed(self) -> bool:
        return self.account_id == AWS_MANAGED_ACCOUNT


def parse_policy_arn(arn: str) -> PolicyArn:
    match = _POLICY_ARN.fullmatch(arn)
    if match is None:
        raise invalid_input(f"ARN {arn} is not valid.")
    return PolicyArn(match.group(1), match.group(2), match.group(3))


def under_prefix(path: str, prefix: str | None) -> bool:
    return prefix is None or path.startswith(prefix)
