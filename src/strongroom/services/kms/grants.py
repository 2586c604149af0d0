"""Grants: standing permissions on one key for one grantee, narrowed by encryption context.

A grant allows its operations to its grantee principal — the exact principal ARN, a session of
the role it names, or the root of the account it names — when the request's encryption context
satisfies its constraints (EncryptionContextEquals: exactly these pairs; EncryptionContextSubset:
at least these pairs). Strongroom's grants are consistent at once; a grant token is still
checked for form, as AWS does, and names its grant.

Grant tokens: ``base64url(0x01 || len || account/region/key id/grant id, '|'-joined)``.
They carry no secret: a token lets nobody do more than the grant it names.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select

from strongroom.aws.errors import ServiceError
from strongroom.core.iam.principals import Principal
from strongroom.services.kms.keys import Key
from strongroom.services.kms.tables import kms_grants

TOKEN_VERSION = 1
MAX_GRANTS_PER_PRINCIPAL_PER_KEY = 500
MAX_GRANTS_PER_KEY = 50_000
# Operations that take an encryption context, to which EncryptionContext* constraints apply.
CONTEXT_OPERATIONS = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    }
)


@dataclass(frozen=True)
class Grant:
    account_id: str
    region: str
    key_id: str
    grant_id: str
    name: str | None
    grantee_principal: str
    retiring_principal: str | None
    issuing_account: str
    operations: tuple[str, ...]
    constraints: dict[str, Any] | None
    created_at: datetime
    grant_token: str

    @classmethod
    def from_row(cls, row: Row[Any]) -> Grant:
        return cls(
            account_id=row.account_id,
            region=row.region,
            key_id=row.key_id,
            grant_id=row.grant_id,
            name=row.name,
            grantee_principal=row.grantee_principal,
            retiring_principal=row.retiring_principal,
            issuing_account=row.issuing_account,
            operations=tuple(json.loads(row.operations)),
            constraints=json.loads(row.constraints) if row.constraints else None,
            created_at=row.created_at,
            grant_token=row.grant_token,
        )

    def listing(self, key: Key) -> dict[str, Any]:
        """GrantListEntry."""
        entry: dict[str, Any] = {
            "KeyId": key.arn,
            "GrantId": self.grant_id,
            "CreationDate": self.created_at,
            "GranteePrincipal": self.grantee_principal,
            "IssuingAccount": self.issuing_account,
            "Operations": list(self.operations),
        }
        if self.name:
            entry["Name"] = self.name
        if self.retiring_principal:
            entry["RetiringPrincipal"] = self.retiring_principal
        if self.constraints:
            entry["Constraints"] = self.constraints
        return entry

    def allows(self, operation: str, context: Mapping[str, str] | None) -> bool:
        if operation not in self.operations:
            return False
        if not self.constraints or operation not in CONTEXT_OPERATIONS:
            return True
        return constraints_hold(self.constraints, context or {})


def constraints_hold(constraints: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    equals = constraints.get("EncryptionContextEquals")
    if equals is not None and dict(context) != dict(equals):
        return False
    subset = constraints.get("EncryptionContextSubset")
    return subset is None or all(context.get(k) == v for k, v in subset.items())


def names_caller(grantee: str, principal: Principal) -> bool:
    """Whether a grantee or retiring principal ARN names this caller."""
    if grantee == principal.arn:
        return True
    if principal.role_arn is not None and grantee == principal.role_arn:
        return True
    return principal.is_root and grantee in (
        f"arn:aws:iam::{principal.account_id}:root",
        principal.account_id,
    )


# -- tokens ------------------------------------------------------------------------------------


def make_token(account_id: str, region: str, key_id: str, grant_id: str) -> str:
    body = "|".join((account_id, region, key_id, grant_id)).encode("ascii")
    raw = bytes([TOKEN_VERSION, len(body)]) + body + os.urandom(16)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_token(token: str) -> tuple[str, str, str, str]:
    """(account, region, key id, grant id) named by a token; InvalidGrantTokenException if malformed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if len(raw) < 2 or raw[0] != TOKEN_VERSION or len(raw) < 2 + raw[1]:
            raise ValueError
        account, region, key_id, grant_id = raw[2 : 2 + raw[1]].decode("ascii").split("|")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ServiceError("InvalidGrantTokenException", "Invalid grant token") from None
    return account, region, key_id, grant_id


def check_tokens(tokens: Sequence[str] | None) -> list[tuple[str, str, str, str]]:
    if not tokens:  # nearly every request
        return []
    return [parse_token(token) for token in tokens]


# -- storage -----------------------------------------------------------------------------------


