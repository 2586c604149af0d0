"""Parameter policies (Advanced tier): what PutParameter accepts and when each one acts.

    [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2030-01-01T00:00:00Z"}},
     {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "15", "Unit": "Days"}},
     {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "20", "Unit": "Hours"}}]

Expiration deletes the parameter at its timestamp; ExpirationNotification emits an event the given
time before it; NoChangeNotification emits one when the parameter has not changed for the given
time. A parameter holds at most 10 policies and at most one of each type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from strongroom.services.ssm import errors

EXPIRATION = "Expiration"
EXPIRATION_NOTIFICATION = "ExpirationNotification"
NO_CHANGE_NOTIFICATION = "NoChangeNotification"
POLICY_TYPES = (EXPIRATION, EXPIRATION_NOTIFICATION, NO_CHANGE_NOTIFICATION)
MAX_POLICIES = 10
_UNITS = {"Days": timedelta(days=1), "Hours": timedelta(hours=1)}

PENDING = "Pending"
FINISHED = "Finished"


@dataclass(frozen=True)
class Policy:
    type: str
    text: str
    attributes: dict[str, str]
    status: str = PENDING

    def describe(self) -> dict[str, str]:
        return {"PolicyText": self.text, "PolicyType": self.type, "PolicyStatus": self.status}

    def stored(self) -> dict[str, Any]:
        return {"type": self.type, "text": self.text, "attributes": self.attributes, "status": self.status}


def parse(text: str, now: datetime) -> list[Policy]:
    """The policies of a PutParameter request, or the error AWS answers for them."""
    try:
        document = json.loads(text)
    except ValueError:
        raise errors.invalid_policy_attribute("The policies are not a valid JSON array.") from None
    items = document if isinstance(document, list) else [document]
    if len(items) > MAX_POLICIES:
        raise errors.policies_limit()
    parsed = [_parse_one(item, now) for item in items]
    types = [p.type for p in parsed]
    for policy_type in POLICY_TYPES:
        if types.count(policy_type) > 1:
            raise errors.incompatible_policy(
                f"You can't, for example, specify two {policy_type} policies for a parameter. Review your "
                "policies, and try again."
            )
    if EXPIRATION_NOTIFICATION in types and EXPIRATION not in types:
        raise errors.incompatible_policy(
            "An ExpirationNotification policy needs an Expiration policy on the same parameter."
        )
    return parsed


def _parse_one(item: Any, now: datetime) -> Policy:
    if not isinstance(item, dict):
        raise errors.invalid_policy_attribute("Each policy must be a JSON object.")
    policy_type = item.get("Type")
    if policy_type not in POLICY_TYPES:
        raise errors.invalid_policy_type(str(policy_type))
    if item.get("Version") != "1.0":
        raise errors.invalid_policy_attribute("The policy Version must be 1.0.")
    attributes = item.get("Attributes")
    if not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values()):
        raise errors.invalid_policy_attribute("The policy Attributes must be an object of strings.")
    if policy_type == EXPIRATION:
        expires = timestamp(attributes)
        if set(attributes) != {"Timestamp"}:
            raise errors.invalid_policy_attribute("An Expiration policy takes only a Timestamp attribute.")
        if expires <= now:
            raise errors.invalid_policy_attribute("The expiration Timestamp must be in the future.")
    else:
        count_key = "Before" if policy_type == EXPIRATION_NOTIFICATION else "After"
        if set(attributes) != {count_key, "Unit"}:
            raise errors.invalid_policy_attribute(
                f"A {policy_type} policy takes the attributes {count_key} and Unit."
            )
        span(attributes, count_key)
    return Policy(policy_type, json.dumps(item, separators=(",", ":")), dict(attributes))


def timestamp(attributes: dict[str, str]) -> datetime:
    raw = attributes.get("Timestamp", "")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise errors.invalid_policy_attribute(
            f"The Timestamp {raw} is not an ISO_INSTANT or ISO_OFFSET_DATE_TIME date and time."
        ) from None
    if value.tzinfo is None:
        raise errors.invalid_policy_attribute(f"The Timestamp {raw} has no time zone offset.")
    return value.astimezone(UTC)


def span(attributes: dict[str, str], count_key: str) -> timedelta:
    count, unit = attributes.get(count_key, ""), attributes.get("Unit", "")
    if not count.isdigit() or int(count) < 1 or unit not in _UNITS:
        raise errors.invalid_policy_attribute(
            f"{count_key} must be a positive whole number and Unit either Days or Hours."
        )
    return int(count) * _UNITS[unit]


def due_at(policy: Policy, policies: list[Policy], modified_at: datetime) -> datetime:
    """When the policy acts, given the parameter's policies and its last modification."""
    if policy.type == EXPIRATION:
        return timestamp(policy.attributes)
    if policy.type == EXPIRATION_NOTIFICATION:
        expiration = next(p for p in policies if p.type == EXPIRATION)
        return timestamp(expiration.attributes) - span(policy.attributes, "Before")
    return modified_at + span(policy.attributes, "After")


def dump(policies: list[Policy]) -> str | None:
    return json.dumps([p.stored() for p in policies], separators=(",", ":")) if policies else None


def load(stored: str | None) -> list[Policy]:
    if not stored:
        return []
    return [Policy(p["type"], p["text"], p["attributes"], p["status"]) for p in json.loads(stored)]
