"""Parameter Store's error codes, worded as Systems Manager words them (all HTTP 400).

Messages name parameters, versions and labels, never a value: a SecureString's plaintext must
not reach a client error, a log or an audit record.
"""

from __future__ import annotations

from strongroom.aws.errors import AccessDenied, ServiceError, ValidationError

LIMITS_DOC = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)


def validation(message: str) -> ValidationError:
    return ValidationError(message)


def parameter_not_found(message: str = "") -> ServiceError:
    return ServiceError("ParameterNotFound", message)


def version_not_found(name: str, version: int | str) -> ServiceError:
    return ServiceError(
        "ParameterVersionNotFound",
        f"Systems Manager could not find version {version} of {name}. Verify the version and try again.",
    )


def already_exists() -> ServiceError:
    return ServiceError(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the "
        "request to true.",
    )


def reserved_name(name: str) -> AccessDenied:
    return AccessDenied(
        f"No access to reserved parameter name: {name.lstrip('/')}.", code="AccessDeniedException", status=400
    )


def invalid_key_id(message: str) -> ServiceError:
    return ServiceError("InvalidKeyId", message)


def hierarchy_too_deep() -> ServiceError:
    return ServiceError(
        "HierarchyLevelLimitExceededException",
        "A hierarchy can have a maximum of 15 levels. For more information, see "
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html",
    )


def type_mismatch() -> ServiceError:
    return ServiceError(
        "HierarchyTypeMismatchException",
        "The parameter type can't be changed. Parameter Store doesn't support changing a parameter "
        "type in a hierarchy. You must create a new, unique parameter.",
    )


def invalid_allowed_pattern(detail: str) -> ServiceError:
    return ServiceError(
        "InvalidAllowedPatternException",
        f"The request does not meet the regular expression requirement. {detail}".rstrip(),
    )


def pattern_mismatch(pattern: str) -> ServiceError:
    return ServiceError(
        "ParameterPatternMismatchException",
        f"Parameter value, cannot be validated against allowedPattern: {pattern}",
    )


def limit_exceeded() -> ServiceError:
    return ServiceError(
        "ParameterLimitExceeded",
        "You have exceeded the number of parameters for this AWS account. Delete unnecessary "
        "parameters and try again.",
    )


def max_versions(name: str, oldest: int) -> ServiceError:
    return ServiceError(
        "ParameterMaxVersionLimitExceeded",
        f"You attempted to create a new version of {name} by calling the PutParameter API with the "
        f"overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a "
        "label associated with it. Move the label to another version of the parameter, and try again.",
    )


def label_limit() -> ServiceError:
    return ServiceError(
        "ParameterVersionLabelLimitExceeded",
        "A parameter version can have maximum 10 labels.Move one or more labels to another version "
        "and try again.",
    )


def policies_limit() -> ServiceError:
    return ServiceError(
        "PoliciesLimitExceededException",
        "You specified more than the maximum number of allowed policies for the parameter. The "
        "maximum is 10.",
    )


def invalid_policy_type(policy_type: str) -> ServiceError:
    return ServiceError(
        "InvalidPolicyTypeException",
        f"The policy type {policy_type} isn't supported. Parameter Store supports the following "
        "policy types: Expiration, ExpirationNotification, and NoChangeNotification.",
    )


def invalid_policy_attribute(detail: str) -> ServiceError:
    return ServiceError(
        "InvalidPolicyAttributeException", f"A policy attribute or its value is invalid. {detail}"
    )


def incompatible_policy(detail: str) -> ServiceError:
    return ServiceError(
        "IncompatiblePolicyException",
        f"There is a conflict in the policies specified for this parameter. {detail}",
    )


def unsupported_type(message: str) -> ServiceError:
    return ServiceError("UnsupportedParameterType", message)


def invalid_filter_key(message: str) -> ServiceError:
    return ServiceError("InvalidFilterKey", message)


def invalid_filter_option(message: str) -> ServiceError:
    return ServiceError("InvalidFilterOption", message)


def invalid_filter_value(message: str) -> ServiceError:
    return ServiceError("InvalidFilterValue", message)


def invalid_next_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The specified token isn't valid.")


def setting_not_found() -> ServiceError:
    return ServiceError(
        "ServiceSettingNotFound",
        "The specified service setting wasn't found. Either the service name or the setting hasn't "
        "been provisioned by the AWS service team. Contact the AWS service team for assistance.",
    )


def invalid_resource_type() -> ServiceError:
    return ServiceError("InvalidResourceType", "The resource type isn't valid.")


def invalid_resource_id() -> ServiceError:
    return ServiceError(
        "InvalidResourceId", "The resource ID isn't valid. Verify that you entered the correct ID."
    )


def too_many_tags() -> ServiceError:
    return ServiceError(
        "TooManyTagsError",
        "The Targets parameter includes too many tags. Remove one or more tags and try the command again.",
    )