def _of_key(key: Key) -> Any:
    return (
        (kms_grants.c.account_id == key.account_id)
        & (kms_grants.c.region == key.region)
        & (kms_grants.c.key_id == key.key_id)
    )


_GRANTS_OF_KEY = (
    select(kms_grants)
    .where(
        kms_grants.c.account_id == bindparam("a"),
        kms_grants.c.region == bindparam("r"),
        kms_grants.c.key_id == bindparam("k"),
    )
    .order_by(kms_grants.c.created_at)
)


def grants_of(conn: Connection, key: Key) -> list[Grant]:
    rows = conn.execute(_GRANTS_OF_KEY, {"a": key.account_id, "r": key.region, "k": key.key_id})
    return [Grant.from_row(row) for row in rows]


def find_grant(conn: Connection, key: Key, grant_id: str) -> Grant | None:
    row = conn.execute(select(kms_grants).where(_of_key(key), kms_grants.c.grant_id == grant_id)).first()
    return Grant.from_row(row) if row is not None else None


def find_grant_anywhere(
    conn: Connection, account_id: str, region: str, key_id: str, grant_id: str
) -> Grant | None:
    row = conn.execute(
        select(kms_grants).where(
            kms_grants.c.account_id == account_id,
            kms_grants.c.region == region,
            kms_grants.c.key_id == key_id,
            kms_grants.c.grant_id == grant_id,
        )
    ).first()
    return Grant.from_row(row) if row is not None else None


def count_for_key(conn: Connection, key: Key) -> int:
    return int(conn.execute(select(func.count()).select_from(kms_grants).where(_of_key(key))).scalar() or 0)


def count_for_grantee(conn: Connection, key: Key, grantee: str) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(kms_grants)
            .where(_of_key(key), kms_grants.c.grantee_principal == grantee)
        ).scalar()
        or 0
    )


def insert_grant(conn: Connection, grant: Grant) -> None:
    conn.execute(
        insert(kms_grants).values(
            account_id=grant.account_id,
            region=grant.region,
            key_id=grant.key_id,
            grant_id=grant.grant_id,
            name=grant.name,
            grantee_principal=grant.grantee_principal,
            retiring_principal=grant.retiring_principal,
            issuing_account=grant.issuing_account,
            operations=json.dumps(list(grant.operations)),
            constraints=json.dumps(grant.constraints, sort_keys=True) if grant.constraints else None,
            created_at=grant.created_at,
            grant_token=grant.grant_token,
        )
    )


def delete_grant(conn: Connection, grant: Grant) -> None:
    conn.execute(
        delete(kms_grants).where(
            kms_grants.c.account_id == grant.account_id,
            kms_grants.c.region == grant.region,
            kms_grants.c.key_id == grant.key_id,
            kms_grants.c.grant_id == grant.grant_id,
        )
    )


def retirable_by(conn: Connection, principal_arn: str) -> list[Grant]:
    rows = conn.execute(
        select(kms_grants)
        .where(kms_grants.c.retiring_principal == principal_arn)
        .order_by(kms_grants.c.created_at)
    )
    return [Grant.from_row(row) for row in rows]


def allowing_grant(
    grants: Iterable[Grant],
    principal: Principal,
    operation: str,
    context: Mapping[str, str] | None,
    new_grant: tuple[Sequence[str], Mapping[str, Any] | None] | None = None,
) -> Grant | None:
    """The first grant that lets this caller do `operation` with this encryption context.

    For CreateGrant, `new_grant` is the (operations, constraints) asked for: a grant can pass on
    only operations it holds, under constraints at least as strict as its own.
    """
    for grant in grants:
        if not (names_caller(grant.grantee_principal, principal) and grant.allows(operation, context)):
            continue
        if new_grant is not None and not _may_pass_on(grant, *new_grant):
            continue
        return grant
    return None


def _may_pass_on(grant: Grant, operations: Sequence[str], constraints: Mapping[str, Any] | None) -> bool:
    if not set(operations) <= set(grant.operations):
        return False
    if not grant.constraints:
        return True
    if not constraints:
        return False
    mine_equals, mine_subset = (
        grant.constraints.get("EncryptionContextEquals"),
        grant.constraints.get("EncryptionContextSubset"),
    )
    theirs_equals, theirs_subset = (
        constraints.get("EncryptionContextEquals"),
        constraints.get("EncryptionContextSubset"),
    )
    if mine_equals is not None:
        return theirs_equals is not None and dict(theirs_equals) == dict(mine_equals)
    required = dict(mine_subset or {})
    given = dict(theirs_equals if theirs_equals is not None else theirs_subset or {})
    return all(given.get(k) == v for k, v in required.items())
