"""What a value may be: its type, its data type and the AllowedPattern it must match."""

from __future__ import annotations

import re

from strongroom.services.ssm import errors

STRING = "String"
STRING_LIST = "StringList"
SECURE_STRING = "SecureString"

TEXT = "text"
EC2_IMAGE = "aws:ec2:image"
SSM_INTEGRATION = "aws:ssm:integration"
DATA_TYPES = (TEXT, EC2_IMAGE, SSM_INTEGRATION)
_AMI_ID = re.compile(r"ami-([0-9a-f]{8}|[0-9a-f]{17})")


def check_data_type(data_type: str, parameter_type: str, value: str) -> None:
    """AWS checks the AMI's format at once; whether the image exists is asynchronous on AWS, and
    Strongroom (which has no EC2 image catalogue of its own yet) checks the format only."""
    if data_type not in DATA_TYPES:
        raise errors.validation(
            f"The following data type is not supported: {data_type} (Data type names are all lowercase.)"
        )
    if data_type == EC2_IMAGE:
        if parameter_type != STRING:
            raise errors.validation(f"The data type {EC2_IMAGE} is supported only for String parameters.")
        if not _AMI_ID.fullmatch(value):
            raise errors.validation(
                f"Parameter value {value} is not a valid AMI ID: use the form ami-12345678 or "
                "ami-1234567890abcdef0."
            )
    if data_type == SSM_INTEGRATION and parameter_type != SECURE_STRING:
        raise errors.validation(
            f"The data type {SSM_INTEGRATION} is supported only for SecureString parameters."
        )


def compile_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise errors.invalid_allowed_pattern(str(exc)) from None


def check_pattern(pattern: str | None, value: str) -> None:
    """The whole value must match, as Java's String.matches does (the pattern is AWS's, in Java)."""
    if pattern and compile_pattern(pattern).fullmatch(value) is None:
        raise errors.pattern_mismatch(pattern)
