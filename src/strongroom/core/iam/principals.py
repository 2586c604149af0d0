"""Who is calling: the principal behind a verified access key, as the policy engine sees it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: an account root, an IAM user, or a role session.

    `type` uses CloudTrail's userIdentity types: "Root", "IAMUser", "AssumedRole", "AWSService".
    """

    account_id: str
    type: str
    arn: str
    principal_id: str
    access_key_id: str | None = None
    user_name: str | None = None
    role_name: str | None = None
    role_id: str | None = None
    role_arn: str | None = None
    session_name: str | None = None
    session_issued_at: datetime | None = None
    session_expires_at: datetime | None = None
    session_policies: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    source_identity: str | None = None
    mfa_authenticated: bool = False
    temporary: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_root(self) -> bool:
        return self.type == "Root"

    @property
    def name(self) -> str:
        """The user name as CloudTrail records it (userName / the session name)."""
        if self.type == "Root":
            return "root"
        if self.type == "AssumedRole":
            return self.session_name or ""
        return self.user_name or ""

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)


def root_principal(account_id: str, access_key_id: str | None = None) -> Principal:
    return Principal(
        account_id=account_id,
        type="Root",
        arn=f"arn:aws:iam::{account_id}:root",
        principal_id=account_id,
        access_key_id=access_key_id,
    )


def service_principal(account_id: str, service_host: str) -> Principal:
    """A Strongroom service acting as itself (e.g. replication), like an AWS service principal."""
    return Principal(
        account_id=account_id,
        type="AWSService",
        arn=service_host,
        principal_id=service_host,
    )
