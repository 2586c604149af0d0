"""Parameter policies: parsing, AWS's errors, when each one acts; tiers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from strongroom.aws.errors import AWSError
from strongroom.services.ssm import policies, tiers

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _doc(*items: dict[str, object]) -> str:
    return json.dumps(list(items))


EXPIRE = {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2030-02-01T00:00:00.000Z"}}
NOTIFY = {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "2", "Unit": "Days"}}
STALE = {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "5", "Unit": "Hours"}}


def test_due_times() -> None:
    parsed = policies.parse(_doc(EXPIRE, NOTIFY, STALE), NOW)
    expires = datetime(2030, 2, 1, tzinfo=UTC)
    due = {p.type: policies.due_at(p, parsed, NOW) for p in parsed}
    assert due == {
        "Expiration": expires,
        "ExpirationNotification": expires - timedelta(days=2),
        "NoChangeNotification": NOW + timedelta(hours=5),
    }
    assert all(p.status == "Pending" for p in parsed)
    assert policies.load(policies.dump(parsed)) == parsed


def test_offset_timestamps() -> None:
    item = {
        "Type": "Expiration",
        "Version": "1.0",
        "Attributes": {"Timestamp": "2030-11-01T22:13:48.87+10:30"},
    }
    (parsed,) = policies.parse(_doc(item), NOW)
    assert policies.due_at(parsed, [parsed], NOW) == datetime(2030, 11, 1, 11, 43, 48, 870000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("not json", "InvalidPolicyAttributeException"),
        (_doc({"Type": "Rotation", "Version": "1.0", "Attributes": {}}), "InvalidPolicyTypeException"),
        (_doc({**EXPIRE, "Version": "2.0"}), "InvalidPolicyAttributeException"),
        (
            _doc({**EXPIRE, "Attributes": {"Timestamp": "2020-01-01T00:00:00Z"}}),
            "InvalidPolicyAttributeException",
        ),
        (
            _doc({**EXPIRE, "Attributes": {"Timestamp": "2031-01-01T00:00:00"}}),
            "InvalidPolicyAttributeException",
        ),
        (_doc({**STALE, "Attributes": {"After": "0", "Unit": "Hours"}}), "InvalidPolicyAttributeException"),
        (_doc({**STALE, "Attributes": {"After": "1", "Unit": "Weeks"}}), "InvalidPolicyAttributeException"),
        (_doc(NOTIFY), "IncompatiblePolicyException"),
        (_doc(EXPIRE, EXPIRE), "IncompatiblePolicyException"),
        (_doc(*[STALE] * 11), "PoliciesLimitExceededException"),
    ],
)
def test_policy_errors(document: str, code: str) -> None:
    with pytest.raises(AWSError) as info:
        policies.parse(document, NOW)
    assert info.value.code == code


def test_tier_choice() -> None:
    choose = tiers.choose_tier
    assert (
        choose("Intelligent-Tiering", value_length=10, has_policies=False, current=None, standard_count=0)
        == "Standard"
    )
    assert (
        choose("Intelligent-Tiering", value_length=5000, has_policies=False, current=None, standard_count=0)
        == "Advanced"
    )
    assert (
        choose("Intelligent-Tiering", value_length=1, has_policies=True, current=None, standard_count=0)
        == "Advanced"
    )
    full = tiers.MAX_PARAMETERS["Standard"]
    assert (
        choose("Intelligent-Tiering", value_length=1, has_policies=False, current=None, standard_count=full)
        == "Advanced"
    )
    assert (
        choose(
            "Intelligent-Tiering", value_length=1, has_policies=False, current="Advanced", standard_count=0
        )
        == "Advanced"
    )
    with pytest.raises(AWSError):
        choose("Standard", value_length=1, has_policies=False, current="Advanced", standard_count=0)
    with pytest.raises(AWSError) as info:
        tiers.check_quota("Standard", full)
    assert info.value.code == "ParameterLimitExceeded"
    tiers.check_quota("Advanced", full)
    with pytest.raises(AWSError):
        tiers.check_quota("Advanced", tiers.MAX_PARAMETERS["Advanced"])
