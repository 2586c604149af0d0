"""Signature failures as AWS answers them: one failure kind, one code and status per protocol.

`auth_error(kind, family, message)` is the only place that knows that a wrong signature is
InvalidSignatureException 400 to KMS, SignatureDoesNotMatch 403 to STS and S3 and AuthFailure 401
to EC2. Sources for the non-obvious codes are cited next to each rule.
"""

from __future__ import annotations

from strongroom.aws.errors import AuthError

__all__ = ["SignatureFormatError", "auth_error"]


_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_S3_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_EC2_AUTH_FAILURE = "AWS was not able to validate the provided access credentials"
_INVALID_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
_MISSING_TOKEN = "Request is missing Authentication Token"
_EC2_EXPIRED = "Request has expired."

# The JSON and RPCv2-CBOR services sit behind the same front end and answer alike; rest-json
# services (Lambda, GuardDuty …) answer with the same codes but 403; the only rest-xml service
# Strongroom serves is S3, so "rest-xml" means S3's codes.
_GROUP_OF_FAMILY = {
    "json": "json",
    "smithy-rpc-v2-cbor": "json",
    "rest-json": "rest-json",
    "query": "query",
    "ec2": "ec2",
    "rest-xml": "s3",
    "s3": "s3",
}

_Rule = tuple[str, int, str]

