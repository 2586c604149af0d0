"""LabelParameterVersion / UnlabelParameterVersion with AWS's label rules, and GetParameterHistory."""

from __future__ import annotations

from typing import Any

from tests.service.ssm.conftest import assert_error, error_of


def _three_versions(ssm: Any, name: str) -> None:
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    ssm.put_parameter(Name=name, Value="v3", Overwrite=True)


def test_label_latest_and_select_by_label(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/lab"
    _three_versions(ssm, name)
    out = ssm.label_parameter_version(Name=name, Labels=["prod"])
    assert out["ParameterVersion"] == 3
    assert "InvalidLabels" not in out
    got = ssm.get_parameter(Name=f"{name}:prod")["Parameter"]
    assert got["Value"] == "v3" and got["Selector"] == ":prod"


def test_labels_move_between_versions(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/move"
    _three_versions(ssm, name)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    assert ssm.get_parameter(Name=f"{name}:stable")["Parameter"]["Value"] == "v1"
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["stable"])
    assert ssm.get_parameter(Name=f"{name}:stable")["Parameter"]["Value"] == "v2"
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [h["Labels"] for h in history] == [[], ["stable"], []]


def test_invalid_labels_are_reported_not_applied(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/bad"
    _three_versions(ssm, name)
    labels = ["ok-label", "1starts-with-digit", "awsreserved", "SSMreserved", "has/slash", "good.one_2"]
    out = ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=labels)
    assert sorted(out["InvalidLabels"]) == sorted(
        ["1starts-with-digit", "awsreserved", "SSMreserved", "has/slash"]
    )
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert sorted(history[1]["Labels"]) == ["good.one_2", "ok-label"]


def test_ten_labels_per_version(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/ten"
    _three_versions(ssm, name)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    err = error_of(ssm.label_parameter_version, Name=name, ParameterVersion=1, Labels=["eleventh"])
    assert_error(
        err,
        "ParameterVersionLabelLimitExceeded",
        "A parameter version can have maximum 10 labels.Move one or more labels to another version "
        "and try again.",
    )
    # Re-applying a label the version already has is not an eleventh label.
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["l3"])


def test_label_errors(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/errs"
    _three_versions(ssm, name)
    assert_error(
        error_of(ssm.label_parameter_version, Name=name, ParameterVersion=7, Labels=["x"]),
        "ParameterVersionNotFound",
        f"Systems Manager could not find version 7 of {name}. Verify the version and try again.",
    )
    assert_error(
        error_of(ssm.label_parameter_version, Name=f"{prefix}/none", Labels=["x"]), "ParameterNotFound"
    )
    assert_error(error_of(ssm.get_parameter, Name=f"{name}:nolabel"), "ParameterVersionNotFound")


def test_unlabel(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/un"
    _three_versions(ssm, name)
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["a", "b"])
    out = ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["a", "zzz"])
    assert out["RemovedLabels"] == ["a"]
    assert out["InvalidLabels"] == ["zzz"]
    # A label on another version is not removed from it.
    out = ssm.unlabel_parameter_version(Name=name, ParameterVersion=1, Labels=["b"])
    assert out.get("RemovedLabels", []) == [] and out["InvalidLabels"] == ["b"]
    assert_error(
        error_of(ssm.unlabel_parameter_version, Name=name, ParameterVersion=9, Labels=["b"]),
        "ParameterVersionNotFound",
    )


def test_history_pages_and_details(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/hist"
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="d1")
    for i in range(2, 8):
        ssm.put_parameter(Name=name, Value=f"v{i}", Overwrite=True)
    first = ssm.get_parameter_history(Name=name, MaxResults=3)
    assert [p["Version"] for p in first["Parameters"]] == [1, 2, 3]
    assert first["Parameters"][0]["Value"] == "v1"
    assert first["Parameters"][0]["Description"] == "d1"
    assert first["Parameters"][0]["Tier"] == "Standard"
    assert first["Parameters"][0]["LastModifiedUser"].endswith(":root")
    rest = ssm.get_parameter_history(Name=name, MaxResults=3, NextToken=first["NextToken"])
    assert [p["Version"] for p in rest["Parameters"]] == [4, 5, 6]
    paginator = ssm.get_paginator("get_parameter_history")
    every = [
        p["Version"]
        for page in paginator.paginate(Name=name, PaginationConfig={"PageSize": 2})
        for p in page["Parameters"]
    ]
    assert every == list(range(1, 8))
    assert_error(error_of(ssm.get_parameter_history, Name=name, NextToken="garbage"), "InvalidNextToken")
    assert_error(error_of(ssm.get_parameter_history, Name=f"{prefix}/none"), "ParameterNotFound")


def test_hundred_versions_then_oldest_goes(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/many"
    ssm.put_parameter(Name=name, Value="1", Type="String")
    for i in range(2, 101):
        ssm.put_parameter(Name=name, Value=str(i), Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["pinned"])
    err = error_of(ssm.put_parameter, Name=name, Value="101", Overwrite=True)
    assert_error(
        err,
        "ParameterMaxVersionLimitExceeded",
        f"You attempted to create a new version of {name} by calling the PutParameter API with the "
        "overwrite flag. Version 1, the oldest version, can't be deleted because it has a label "
        "associated with it. Move the label "
        "to another version of the parameter, and try again.",
    )
    ssm.label_parameter_version(Name=name, ParameterVersion=50, Labels=["pinned"])
    assert ssm.put_parameter(Name=name, Value="101", Overwrite=True)["Version"] == 101
    versions = [
        p["Version"]
        for page in ssm.get_paginator("get_parameter_history").paginate(Name=name)
        for p in page["Parameters"]
    ]
    assert versions == list(range(2, 102))
    assert_error(error_of(ssm.get_parameter, Name=f"{name}:1"), "ParameterVersionNotFound")
