"""PutParameter, GetParameter(s), DeleteParameter(s) for String and StringList, end to end."""

from __future__ import annotations

from typing import Any

from tests.service.ssm.conftest import assert_error, error_of


def test_put_and_get_a_string(ssm: Any, account_id: str, prefix: str, server_now: Any) -> None:
    name = f"{prefix}/db/host"
    put = ssm.put_parameter(Name=name, Value="db.internal", Type="String", Description="the host")
    assert put["Version"] == 1
    assert put["Tier"] == "Standard"
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert got["Name"] == name
    assert got["Value"] == "db.internal"
    assert got["Type"] == "String"
    assert got["Version"] == 1
    assert got["DataType"] == "text"
    assert got["ARN"] == f"arn:aws:ssm:us-east-1:{account_id}:parameter{name}"
    assert abs((got["LastModifiedDate"] - server_now()).total_seconds()) < 60
    assert "Selector" not in got


def test_unqualified_name_arn(ssm: Any, account_id: str) -> None:
    name = f"plain-{account_id}"
    ssm.put_parameter(Name=name, Value="v", Type="StringList")
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert got["ARN"] == f"arn:aws:ssm:us-east-1:{account_id}:parameter/{name}"
    assert got["Type"] == "StringList"
    by_arn = ssm.get_parameter(Name=got["ARN"])["Parameter"]
    assert by_arn["Name"] == name and by_arn["Value"] == "v"


