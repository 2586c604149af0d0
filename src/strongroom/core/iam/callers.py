"""Who is calling, as a chain of identities a Principal element can name.

An IAM user is its account and its user ARN; a role session is its account, its role and its
session ARN; the root user is its account. A Principal naming any link of the chain matches
(how strongly is a `PrincipalMatch`); a NotPrincipal excludes the caller only when it names
every link, as AWS checks the account, then the role, then the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CallerKind(Enum):
    ROOT = "root"
    USER = "user"
    ROLE = "role"
    ROLE_SESSION = "role-session"
    FEDERATED_USER = "federated-user"
    SERVICE = "service"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller's identity chain, derived once from the request."""

    kind: CallerKind
    account: str
    arn: str
    role_name: str | None = None
    role_arn: str | None = None
    session_arn: str | None = None
    service: str | None = None

    @property
    def is_iam_principal(self) -> bool:
        return self.kind in (CallerKind.USER, CallerKind.ROLE, CallerKind.ROLE_SESSION)


def caller_from(
    principal_arn: str,
    account: str,
    *,
    is_root: bool = False,
    service: str | None = None,
    session_arn: str | None = None,
) -> Caller:
    """Read the identity chain out of a principal ARN.

    ``session_arn`` names the assumed-role session when ``principal_arn`` is the role's own ARN.
    """
    if service is not None:
        return Caller(CallerKind.SERVICE, account, principal_arn, service=service.lower())
    parts = principal_arn.split(":", 5)
    if is_root or (len(parts) == 6 and parts[2] == "iam" and parts[5] == "root"):
        return Caller(CallerKind.ROOT, account, principal_arn)
    if len(parts) != 6:
        return Caller(CallerKind.OTHER, account, principal_arn)
    partition, service_name, resource = parts[1], parts[2], parts[5]
    if service_name == "iam" and resource.startswith("user/"):
        return Caller(CallerKind.USER, account, principal_arn)
    if service_name == "iam" and resource.startswith("role/"):
        name = resource.rsplit("/", 1)[1]
        kind = CallerKind.ROLE_SESSION if session_arn else CallerKind.ROLE
        return Caller(kind, account, principal_arn, name, principal_arn, session_arn)
    if service_name == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        if len(pieces) >= 3:
            name = pieces[1]
            role_arn = f"arn:{partition}:iam::{parts[4]}:role/{name}"
            return Caller(CallerKind.ROLE_SESSION, account, principal_arn, name, role_arn, principal_arn)
    if service_name == "sts" and resource.startswith("federated-user/"):
        return Caller(CallerKind.FEDERATED_USER, account, principal_arn)
    return Caller(CallerKind.OTHER, account, principal_arn)
