"""GetParametersByPath and DescribeParameters: hierarchies, filters, pagination, their errors."""

from __future__ import annotations

from typing import Any

from tests.service.ssm.conftest import assert_error, error_of


def _tree(ssm: Any, prefix: str) -> None:
    ssm.put_parameter(
        Name=f"{prefix}/app/a", Value="1", Type="String", Tags=[{"Key": "team", "Value": "blue"}]
    )
    ssm.put_parameter(Name=f"{prefix}/app/b", Value="2", Type="StringList")
    ssm.put_parameter(Name=f"{prefix}/app/deep/c", Value="3", Type="String", Tier="Advanced")
    ssm.put_parameter(
        Name=f"{prefix}/other", Value="4", Type="String", Tags=[{"Key": "team", "Value": "red"}]
    )


def test_by_path_one_level_and_recursive(ssm: Any, prefix: str) -> None:
    _tree(ssm, prefix)
    one = ssm.get_parameters_by_path(Path=f"{prefix}/app")["Parameters"]
    assert [p["Name"] for p in one] == [f"{prefix}/app/a", f"{prefix}/app/b"]
    every = ssm.get_parameters_by_path(Path=f"{prefix}/app/", Recursive=True)["Parameters"]
    assert [p["Name"] for p in every] == [f"{prefix}/app/a", f"{prefix}/app/b", f"{prefix}/app/deep/c"]
    typed = ssm.get_parameters_by_path(
        Path=prefix, Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}]
    )["Parameters"]
    assert [p["Name"] for p in typed] == [f"{prefix}/app/b"]


def test_by_path_pages(ssm: Any, prefix: str) -> None:
    for i in range(13):
        ssm.put_parameter(Name=f"{prefix}/p/n{i:02d}", Value=str(i), Type="String")
    first = ssm.get_parameters_by_path(Path=f"{prefix}/p")
    assert len(first["Parameters"]) == 10 and "NextToken" in first
    second = ssm.get_parameters_by_path(Path=f"{prefix}/p", NextToken=first["NextToken"])
    assert [p["Value"] for p in second["Parameters"]] == ["10", "11", "12"]
    assert "NextToken" not in second
    names = [
        p["Name"]
        for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=f"{prefix}/p", PaginationConfig={"PageSize": 4}
        )
        for p in page["Parameters"]
    ]
    assert names == [f"{prefix}/p/n{i:02d}" for i in range(13)]


def test_by_path_label_filter_answers_the_labelled_version(ssm: Any, prefix: str) -> None:
    ssm.put_parameter(Name=f"{prefix}/l/x", Value="old", Type="String")
    ssm.put_parameter(Name=f"{prefix}/l/x", Value="new", Overwrite=True)
    ssm.put_parameter(Name=f"{prefix}/l/y", Value="unlabelled", Type="String")
    ssm.label_parameter_version(Name=f"{prefix}/l/x", ParameterVersion=1, Labels=["golden"])
    found = ssm.get_parameters_by_path(
        Path=f"{prefix}/l", ParameterFilters=[{"Key": "Label", "Values": ["golden"], "Option": "Equals"}]
    )["Parameters"]
    assert [(p["Name"], p["Value"], p["Version"]) for p in found] == [(f"{prefix}/l/x", "old", 1)]


def test_by_path_errors(ssm: Any, prefix: str) -> None:
    assert_error(error_of(ssm.get_parameters_by_path, Path="no-slash"), "ValidationException")
    assert_error(
        error_of(
            ssm.get_parameters_by_path, Path=prefix, ParameterFilters=[{"Key": "Name", "Values": ["x"]}]
        ),
        "InvalidFilterKey",
    )
    assert_error(
        error_of(
            ssm.get_parameters_by_path,
            Path=prefix,
            ParameterFilters=[{"Key": "Label", "Option": "BeginsWith", "Values": ["x"]}],
        ),
        "InvalidFilterOption",
    )
    assert_error(
        error_of(
            ssm.get_parameters_by_path, Path=prefix, ParameterFilters=[{"Key": "tag:team", "Values": ["x"]}]
        ),
        "InvalidFilterKey",
    )
    assert_error(error_of(ssm.get_parameters_by_path, Path=prefix, NextToken="bogus"), "InvalidNextToken")