def test_overwrite_makes_versions_and_selectors_pick_them(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/v"
    ssm.put_parameter(Name=name, Value="one", Type="String")
    err = error_of(ssm.put_parameter, Name=name, Value="two", Type="String")
    assert_error(
        err,
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request "
        "to true.",
    )
    assert ssm.put_parameter(Name=name, Value="two", Overwrite=True)["Version"] == 2
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "two"
    first = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert first["Value"] == "one" and first["Version"] == 1 and first["Selector"] == ":1"
    assert first["Name"] == name
    assert_error(
        error_of(ssm.get_parameter, Name=f"{name}:9"),
        "ParameterVersionNotFound",
        f"Systems Manager could not find version 9 of {name}. Verify the version and try again.",
    )


def test_overwrite_keeps_description_and_type(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/keep"
    ssm.put_parameter(Name=name, Value="a", Type="String", Description="kept")
    ssm.put_parameter(Name=name, Value="b", Overwrite=True)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["Description"] == "kept"
    assert meta["Type"] == "String"
    assert_error(
        error_of(ssm.put_parameter, Name=name, Value="c", Type="StringList", Overwrite=True),
        "HierarchyTypeMismatchException",
    )


def test_get_parameters_mixes_found_and_invalid(ssm: Any, prefix: str) -> None:
    ssm.put_parameter(Name=f"{prefix}/a", Value="A", Type="String")
    ssm.put_parameter(Name=f"{prefix}/b", Value="B", Type="String")
    got = ssm.get_parameters(
        Names=[f"{prefix}/a", f"{prefix}/b", f"{prefix}/missing", f"{prefix}/a:7", f"{prefix}/a"]
    )
    assert sorted(p["Value"] for p in got["Parameters"]) == ["A", "B"]
    assert sorted(got["InvalidParameters"]) == sorted([f"{prefix}/missing", f"{prefix}/a:7"])


def test_missing_parameter(ssm: Any, prefix: str) -> None:
    assert_error(error_of(ssm.get_parameter, Name=f"{prefix}/nope"), "ParameterNotFound")
    assert_error(error_of(ssm.delete_parameter, Name=f"{prefix}/nope"), "ParameterNotFound")


def test_delete_parameter_and_parameters(ssm: Any, prefix: str) -> None:
    for n in ("x", "y", "z"):
        ssm.put_parameter(Name=f"{prefix}/{n}", Value=n, Type="String")
    ssm.delete_parameter(Name=f"{prefix}/x")
    assert_error(error_of(ssm.get_parameter, Name=f"{prefix}/x"), "ParameterNotFound")
    out = ssm.delete_parameters(Names=[f"{prefix}/y", f"{prefix}/z", f"{prefix}/x"])
    assert sorted(out["DeletedParameters"]) == [f"{prefix}/y", f"{prefix}/z"]
    assert out["InvalidParameters"] == [f"{prefix}/x"]
    # A deleted parameter starts again at version 1.
    assert ssm.put_parameter(Name=f"{prefix}/y", Value="again", Type="String")["Version"] == 1


def test_invalid_names(ssm: Any, prefix: str) -> None:
    invalid = (
        'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can '
        "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, "
        "numbers and the "
        "following 3 symbols .-_"
    )
    for name in (
        "ssm-thing",
        "/SSM/thing",
        "has space",
        "bad!char",
        f"{prefix}//double",
        f"{prefix}/trailing/",
    ):
        assert_error(
            error_of(ssm.put_parameter, Name=name, Value="v", Type="String"), "ValidationException", invalid
        )
    assert_error(
        error_of(ssm.put_parameter, Name="a/b", Value="v", Type="String"),
        "ValidationException",
        "Parameter name must be a fully qualified name.",
    )
    for name in ("/aws/mine", "awsthing", "/AWS/x"):
        err = error_of(ssm.put_parameter, Name=name, Value="v", Type="String")
        assert_error(
            err, "AccessDeniedException", f"No access to reserved parameter name: {name.lstrip('/')}."
        )


def test_hierarchy_of_15_levels(ssm: Any, prefix: str) -> None:
    fifteen = prefix + "".join(f"/l{i}" for i in range(2, 16))
    assert fifteen.count("/") == 15
    ssm.put_parameter(Name=fifteen, Value="deep", Type="String")
    err = error_of(ssm.put_parameter, Name=fifteen + "/l16", Value="v", Type="String")
    assert_error(err, "HierarchyLevelLimitExceededException")
    assert err.response["Error"]["Message"].startswith("A hierarchy can have a maximum of 15 levels.")


def test_name_length_counts_the_arn(ssm: Any, account_id: str) -> None:
    arn_prefix = len(f"arn:aws:ssm:us-east-1:{account_id}:parameter/")
    fits = "/" + "n" * (1011 - arn_prefix)
    ssm.put_parameter(Name=fits, Value="v", Type="String")
    err = error_of(ssm.put_parameter, Name=fits + "x", Value="v", Type="String")
    assert_error(err, "ValidationException")


def test_type_rules(ssm: Any, raw_ssm: Any, prefix: str) -> None:
    assert_error(
        error_of(ssm.put_parameter, Name=f"{prefix}/notype", Value="v"),
        "ValidationException",
        "A parameter type is required when you create a parameter.",
    )
    assert_error(
        error_of(ssm.put_parameter, Name=f"{prefix}/key", Value="v", Type="String", KeyId="alias/aws/ssm"),
        "ValidationException",
        "KeyId is required for SecureString type parameter only.",
    )
    assert_error(
        error_of(raw_ssm.put_parameter, Name=f"{prefix}/t", Value="v", Type="Text"), "ValidationException"
    )
    assert_error(
        error_of(ssm.put_parameter, Name=f"{prefix}/empty", Value="", Type="String"), "ValidationException"
    )


def test_tags_and_overwrite_cannot_go_together(ssm: Any, prefix: str) -> None:
    err = error_of(
        ssm.put_parameter,
        Name=f"{prefix}/t",
        Value="v",
        Type="String",
        Overwrite=True,
        Tags=[{"Key": "k", "Value": "v"}],
    )
    assert_error(err, "ValidationException")
    assert "tags and overwrite can't be used together" in err.response["Error"]["Message"]


def test_allowed_pattern(ssm: Any, prefix: str) -> None:
    name = f"{prefix}/port"
    ssm.put_parameter(Name=name, Value="5432", Type="String", AllowedPattern=r"^\d+$")
    assert_error(
        error_of(ssm.put_parameter, Name=name, Value="abc", Overwrite=True),
        "ParameterPatternMismatchException",
        r"Parameter value, cannot be validated against allowedPattern: ^\d+$",
    )
    assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == 1
    assert_error(
        error_of(
            ssm.put_parameter, Name=f"{prefix}/bad", Value="v", Type="String", AllowedPattern="(unclosed"
        ),
        "InvalidAllowedPatternException",
    )


def test_data_types(ssm: Any, prefix: str) -> None:
    ami = f"{prefix}/ami"
    ssm.put_parameter(Name=ami, Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name=ami)["Parameter"]["DataType"] == "aws:ec2:image"
    assert_error(
        error_of(
            ssm.put_parameter,
            Name=f"{prefix}/ami2",
            Value="not-an-ami",
            Type="String",
            DataType="aws:ec2:image",
        ),
        "ValidationException",
    )
    assert_error(
        error_of(ssm.put_parameter, Name=f"{prefix}/dt", Value="v", Type="String", DataType="Text"),
        "ValidationException",
        "The following data type is not supported: Text (Data type names are all lowercase.)",
    )


def test_other_region_is_separate(make_client: Any, ssm: Any, account_id: str, prefix: str) -> None:
    ssm.put_parameter(Name=f"{prefix}/r", Value="east", Type="String")
    west = make_client("ssm", access_key=account_id, region="eu-west-1")
    assert_error(error_of(west.get_parameter, Name=f"{prefix}/r"), "ParameterNotFound")
