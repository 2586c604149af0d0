"""AWS errors, as every protocol serializes them.

The tree::

    AWSError                               any error answered to a client (code, HTTP status, message)
    ├── ClientError                        the caller's fault (sender fault, 4xx)
    │   ├── ValidationError                ValidationException, 400: the input breaks its shape
    │   ├── SerializationError             SerializationException, 400: the body cannot be parsed
    │   ├── AccessDenied                   AccessDeniedException / AccessDenied, 403
    │   ├── AuthError                      signature and credential failures (code per protocol)
    │   ├── ThrottlingError                ThrottlingException, 400
    │   ├── UnknownOperation               UnknownOperationException, 400
    │   └── ServiceError                   any code a service model declares (e.g. NotFoundException)
    └── ServerError                        our fault (5xx)
        ├── InternalFailure                InternalFailure, 500 (a bug: never raised on purpose)
        ├── NotImplementedOperation        NotImplemented, 501: an operation Strongroom lacks
        └── ServiceUnavailable             ServiceUnavailable, 503

A service raises `ServiceError("NotFoundException", "...", status=400)` for the codes its
model declares; the protocol layer chooses the wire form (`__type`, `<Error><Code>`,
`x-amzn-ErrorType`). Messages never contain a secret.
"""

from __future__ import annotations


class AWSError(Exception):
    """An error answered to the client with an AWS error code and HTTP status."""

    code: str = "InternalFailure"
    status: int = 500
    sender_fault: bool = False

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        # Additional members of the model's error shape (e.g. S3's BucketName); serialized as fields.
        self.extra: dict[str, object] = dict(extra or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status}, message={self.message!r})"


class ClientError(AWSError):
    """The caller's fault: a 4xx with the sender-fault flag."""

    code = "InvalidRequest"
    status = 400
    sender_fault = True


class ValidationError(ClientError):
    """ValidationException (400): a member is missing, too long, out of range or not in its enum."""

    code = "ValidationException"


class SerializationError(ClientError):
    """SerializationException (400): the request body is not valid for the protocol."""

    code = "SerializationException"


class AccessDenied(ClientError):
    """AccessDeniedException (403): the policy evaluation did not allow the call."""

    code = "AccessDeniedException"
    status = 403


class AuthError(ClientError):
    """A SigV4 or credential failure; `code` is the protocol's own (e.g. SignatureDoesNotMatch)."""

    code = "InvalidSignatureException"
    status = 403


class ThrottlingError(ClientError):
    """ThrottlingException (400): a request-rate quota was exceeded."""

    code = "ThrottlingException"


class UnknownOperation(ClientError):
    """UnknownOperationException (400): the request names no operation of the service."""

    code = "UnknownOperationException"


class ServiceError(ClientError):
    """An error code declared by a service model, e.g. `ServiceError("NotFoundException", msg)`."""

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        status: int = 400,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status, extra=extra)


class ServerError(AWSError):
    """Our fault: a 5xx."""

    code = "InternalFailure"
    status = 500


class InternalFailure(ServerError):
    """InternalFailure (500): an unexpected error; always a bug."""

    code = "InternalFailure"


class NotImplementedOperation(ServerError):
    """NotImplemented (501): an operation of the model that Strongroom does not implement yet."""

    code = "NotImplemented"
    status = 501

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(f"Strongroom does not implement {service}:{operation} yet")


class ServiceUnavailable(ServerError):
    """ServiceUnavailable (503): the server is not ready or is shutting down."""

    code = "ServiceUnavailable"
    status = 503