def test_describe_filters(ssm: Any, prefix: str) -> None:
    _tree(ssm, prefix)

    def names(**kwargs: Any) -> list[str]:
        pages = ssm.get_paginator("describe_parameters").paginate(**kwargs)
        return [p["Name"] for page in pages for p in page["Parameters"]]

    assert names(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{prefix}/app"]}]) == [
        f"{prefix}/app/a",
        f"{prefix}/app/b",
        f"{prefix}/app/deep/c",
    ]
    assert names(ParameterFilters=[{"Key": "Name", "Values": [f"{prefix}/other"]}]) == [f"{prefix}/other"]
    assert names(
        ParameterFilters=[{"Key": "Name", "Option": "Contains", "Values": [prefix[1:] + "/app/d"]}]
    ) == [f"{prefix}/app/deep/c"]
    assert names(ParameterFilters=[{"Key": "Path", "Values": [f"{prefix}/app"]}]) == [
        f"{prefix}/app/a",
        f"{prefix}/app/b",
    ]
    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [prefix]}]) == [
        f"{prefix}/app/a",
        f"{prefix}/app/b",
        f"{prefix}/app/deep/c",
        f"{prefix}/other",
    ]
    scoped = {"Key": "Path", "Option": "Recursive", "Values": [prefix]}
    assert names(ParameterFilters=[scoped, {"Key": "Tier", "Values": ["Advanced"]}]) == [
        f"{prefix}/app/deep/c"
    ]
    assert names(ParameterFilters=[scoped, {"Key": "tag:team", "Values": ["red"]}]) == [f"{prefix}/other"]
    assert names(ParameterFilters=[scoped, {"Key": "tag:team"}]) == [f"{prefix}/app/a", f"{prefix}/other"]
    assert names(ParameterFilters=[scoped, {"Key": "Type", "Values": ["StringList"]}]) == [f"{prefix}/app/b"]
    assert names(ParameterFilters=[scoped, {"Key": "DataType", "Values": ["text"]}]) == names(
        ParameterFilters=[scoped]
    )
    assert names(Filters=[{"Key": "Name", "Values": [f"{prefix}/app/"]}]) == [
        f"{prefix}/app/a",
        f"{prefix}/app/b",
        f"{prefix}/app/deep/c",
    ]
    assert ssm.describe_parameters(Shared=True)["Parameters"] == []


def test_describe_metadata(ssm: Any, account_id: str, prefix: str) -> None:
    ssm.put_parameter(Name=f"{prefix}/m", Value="v", Type="String", Description="desc", AllowedPattern="^v$")
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{prefix}/m"]}])[
        "Parameters"
    ][0]
    assert meta["ARN"] == f"arn:aws:ssm:us-east-1:{account_id}:parameter{prefix}/m"
    assert meta["Description"] == "desc"
    assert meta["AllowedPattern"] == "^v$"
    assert meta["Version"] == 1
    assert meta["Tier"] == "Standard"
    assert meta["Policies"] == []
    assert meta["DataType"] == "text"
    assert meta["LastModifiedUser"] == f"arn:aws:iam::{account_id}:root"
    assert "KeyId" not in meta and "Value" not in meta


def test_describe_errors(ssm: Any, prefix: str) -> None:
    both = error_of(
        ssm.describe_parameters,
        Filters=[{"Key": "Name", "Values": ["x"]}],
        ParameterFilters=[{"Key": "Name", "Values": ["x"]}],
    )
    assert_error(
        both, "ValidationException", "You can use either Filters or ParameterFilters in a single request."
    )
    assert_error(
        error_of(ssm.describe_parameters, ParameterFilters=[{"Key": "Label", "Values": ["x"]}]),
        "InvalidFilterKey",
    )
    assert_error(
        error_of(
            ssm.describe_parameters,
            ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["String"]}],
        ),
        "InvalidFilterOption",
    )
    assert_error(
        error_of(ssm.describe_parameters, ParameterFilters=[{"Key": "Type", "Values": ["Strung"]}]),
        "InvalidFilterValue",
    )
    assert_error(
        error_of(ssm.describe_parameters, ParameterFilters=[{"Key": "Path", "Values": ["relative"]}]),
        "InvalidFilterValue",
    )
    dup = error_of(
        ssm.describe_parameters,
        ParameterFilters=[{"Key": "Name", "Values": ["a"]}, {"Key": "Name", "Values": ["b"]}],
    )
    assert_error(dup, "InvalidFilterKey")
    assert_error(error_of(ssm.describe_parameters, NextToken="nope"), "InvalidNextToken")


def test_public_parameters(ssm: Any) -> None:
    region = ssm.get_parameter(Name="/aws/service/global-infrastructure/regions/eu-west-1/longName")[
        "Parameter"
    ]
    assert region["Value"] == "Europe (Ireland)"
    assert (
        region["ARN"]
        == "arn:aws:ssm:us-east-1::parameter/aws/service/global-infrastructure/regions/eu-west-1/longName"
    )
    regions = [
        p["Value"]
        for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path="/aws/service/global-infrastructure/regions"
        )
        for p in page["Parameters"]
    ]
    assert "us-east-1" in regions and "eu-west-1" in regions and len(regions) > 20
    kms = ssm.get_parameters(
        Names=["/aws/service/global-infrastructure/services/kms/longName", "/aws/service/nope"]
    )
    assert kms["Parameters"][0]["Value"] == "AWS Key Management Service"
    assert kms["InvalidParameters"] == ["/aws/service/nope"]
    assert_error(
        error_of(ssm.get_parameter, Name="/aws/service/global-infrastructure/none"), "ParameterNotFound"
    )
