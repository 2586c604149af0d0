"""CloudFormation dynamic references: how `strongroom resolve` reads and replaces them."""

from __future__ import annotations

import pytest

from strongroom.resolve import ParameterReference, ResolveError, SecretReference, parse, render

ARN = "arn:aws:ssm:us-east-1:740000000000:parameter/app/db"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:740000000000:secret:db-AbCdEf"


def test_parameter_references() -> None:
    assert parse("ssm", "/app/db") == ParameterReference("/app/db", None, False)
    assert parse("ssm", "/app/db:4") == ParameterReference("/app/db", 4, False)
    assert parse("ssm-secure", "pw:2") == ParameterReference("pw", 2, True)
    assert parse("ssm", ARN) == ParameterReference(ARN, None, False)
    assert parse("ssm", ARN + ":7") == ParameterReference(ARN, 7, False)
    with pytest.raises(ResolveError):
        parse("ssm", "/app/db:latest")


def test_secret_references() -> None:
    assert parse("secretsmanager", "db") == SecretReference("db", None, None, None)
    assert parse("secretsmanager", "db:SecretString:password") == SecretReference(
        "db", "password", None, None
    )
    assert parse("secretsmanager", "db:SecretString:password:AWSPREVIOUS") == SecretReference(
        "db", "password", "AWSPREVIOUS", None
    )
    assert parse("secretsmanager", "db:SecretString::AWSCURRENT") == SecretReference(
        "db", None, "AWSCURRENT", None
    )
    assert parse("secretsmanager", "db:SecretString:::v-id") == SecretReference("db", None, None, "v-id")
    assert parse("secretsmanager", SECRET_ARN + ":SecretString:user") == SecretReference(
        SECRET_ARN, "user", None, None
    )
    for bad in ("db:SecretBinary", "db:SecretString:k:AWSCURRENT:v-id", "db:SecretString:k:s:v:extra", ""):
        with pytest.raises(ResolveError):
            parse("secretsmanager", bad)


def test_render_replaces_each_reference_once() -> None:
    calls: list[object] = []

    def fake(ref: ParameterReference | SecretReference) -> str:
        calls.append(ref)
        return "<" + (ref.name if isinstance(ref, ParameterReference) else ref.secret_id) + ">"

    text = (
        "a={{resolve:ssm:/x}} b={{resolve:ssm:/x}} c={{resolve:secretsmanager:s:SecretString:k}} "
        "{{not:a:ref}}"
    )
    assert render(text, fake) == "a=</x> b=</x> c=<s> {{not:a:ref}}"
    assert len(calls) == 2
