"""The Principal and NotPrincipal elements: their accepted forms and whom they match.

Forms: ``"*"``, or an object with ``AWS`` (``"*"``, an account id, the account root ARN, a
user, role, assumed-role session or federated-user ARN, or a unique id that AWS leaves when
the named principal is deleted), ``Service``, ``Federated`` and ``CanonicalUser``; each a
string or a list of strings. Wildcards other than a lone ``"*"`` are refused, as IAM does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from strongroom.core.iam.callers import Caller, CallerKind
from strongroom.core.iam.policy_errors import SYNTAX_ERRORS, MalformedPolicy

_ACCOUNT_ID = re.compile(r"\d{12}")
_PRINCIPAL_ARN = re.compile(r"arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)")
_UNIQUE_ID = re.compile(r"A[A-Z0-9]{15,127}")
_SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9.-]*\.[a-z0-9.-]+")
_TYPE_LABELS = {
    "AWS": "AWS",
    "Service": "SERVICE",
    "Federated": "FEDERATED",
    "CanonicalUser": "CANONICAL_USER",
}


class PrincipalMatch(IntEnum):
    """How a Principal element names the caller (a larger value grants more on its own).

    ACCOUNT delegates to the account's IAM policies; ROLE names the role of a role session and
    stays limited by permissions boundaries and session policies; DIRECT names the caller itself.
    """

    NONE = 0
    ACCOUNT = 1
    ROLE = 2
    DIRECT = 3


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """The principals one Principal or NotPrincipal element names."""

    everyone: bool = False
    accounts: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    role_arns: frozenset[str] = frozenset()
    role_names: frozenset[tuple[str, str]] = frozenset()
    sessions: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    federated: frozenset[str] = frozenset()
    canonical_users: frozenset[str] = frozenset()

    def match(self, caller: Caller) -> PrincipalMatch:
        """How strongly this element names the caller (for Principal)."""
        if self.everyone:
            return PrincipalMatch.DIRECT
        kind = caller.kind
        if kind is CallerKind.SERVICE:
            return PrincipalMatch.DIRECT if caller.service in self.services else PrincipalMatch.NONE
        if caller.arn in self.users or caller.arn in self.federated or caller.arn in self.canonical_users:
            return PrincipalMatch.DIRECT
        if caller.session_arn is not None and caller.session_arn in self.sessions:
            return PrincipalMatch.DIRECT
        if caller.role_name is not None and self._names_role(caller):
            return PrincipalMatch.ROLE
        if caller.account in self.accounts:
            return PrincipalMatch.DIRECT if kind is CallerKind.ROOT else PrincipalMatch.ACCOUNT
        return PrincipalMatch.NONE

    def excludes(self, caller: Caller) -> bool:
        """Whether a NotPrincipal element spares the caller: it must name every link of its chain."""
        if self.everyone:
            return True
        kind = caller.kind
        if kind is CallerKind.SERVICE:
            return caller.service in self.services
        if caller.account not in self.accounts:
            return False
        if kind is CallerKind.ROOT:
            return True
        if kind is CallerKind.ROLE_SESSION:
            return self._names_role(caller) and caller.session_arn in self.sessions
        if kind is CallerKind.ROLE:
            return self._names_role(caller)
        return caller.arn in self.users or caller.arn in self.federated

    def _names_role(self, caller: Caller) -> bool:
        return (
            caller.role_arn in self.role_arns or (caller.account, caller.role_name or "") in self.role_names
        )


def _invalid(type_key: str, value: object) -> MalformedPolicy:
    label = _TYPE_LABELS.get(type_key, type_key)
    return MalformedPolicy(f'Invalid principal in policy: "{label}":"{value}"')


def _strings(type_key: str, raw: object) -> list[str]:
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise _invalid(type_key, "")
    for value in values:
        if not isinstance(value, str):
            raise MalformedPolicy(SYNTAX_ERRORS, f"Principal {type_key} values must be strings")
    return values  # type: ignore[return-value]


def parse_principal(raw: object) -> PrincipalSet:
    """Parse a Principal/NotPrincipal element; raises MalformedPolicy."""
    if raw == "*":
        return PrincipalSet(everyone=True)
    if not isinstance(raw, dict) or not raw:
        raise MalformedPolicy(SYNTAX_ERRORS, 'Principal must be "*" or an object such as {"AWS": ...}')
    accounts: set[str] = set()
    users: set[str] = set()
    role_arns: set[str] = set()
    role_names: set[tuple[str, str]] = set()
    sessions: set[str] = set()
    services: set[str] = set()
    federated: set[str] = set()
    canonical: set[str] = set()
    for type_key, values in raw.items():
        if type_key == "AWS":
            for value in _strings(type_key, values):
                if value == "*":
                    return PrincipalSet(everyone=True)
                _add_aws(value, accounts, users, role_arns, role_names, sessions)
        elif type_key == "Service":
            for value in _strings(type_key, values):
                if value == "*":
                    raise _invalid(type_key, value)
                if not _SERVICE_NAME.fullmatch(value):
                    raise _invalid(type_key, value)
                services.add(value.lower())
        elif type_key == "Federated":
            for value in _strings(type_key, values):
                if not value or "*" in value:
                    raise _invalid(type_key, value)
                federated.add(value)
        elif type_key == "CanonicalUser":
            for value in _strings(type_key, values):
                if not re.fullmatch(r"[0-9a-f]{64}", value):
                    raise _invalid(type_key, value)
                canonical.add(value)
        else:
            raise MalformedPolicy(SYNTAX_ERRORS, f"unknown principal type {type_key!r}")
    return PrincipalSet(
        accounts=frozenset(accounts),
        users=frozenset(users),
        role_arns=frozenset(role_arns),
        role_names=frozenset(role_names),
        sessions=frozenset(sessions),
        services=frozenset(services),
        federated=frozenset(federated),
        canonical_users=frozenset(canonical),
    )


def _add_aws(
    value: str,
    accounts: set[str],
    users: set[str],
    role_arns: set[str],
    role_names: set[tuple[str, str]],
    sessions: set[str],
) -> None:
    if _ACCOUNT_ID.fullmatch(value):
        accounts.add(value)
        return
    if _UNIQUE_ID.fullmatch(value):
        return  # a deleted principal: matches no one, as in AWS
    match = _PRINCIPAL_ARN.fullmatch(value)
    if match is None or "*" in value or "?" in value:
        raise _invalid("AWS", value)
    service, account, resource = match.group(2), match.group(3), match.group(4)
    if service == "iam" and resource == "root":
        accounts.add(account)
    elif service == "iam" and resource.startswith("user/") and len(resource) > 5:
        users.add(value)
    elif service == "iam" and resource.startswith("role/") and len(resource) > 5:
        role_arns.add(value)
        role_names.add((account, resource.rsplit("/", 1)[1]))
    elif service == "sts" and resource.startswith("assumed-role/") and resource.count("/") >= 2:
        sessions.add(value)
    elif service == "sts" and resource.startswith("federated-user/") and len(resource) > 15:
        users.add(value)
    else:
        raise _invalid("AWS", value)
