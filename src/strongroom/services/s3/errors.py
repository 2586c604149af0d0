"""S3's errors as AWS answers them: code, HTTP status and message, with S3's extra fields."""

from __future__ import annotations

from strongroom.aws.errors import AccessDenied, ServiceError


def no_such_bucket(bucket: str) -> ServiceError:
    return ServiceError(
        "NoSuchBucket", "The specified bucket does not exist", status=404, extra={"BucketName": bucket}
    )


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", status=404, extra={"Key": key})


def no_such_version(key: str, version_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchVersion",
        "The specified version does not exist.",
        status=404,
        extra={"Key": key, "VersionId": version_id},
    )


def no_such_upload(upload_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
        "aborted or completed.",
        status=404,
        extra={"UploadId": upload_id},
    )


def invalid_argument(message: str, name: str | None = None, value: str | None = None) -> ServiceError:
    extra: dict[str, object] = {}
    if name is not None:
        extra["ArgumentName"] = name
        extra["ArgumentValue"] = value or ""
    return ServiceError("InvalidArgument", message, extra=extra)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message)


def access_denied(message: str = "Access Denied") -> AccessDenied:
    return AccessDenied(message, code="AccessDenied", status=403)


def malformed_xml() -> ServiceError:
    return ServiceError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def not_configured(code: str, message: str, bucket: str) -> ServiceError:
    return ServiceError(code, message, status=404, extra={"BucketName": bucket})


def precondition_failed(condition: str) -> ServiceError:
    return ServiceError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        status=412,
        extra={"Condition": condition},
    )


def not_modified() -> ServiceError:
    return ServiceError("NotModified", "Not Modified", status=304)


def bad_digest(message: str) -> ServiceError:
    return ServiceError("BadDigest", message)


def method_not_allowed(method: str, resource_type: str) -> ServiceError:
    return ServiceError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        status=405,
        extra={"Method": method, "ResourceType": resource_type},
    )
