"""Tiers, the default-tier setting, parameter policies run by the scheduler, tags."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.service.ssm.conftest import assert_error, error_of
from tests.support.server import ServerProcess


def _expiring(at: datetime, *extra: dict[str, Any]) -> str:
    expiration = {
        "Type": "Expiration",
        "Version": "1.0",
        "Attributes": {"Timestamp": at.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
    }
    return json.dumps([expiration, *extra])


def test_value_sizes_per_tier(ssm: Any, prefix: str) -> None:
    ssm.put_parameter(Name=f"{prefix}/std", Value="x" * 4096, Type="String")
    err = error_of(ssm.put_parameter, Name=f"{prefix}/std2", Value="x" * 4097, Type="String")
    assert_error(err, "ValidationException")
    assert err.response["Error"]["Message"].startswith(
        "Standard tier parameters support a maximum parameter value of 4096 characters."
    )
    assert (
        ssm.put_parameter(Name=f"{prefix}/adv", Value="x" * 8192, Type="String", Tier="Advanced")["Tier"]
        == "Advanced"
    )
    err = error_of(ssm.put_parameter, Name=f"{prefix}/adv2", Value="x" * 8193, Type="String", Tier="Advanced")
    assert_error(err, "ValidationException")


def test_intelligent_tiering_picks_advanced_only_when_needed(ssm: Any, prefix: str, server_now: Any) -> None:
    small = ssm.put_parameter(Name=f"{prefix}/it1", Value="small", Type="String", Tier="Intelligent-Tiering")
    assert small["Tier"] == "Standard"
    big = ssm.put_parameter(Name=f"{prefix}/it2", Value="y" * 5000, Type="String", Tier="Intelligent-Tiering")
    assert big["Tier"] == "Advanced"
    later = server_now() + timedelta(days=30)
    with_policy = ssm.put_parameter(
        Name=f"{prefix}/it3", Value="p", Type="String", Tier="Intelligent-Tiering", Policies=_expiring(later)
    )
    assert with_policy["Tier"] == "Advanced"


def test_standard_upgrades_but_never_downgrades(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/up"
    ssm.put_parameter(Name=name, Value="a", Type="String")
    assert ssm.put_parameter(Name=name, Value="b", Overwrite=True, Tier="Advanced")["Tier"] == "Advanced"
    err = error_of(ssm.put_parameter, Name=name, Value="c", Overwrite=True, Tier="Standard")
    assert_error(err, "ValidationException")
    assert "can't downgrade a parameter from the advanced-parameter tier" in err.response["Error"]["Message"]
    assert ssm.put_parameter(Name=name, Value="d", Overwrite=True)["Tier"] == "Advanced"
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [h["Tier"] for h in history] == ["Standard", "Advanced", "Advanced"]


def test_policies_need_the_advanced_tier(ssm: Any, prefix: str, server_now: Any) -> None:
    later = server_now() + timedelta(days=1)
    err = error_of(
        ssm.put_parameter,
        Name=f"{prefix}/pol",
        Value="v",
        Type="String",
        Tier="Standard",
        Policies=_expiring(later),
    )
    assert_error(err, "ValidationException")


def test_policy_errors(ssm: Any, prefix: str, server_now: Any) -> None:
    later = server_now() + timedelta(days=1)
    put = {"Name": f"{prefix}/pe", "Value": "v", "Type": "String", "Tier": "Advanced"}
    assert_error(
        error_of(
            ssm.put_parameter,
            **put,
            Policies=json.dumps([{"Type": "Rotate", "Version": "1.0", "Attributes": {}}]),
        ),
        "InvalidPolicyTypeException",
    )
    assert_error(
        error_of(
            ssm.put_parameter,
            **put,
            Policies=json.dumps(
                [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "tomorrow"}}]
            ),
        ),
        "InvalidPolicyAttributeException",
    )
    past = server_now() - timedelta(days=1)
    assert_error(
        error_of(ssm.put_parameter, **put, Policies=_expiring(past)), "InvalidPolicyAttributeException"
    )
    assert_error(
        error_of(
            ssm.put_parameter,
            **put,
            Policies=json.dumps(
                [
                    {
                        "Type": "NoChangeNotification",
                        "Version": "1.0",
                        "Attributes": {"After": "x", "Unit": "Days"},
                    }
                ]
            ),
        ),
        "InvalidPolicyAttributeException",
    )
    two = json.loads(_expiring(later)) * 2
    assert_error(error_of(ssm.put_parameter, **put, Policies=json.dumps(two)), "IncompatiblePolicyException")
    eleven = [
        {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "1", "Unit": "Days"}}
    ] * 11
    assert_error(
        error_of(ssm.put_parameter, **put, Policies=json.dumps(eleven)), "PoliciesLimitExceededException"
    )
    assert_error(error_of(ssm.get_parameter, Name=f"{prefix}/pe"), "ParameterNotFound")


def test_expiration_deletes_at_its_time(
    ssm: Any, server: ServerProcess, prefix: str, server_now: Any
) -> None:
    name = f"{prefix}/ttl"
    expires = server_now() + timedelta(hours=2)
    notice = {
        "Type": "ExpirationNotification",
        "Version": "1.0",
        "Attributes": {"Before": "1", "Unit": "Hours"},
    }
    ssm.put_parameter(
        Name=name, Value="short-lived", Type="String", Tier="Advanced", Policies=_expiring(expires, notice)
    )
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert sorted((p["PolicyType"], p["PolicyStatus"]) for p in meta["Policies"]) == [
        ("Expiration", "Pending"),
        ("ExpirationNotification", "Pending"),
    ]
    # An update does not move the expiration.
    ssm.put_parameter(Name=name, Value="still-short-lived", Overwrite=True)
    server.advance_clock(3600 + 120)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert sorted((p["PolicyType"], p["PolicyStatus"]) for p in meta["Policies"]) == [
        ("Expiration", "Pending"),
        ("ExpirationNotification", "Finished"),
    ]
    server.advance_clock(3600)
    assert_error(error_of(ssm.get_parameter, Name=name), "ParameterNotFound")


def test_no_change_notification_restarts_on_update(ssm: Any, server: ServerProcess, prefix: str) -> None:
    name = f"{prefix}/stale"
    no_change = json.dumps(
        [{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "2", "Unit": "Hours"}}]
    )
    ssm.put_parameter(Name=name, Value="v1", Type="String", Tier="Advanced", Policies=no_change)
    server.advance_clock(3600)
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    server.advance_clock(3600 + 60)
    status = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0][
        "Policies"
    ]
    assert [p["PolicyStatus"] for p in status] == ["Pending"]
    server.advance_clock(3600)
    status = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0][
        "Policies"
    ]
    assert [p["PolicyStatus"] for p in status] == ["Finished"]
    # Policies="[]" removes them.
    ssm.put_parameter(Name=name, Value="v3", Overwrite=True, Policies="[]")
    assert (
        ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0][
            "Policies"
        ]
        == []
    )


@pytest.mark.parametrize("setting", ["/ssm/parameter-store/default-parameter-tier", "high-throughput"])
def test_service_settings(ssm: Any, account_id: str, setting: str) -> None:
    if setting == "high-throughput":
        setting = "/ssm/parameter-store/high-throughput-enabled"
        value, default = "true", "false"
    else:
        value, default = "Advanced", "Standard"
    current = ssm.get_service_setting(SettingId=setting)["ServiceSetting"]
    assert current["SettingValue"] == default and current["Status"] == "Default"
    assert current["ARN"] == f"arn:aws:ssm:us-east-1:{account_id}:servicesetting{setting}"
    ssm.update_service_setting(SettingId=current["ARN"], SettingValue=value)
    changed = ssm.get_service_setting(SettingId=setting)["ServiceSetting"]
    assert changed["SettingValue"] == value and changed["Status"] == "Customized"
    assert_error(
        error_of(ssm.update_service_setting, SettingId=setting, SettingValue="bogus"), "ValidationException"
    )
    reset = ssm.reset_service_setting(SettingId=setting)["ServiceSetting"]
    assert reset["SettingValue"] == default and reset["Status"] == "Default"
    assert_error(
        error_of(ssm.get_service_setting, SettingId="/ssm/no/such/setting"), "ServiceSettingNotFound"
    )


def test_default_tier_setting_applies(make_client: Any, prefix: str) -> None:
    ssm = make_client("ssm", access_key="749999999999", region="ap-southeast-2")
    ssm.update_service_setting(
        SettingId="/ssm/parameter-store/default-parameter-tier", SettingValue="Advanced"
    )
    try:
        assert ssm.put_parameter(Name=f"{prefix}/dt", Value="v", Type="String")["Tier"] == "Advanced"
        ssm.update_service_setting(
            SettingId="/ssm/parameter-store/default-parameter-tier", SettingValue="Intelligent-Tiering"
        )
        assert ssm.put_parameter(Name=f"{prefix}/dt2", Value="v", Type="String")["Tier"] == "Standard"
    finally:
        ssm.reset_service_setting(SettingId="/ssm/parameter-store/default-parameter-tier")


def test_tags(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/tagged"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "env", "Value": "prod"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "team", "Value": "a"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "team", "Value": "b"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "b"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["env"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "team", "Value": "b"}
    ]
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert_error(
        error_of(ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId=name, Tags=too_many),
        "TooManyTagsError",
    )
    assert_error(
        error_of(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId=f"{prefix}/none"),
        "InvalidResourceId",
    )
    assert_error(
        error_of(ssm.list_tags_for_resource, ResourceType="Document", ResourceId="doc"), "InvalidResourceType"
    )