_RULES: dict[str, dict[str, _Rule]] = {
    # KMS/DynamoDB: InvalidSignatureException 400 (aws/aws-sdk-js#254); Lambda (rest-json):
    # 403 with x-amzn-ErrorType InvalidSignatureException (erlcloud/erlcloud#690); STS/IAM:
    # SignatureDoesNotMatch 403; EC2: AuthFailure 401 (markcaudill/haproxy-autoscale#20).
    "signature_mismatch": {
        "json": ("InvalidSignatureException", 400, _SIGNATURE_MISMATCH),
        "rest-json": ("InvalidSignatureException", 403, _SIGNATURE_MISMATCH),
        "query": ("SignatureDoesNotMatch", 403, _SIGNATURE_MISMATCH),
        "ec2": ("AuthFailure", 401, _EC2_AUTH_FAILURE),
        "s3": ("SignatureDoesNotMatch", 403, _S3_SIGNATURE_MISMATCH),
    },
    # JSON: UnrecognizedClientException 400 (aws/aws-encryption-sdk-java#9, Kinesis/DynamoDB);
    # Lambda answers it with 403 (iann0036/iamlive#58); query: InvalidClientTokenId 403 (AWS
    # "Common Errors" pages).
    "unknown_key": {
        "json": ("UnrecognizedClientException", 400, _INVALID_TOKEN),
        "rest-json": ("UnrecognizedClientException", 403, _INVALID_TOKEN),
        "query": ("InvalidClientTokenId", 403, _INVALID_TOKEN),
        "ec2": ("AuthFailure", 401, _EC2_AUTH_FAILURE),
        "s3": (
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
    },
    # Query: MissingAuthenticationToken 403 (Common Errors); the JSON front end names it
    # MissingAuthenticationTokenException (400); API-Gateway-style rest-json answers 403.
    "missing": {
        "json": ("MissingAuthenticationTokenException", 400, _MISSING_TOKEN),
        "rest-json": ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
        "query": ("MissingAuthenticationToken", 403, _MISSING_TOKEN),
        "ec2": ("MissingAuthenticationToken", 401, _MISSING_TOKEN),
        "s3": ("AccessDenied", 403, "Access Denied"),
    },
    # JSON: IncompleteSignatureException 400 (iann0036/cloud9-sync#10); rest-json 403
    # (aws/chalice#828); query: IncompleteSignature 400 (Common Errors; brendanhay/amazonka#316).
    "incomplete": {
        "json": (
            "IncompleteSignatureException",
            400,
            "The request signature does not conform to AWS standards.",
        ),
        "rest-json": (
            "IncompleteSignatureException",
            403,
            "The request signature does not conform to AWS standards.",
        ),
        "query": ("IncompleteSignature", 400, "The request signature does not conform to AWS standards."),
        "ec2": ("IncompleteSignature", 400, "The request signature does not conform to AWS standards."),
        "s3": (
            "AuthorizationHeaderMalformed",
            400,
            "The authorization header is malformed; the authorization header requires three components: "
            "Credential, SignedHeaders, and Signature.",
        ),
    },
    "incomplete_query": {
        "s3": (
            "AuthorizationQueryParametersError",
            400,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ),
    },
    # A header-signed request outside ±15 minutes. JSON: InvalidSignatureException 400 "Signature
    # expired: …" (aws/aws-sdk-js#254); STS/IAM: SignatureDoesNotMatch 403 with the same message
    # (aws/aws-cli#6676); EC2: RequestExpired 400 (aws/aws-sdk-java#1443); S3:
    # RequestTimeTooSkewed 403 with RequestTime/ServerTime/MaxAllowedSkewMilliseconds (aws/aws-sdk-php#612).
    "skew": {
        "json": ("InvalidSignatureException", 400, "Signature expired"),
        "rest-json": ("InvalidSignatureException", 403, "Signature expired"),
        "query": ("SignatureDoesNotMatch", 403, "Signature expired"),
        "ec2": ("RequestExpired", 400, _EC2_EXPIRED),
        "s3": (
            "RequestTimeTooSkewed",
            403,
            "The difference between the request time and the current time is too large.",
        ),
    },
    # A presigned URL past X-Amz-Date + X-Amz-Expires: S3 says AccessDenied "Request has expired"
    # with X-Amz-Expires/Expires/ServerTime (aws/aws-sdk-php#1333).
    "expired_request": {
        "s3": ("AccessDenied", 403, "Request has expired"),
    },
    "not_yet_valid": {
        "s3": ("AccessDenied", 403, "Request is not valid yet"),
    },
    # JSON: ExpiredTokenException 400; STS/IAM: ExpiredToken 403 (aws/aws-sdk-java-v2#1649,
    # cfn-sphere/cfn-sphere#55); S3: ExpiredToken 400 (embulk/embulk-input-s3#43); EC2 answers
    # expired session credentials with RequestExpired (aws/aws-sdk-go-v2#1674).
    "expired_token": {
        "json": ("ExpiredTokenException", 400, _EXPIRED_TOKEN),
        "rest-json": ("ExpiredTokenException", 403, _EXPIRED_TOKEN),
        "query": ("ExpiredToken", 403, _EXPIRED_TOKEN),
        "ec2": ("RequestExpired", 400, _EC2_EXPIRED),
        "s3": ("ExpiredToken", 400, "The provided token has expired."),
    },
    "content_sha_mismatch": {
        "s3": (
            "XAmzContentSHA256Mismatch",
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
    },
    "missing_content_sha": {
        "s3": ("InvalidRequest", 400, "Missing required header for this request: x-amz-content-sha256"),
    },
    "invalid_content_sha": {
        "s3": (
            "InvalidArgument",
            400,
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER "
            "or a valid sha256 value.",
        ),
    },
    "malformed_body": {"s3": ("InvalidRequest", 400, "Invalid aws-chunked request body")},
    "incomplete_body": {"s3": ("IncompleteBody", 400, "The request body terminated unexpectedly")},
    "missing_decoded_length": {
        "s3": ("MissingContentLength", 411, "You must provide the x-amz-decoded-content-length HTTP header.")
    },
    "bad_digest": {
        "s3": (
            "BadDigest",
            400,
            "The Content-MD5 or checksum value that you specified did not match what the server received.",
        )
    },
}

# Where a family has no rule of its own for a kind, it answers as for this kind instead.
_FALLBACK = {
    "incomplete_query": "incomplete",
    "expired_request": "skew",
    "not_yet_valid": "skew",
    "content_sha_mismatch": "signature_mismatch",
    "missing_content_sha": "incomplete",
    "invalid_content_sha": "incomplete",
    "malformed_body": "signature_mismatch",
    "incomplete_body": "signature_mismatch",
    "missing_decoded_length": "incomplete",
    "bad_digest": "signature_mismatch",
}


def auth_error(kind: str, family: str, message: str, *, extra: dict[str, object] | None = None) -> AuthError:
    """The AWS error for a signature failure `kind` in protocol `family`.

    Kinds: signature_mismatch, unknown_key, missing, incomplete, incomplete_query, skew,
    expired_request, not_yet_valid, expired_token, content_sha_mismatch, missing_content_sha,
    invalid_content_sha, malformed_body, incomplete_body, missing_decoded_length, bad_digest.
    Families: json, query, ec2, rest-xml (S3), rest-json, smithy-rpc-v2-cbor, and "s3".
    An empty `message` takes AWS's own message; `extra` (S3's error fields) is kept for S3 only.
    """
    group = _GROUP_OF_FAMILY.get(family)
    if group is None:
        raise ValueError(f"unknown protocol family {family!r}")
    rules = _RULES.get(kind)
    if rules is None:
        raise ValueError(f"unknown signature failure kind {kind!r}")
    while group not in rules:
        rules = _RULES[_FALLBACK[kind]]
        kind = _FALLBACK[kind]
    code, status, default_message = rules[group]
    return AuthError(
        message or default_message,
        code=code,
        status=status,
        extra=extra if group == "s3" else None,
    )


class SignatureFormatError(AuthError):
    """A malformed Authorization header or presigned query (IncompleteSignature until remapped).

    `parse_authorization` does not know the protocol yet; the gateway re-answers it with
    `err.for_family(family)` once it does.
    """

    code = "IncompleteSignature"
    status = 400

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    def for_family(self, family: str) -> AuthError:
        return auth_error(self.kind, family, self.message)
