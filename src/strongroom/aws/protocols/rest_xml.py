"""The `rest-xml` protocol (S3): REST routing with XML bodies, raw blob payloads and S3's quirks.

S3 quirks handled here, once: virtual-hosted buckets (`bucket.s3.<anything>`, `bucket.localhost`)
are routed as the path-style `/bucket/...`; many operations share a path and are told apart by
query keys and headers (see `rest.Router`); results carry S3's root element names; GetBucketLocation
answers with a bare `<LocationConstraint>`; HEAD errors have no body.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from strongroom.aws.errors import AWSError, UnknownOperation
from strongroom.aws.http import Headers, HttpRequest, HttpResponse
from strongroom.aws.protocols import xml
from strongroom.aws.protocols.error_shapes import resolve_error
from strongroom.aws.protocols.rest import RestProtocol, body_members

XML_CONTENT_TYPE = "application/xml"

# `bucket.s3.<endpoint>` (also `s3-<region>`, `s3-website…`); the bucket may itself contain dots.
_S3_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+)\.s3[.-][^:]*$")
_LOCALHOST_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+)\.localhost$")
_IP_ADDRESS = re.compile(r"^[0-9.]+$|^\[")

# The root element S3 names each result; others default to `<Operation>Result`.
S3_RESULT_ELEMENTS = {
    "ListBuckets": "ListAllMyBucketsResult",
    "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "DeleteObjects": "DeleteResult",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketNotification": "NotificationConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetObjectAttributes": "GetObjectAttributesResponse",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
    "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
}


def virtual_host_bucket(host: str) -> str | None:
    """The bucket a virtual-hosted S3 request names in its Host, or None for path-style."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    if not name or _IP_ADDRESS.match(name) or "s3-object-lambda" in name.split("."):
        return None
    for pattern in (_S3_VIRTUAL_HOST, _LOCALHOST_VIRTUAL_HOST):
        found = pattern.match(name)
        if found is not None:
            bucket = found.group("bucket")
            # `s3.localhost` and the like are the endpoint itself, not a bucket.
            return None if bucket in ("s3", "www") else bucket
    return None


def path_style(bucket: str, raw_path: str) -> str:
    """The path-style path of a virtual-hosted request: `/bucket` + its path."""
    encoded = quote(bucket, safe="")
    return f"/{encoded}" if raw_path in ("", "/") else f"/{encoded}{raw_path}"


class RestXmlProtocol(RestProtocol):
    """restXml: REST-style routes, XML bodies, `<Error>` documents."""

    name = "rest-xml"
    content_type = XML_CONTENT_TYPE
    # Codes the kernel raises, as S3 spells them on the wire.
    generic_codes: dict[str, tuple[str, int]] = {
        "ValidationException": ("InvalidArgument", 400),
        "SerializationException": ("MalformedXML", 400),
        "AccessDeniedException": ("AccessDenied", 403),
        "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    }

    def candidate_paths(self, request: HttpRequest) -> list[str]:
        raw_path = request.raw_path or "/"
        bucket = virtual_host_bucket(request.host)
        if bucket is None:
            return [raw_path]
        # The raw path is kept as a second choice for hosts like `{RequestRoute}.s3-…` that
        # carry an operation's host prefix rather than a bucket.
        return [path_style(bucket, raw_path), raw_path]

    def unknown_operation(self, request: HttpRequest) -> AWSError:
        return UnknownOperation(
            "The specified method is not allowed against this resource.",
            code="MethodNotAllowed",
            status=405,
        )

    # --- bodies ----------------------------------------------------------------------------------

    def read_payload(self, shape: Shape, body: bytes) -> Any:
        return xml.read_element(shape, xml.parse_xml(body))

    def read_body(self, shape: StructureShape, body: bytes) -> dict[str, Any]:
        root = xml.parse_xml(body)
        return {k: v for k, v in xml.read_structure(shape, root).items() if k in body_members(shape)}

    def namespace(self, service: ServiceModel) -> str:
        explicit = service.metadata.get("xmlNamespace")
        if explicit:
            return str(explicit)
        return f"http://{service.endpoint_prefix}.amazonaws.com/doc/{service.api_version}/"

    def write_payload(self, operation: OperationModel, name: str, shape: Shape, value: Any) -> bytes:
        root = str(shape.serialization.get("name", shape.name))
        document = xml.write_element(root, shape, value, self.namespace(operation.service_model))
        return (xml.XML_DECLARATION + document).encode("utf-8")

    def write_body(self, operation: OperationModel, shape: StructureShape, result: dict[str, Any]) -> bytes:
        namespace = xml.escape_attribute(self.namespace(operation.service_model))
        if operation.name == "GetBucketLocation":
            # boto3 reads the region from the root element's own text (a pre-2006 S3 form).
            location = result.get("LocationConstraint") or ""
            document = (
                f'<LocationConstraint xmlns="{namespace}">{xml.escape_text(location)}</LocationConstraint>'
            )
            return (xml.XML_DECLARATION + document).encode("utf-8")
        if not body_members(shape):
            return b""
        root = S3_RESULT_ELEMENTS.get(operation.name) or str(
            shape.serialization.get("name", f"{operation.name}Result")
        )
        members = xml.write_structure_members(shape, result)
        document = f'<{root} xmlns="{namespace}">{members}</{root}>'
        return (xml.XML_DECLARATION + document).encode("utf-8")

    def serialize_response(
        self, operation: OperationModel, result: dict[str, Any], request_id: str
    ) -> HttpResponse:
        response = super().serialize_response(operation, result, request_id)
        if operation.name == "GetObject" and result.get("ContentRange"):
            # A Range GET is 206 Partial Content; the model has no status-code member to say so.
            response.status = 206
        return response

    def request_id_headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("x-amz-request-id", request_id), ("x-amz-id-2", request_id)]

    # --- errors ----------------------------------------------------------------------------------

    def serialize_error(
        self,
        service: ServiceModel,
        operation: OperationModel | None,
        error: AWSError,
        request_id: str,
    ) -> HttpResponse:
        wire = resolve_error(service, operation, error, self.generic_codes)
        headers = Headers(self.request_id_headers(request_id))
        if operation is not None and operation.http.get("method") == "HEAD":
            return HttpResponse(status=wire.status, headers=headers, body=b"")
        headers["Content-Type"] = XML_CONTENT_TYPE
        document = (
            f"{xml.XML_DECLARATION}<Error>{xml.error_fields(wire)}"
            f"{xml.text_element('RequestId', request_id)}</Error>"
        )
        return HttpResponse(status=wire.status, headers=headers, body=document.encode("utf-8"))


# Imported last: the registry imports every protocol module (see query.py).
from strongroom.aws.protocols.registry import PROTOCOLS  # noqa: E402

PROTOCOLS["rest-xml"] = RestXmlProtocol()
