"""Policy documents: parse and validate JSON into immutable, pre-compiled `Policy` objects.

What is refused follows IAM's validator; the messages are AWS's own where they are known.
IAM-stored kinds (identity, trust, session, scp) answer in IAM's wording (often just
"Syntax errors in policy."); resource-based policies answer in the wording resource services
use ("Unknown field Foo", "Missing required field Action"). `MalformedPolicy.detail` always
says precisely what is wrong.

Kinds:
    identity  user/group/role policies and permissions boundaries: no Principal, Resource required
    session   session policies passed to AssumeRole/GetFederationToken: as identity
    scp       service control policies: as identity
    trust     role trust policies: Principal required, no Resource, only sts: actions
    resource  resource-based policies (key, bucket, secret …): Principal and Resource required
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from strongroom.core.iam.conditions import (
    Condition,
    InvalidConditionValue,
    UnknownOperator,
    compile_condition,
)
from strongroom.core.iam.matching import PatternSet, pattern_set
from strongroom.core.iam.policy_errors import LEGACY_PARSING, SYNTAX_ERRORS, MalformedPolicy, PolicyTooLarge
from strongroom.core.iam.principal_element import PrincipalSet, parse_principal

PolicyKind = Literal["identity", "resource", "trust", "session", "scp"]
KINDS: frozenset[str] = frozenset({"identity", "resource", "trust", "session", "scp"})
VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_FIELDS = frozenset(
    {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
)
_TOP_FIELDS = frozenset({"Version", "Id", "Statement"})
_IAM_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[a-zA-Z0-9\-.]+")
_TRUST_ACTION = re.compile(r"(sts:.*|\*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement, with its Action/Resource/Principal lists compiled for matching."""

    sid: str | None
    allow: bool
    actions: PatternSet
    not_action: bool
    resources: PatternSet | None
    not_resource: bool
    principals: PrincipalSet | None
    not_principal: bool
    conditions: tuple[Condition, ...]

    @property
    def effect(self) -> str:
        return "Allow" if self.allow else "Deny"


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy document (Version, Id, Statement)."""

    version: str
    id: str | None
    statements: tuple[Statement, ...]
    kind: PolicyKind = "identity"


def combine_policies(policies: Iterable[Policy]) -> Policy:
    """One policy holding every statement of the given ones (e.g. the SCPs of one level)."""
    policies = tuple(policies)
    if not policies:
        raise ValueError("combine_policies needs at least one policy")
    statements = tuple(statement for policy in policies for statement in policy.statements)
    return Policy(policies[0].version, None, statements, policies[0].kind)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedPolicy(SYNTAX_ERRORS, f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise MalformedPolicy(SYNTAX_ERRORS, f"{name} is not a JSON value")


def policy_size(text: str) -> int:
    """Characters that count against IAM's size quotas: all but whitespace outside strings."""
    size = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            size += 1
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif not char.isspace():
            size += 1
            in_string = char == '"'
    return size


def parse_policy(text: str, *, kind: PolicyKind = "identity", max_size: int | None = None) -> Policy:
    """Parse and validate a policy document; raises MalformedPolicy (PolicyTooLarge for size)."""
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind {kind!r}")
    if max_size is not None and policy_size(text) > max_size:
        raise PolicyTooLarge(f"Cannot exceed quota for PolicySize: {max_size}")
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except MalformedPolicy:
        raise
    except (ValueError, TypeError, RecursionError) as exc:
        raise MalformedPolicy(SYNTAX_ERRORS, f"not valid JSON: {exc}") from None
    return _Parser(kind).policy(document)


class _Parser:
    def __init__(self, kind: PolicyKind) -> None:
        self.kind = kind
        self.iam = kind != "resource"
        self.variables = False

    # -- messages --------------------------------------------------------------------------

    def syntax(self, detail: str) -> MalformedPolicy:
        return MalformedPolicy(SYNTAX_ERRORS, detail)

    def unknown_field(self, name: str) -> MalformedPolicy:
        return MalformedPolicy(
            SYNTAX_ERRORS if self.iam else f"Unknown field {name}", f"unknown field {name!r}"
        )

    def missing(self, name: str, iam_message: str | None = None) -> MalformedPolicy:
        message = iam_message if (self.iam and iam_message) else f"Missing required field {name}"
        return MalformedPolicy(message, f"statement has no {name}")

    # -- document --------------------------------------------------------------------------

    def policy(self, document: object) -> Policy:
        if not isinstance(document, dict):
            raise self.syntax("a policy document is a JSON object")
        for name in document:
            if name not in _TOP_FIELDS:
                raise self.unknown_field(name)
        version = document.get("Version", "2008-10-17")
        if version not in VERSIONS:
            raise self.syntax(f"Version must be one of {', '.join(VERSIONS)}")
        self.variables = version == "2012-10-17"
        policy_id = document.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            raise self.syntax("Id must be a string")
        if "Statement" not in document:
            raise self.syntax("missing Statement") if self.iam else self.missing("Statement")
        raw_statements = document["Statement"]
        if isinstance(raw_statements, dict):
            raw_statements = [raw_statements]
        if not isinstance(raw_statements, list) or not raw_statements:
            raise self.syntax("Statement must be an object or a non-empty list of objects")
        for raw in raw_statements:
            self.check_shape(raw)
        for raw in raw_statements:
            if raw["Effect"] not in ("Allow", "Deny"):
                raise MalformedPolicy(
                    LEGACY_PARSING, f"Effect {raw['Effect']!r} must be spelled Allow or Deny"
                )
        self.check_sids(raw_statements)
        statements = tuple(self.statement(raw) for raw in raw_statements)
        return Policy(version, policy_id, statements, self.kind)

    def check_shape(self, raw: object) -> None:
        if not isinstance(raw, dict):
            raise self.syntax("each statement is a JSON object")
        for name in raw:
            if name not in _STATEMENT_FIELDS:
                raise self.unknown_field(name)
        for first, second in (
            ("Action", "NotAction"),
            ("Resource", "NotResource"),
            ("Principal", "NotPrincipal"),
        ):
            if first in raw and second in raw:
                raise self.syntax(f"a statement cannot hold both {first} and {second}")
        if "Effect" not in raw:
            raise self.syntax("statement has no Effect") if self.iam else self.missing("Effect")
        effect = raw["Effect"]
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            raise (
                self.syntax(f"Effect {effect!r} is neither Allow nor Deny")
                if self.iam
                else MalformedPolicy(f"Invalid effect: {effect}")
            )
        if "Sid" in raw and not isinstance(raw["Sid"], str):
            raise self.syntax("Sid must be a string")
        for name in ("Action", "NotAction", "Resource", "NotResource"):
            if name in raw:
                self.strings(raw[name], name)
        if "Condition" in raw:
            condition = raw["Condition"]
            if not isinstance(condition, dict) or not all(
                isinstance(block, dict) for block in condition.values()
            ):
                raise self.syntax("Condition must map operators to objects of keys and values")

    def check_sids(self, raw_statements: list[dict[str, Any]]) -> None:
        seen: set[str] = set()
        for raw in raw_statements:
            sid = raw.get("Sid")
            if not sid:
                continue
            if self.iam and not _IAM_SID.fullmatch(sid):
                raise MalformedPolicy(
                    "Statement IDs (SID) must be alpha-numeric. "
                    "Check that your input satisfies the regular expression [0-9A-Za-z]*",
                    f"Sid {sid!r} is not alphanumeric",
                )
            if sid in seen:
                raise MalformedPolicy(
                    "Statement IDs (SID) in a single policy must be unique.", f"Sid {sid!r} appears twice"
                )
            seen.add(sid)

    def strings(self, raw: object, name: str) -> list[str]:
        values = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(value, str) for value in values):
            raise self.syntax(f"{name} must be a string or a list of strings")
        return values  # type: ignore[return-value]

    # -- statement -------------------------------------------------------------------------

    def statement(self, raw: dict[str, Any]) -> Statement:
        allow = raw["Effect"] == "Allow"
        actions, not_action = self.actions(raw)
        resources, not_resource = self.resources(raw)
        principals, not_principal = self.principals(raw, allow)
        conditions = self.conditions(raw.get("Condition", {}))
        return Statement(
            raw.get("Sid") or None,
            allow,
            actions,
            not_action,
            resources,
            not_resource,
            principals,
            not_principal,
            conditions,
        )

    def actions(self, raw: dict[str, Any]) -> tuple[PatternSet, bool]:
        name = "Action" if "Action" in raw else "NotAction" if "NotAction" in raw else None
        if name is None:
            raise self.missing("Action", "Policy statement must contain actions.")
        values = self.strings(raw[name], name)
        if not values:
            raise self.missing("Action", "Policy statement must contain actions.")
        for action in values:
            self.check_action(action)
        return pattern_set(values, lower=True), name == "NotAction"

    def check_action(self, action: str) -> None:
        parts = action.split(":")
        if len(parts) == 1 and action != "*":
            raise MalformedPolicy(
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                f"action {action!r} has no service prefix",
            )
        if len(parts) > 2:
            raise MalformedPolicy("Actions/Condition can contain only one colon.", f"action {action!r}")
        if len(parts) == 2 and (parts[0] != "*" and not _VENDOR.fullmatch(parts[0])):
            raise MalformedPolicy(f"Vendor {parts[0]} is not valid", f"action {action!r}")
        if self.kind == "trust" and not _TRUST_ACTION.fullmatch(action):
            raise MalformedPolicy(
                "Trust Policy statement actions can only be sts:AssumeRole, "
                "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
                f"action {action!r} in a trust policy",
            )

    def resources(self, raw: dict[str, Any]) -> tuple[PatternSet | None, bool]:
        name = "Resource" if "Resource" in raw else "NotResource" if "NotResource" in raw else None
        if self.kind == "trust":
            if name is not None:
                raise MalformedPolicy(f"Has prohibited field {name}.", "a trust policy names no resource")
            return None, False
        if name is None:
            raise self.missing("Resource", "Policy statement must contain resources.")
        values = self.strings(raw[name], name)
        if not values:
            raise self.missing("Resource", "Policy statement must contain resources.")
        for resource in values:
            if resource != "*" and ":" not in resource:
                raise MalformedPolicy(f'Resource {resource} must be in ARN format or "*".')
        return pattern_set(values, variables=self.variables), name == "NotResource"

    def principals(self, raw: dict[str, Any], allow: bool) -> tuple[PrincipalSet | None, bool]:
        name = "Principal" if "Principal" in raw else "NotPrincipal" if "NotPrincipal" in raw else None
        if self.kind in ("identity", "session", "scp"):
            if name is not None:
                raise MalformedPolicy(
                    "Policy document should not specify a principal.", f"{name} in a {self.kind} policy"
                )
            return None, False
        if name is None:
            raise self.missing("Principal")
        if name == "NotPrincipal":
            if self.kind == "trust":
                raise MalformedPolicy(
                    "Has prohibited field NotPrincipal.", "a trust policy cannot use NotPrincipal"
                )
            if allow:
                raise MalformedPolicy(
                    'NotPrincipal must be used with "Effect":"Deny".',
                    "NotPrincipal with Allow is not supported",
                )
        return parse_principal(raw[name]), name == "NotPrincipal"

    def conditions(self, raw: dict[str, dict[str, Any]]) -> tuple[Condition, ...]:
        compiled: list[Condition] = []
        for operator_name, block in raw.items():
            for key, value in block.items():
                if ":" not in key:
                    raise MalformedPolicy(
                        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                        f"condition key {key!r} has no service prefix",
                    )
                values = self.condition_values(value, operator_name, key)
                try:
                    compiled.append(compile_condition(operator_name, key, values, variables=self.variables))
                except UnknownOperator:
                    raise self.syntax(f"unknown condition operator {operator_name!r}") from None
                except InvalidConditionValue as exc:
                    message = (
                        LEGACY_PARSING
                        if operator_name.removeprefix("ForAllValues:")
                        .removeprefix("ForAnyValue:")
                        .startswith("Date")
                        else SYNTAX_ERRORS
                    )
                    raise MalformedPolicy(message, f"{operator_name} {key}: {exc}") from None
        return tuple(compiled)

    def condition_values(self, raw: object, operator_name: str, key: str) -> tuple[str, ...]:
        values = raw if isinstance(raw, list) else [raw]
        texts: list[str] = []
        for value in values:
            if isinstance(value, bool):
                texts.append("true" if value else "false")
            elif isinstance(value, str):
                texts.append(value)
            elif isinstance(value, int | float):
                texts.append(str(value))
            else:
                raise self.syntax(f"{operator_name} {key}: values must be strings, numbers or booleans")
        if not texts:
            raise self.syntax(f"{operator_name} {key}: no values")
        return tuple(texts)
