"""Server-side encryption: which SSE a write gets, its data keys, and opening them again.

Every object has its own 256-bit data key (two for DSSE-KMS); the envelope stored with the
version says how to get it back, and never holds a key in the clear:

- SSE-S3 (``AES256``): a random key sealed under the root of trust (purpose ``s3/object-key``,
  record = the object's data id): S3's "AWS owned key", independent of KMS.
- SSE-KMS (``aws:kms``): a data key from ``kms:GenerateDataKey`` on the caller's behalf with the
  encryption context ``aws:s3:arn`` = the object ARN (plus the caller's own context); reads call
  ``kms:Decrypt``. With an S3 Bucket Key the data key comes from KMS once per bucket (context
  ``aws:s3:arn`` = the bucket ARN) and each object's key is derived from it with HKDF and a
  random salt; the bucket key's plaintext is cached per caller for a few minutes, so a caller
  has been authorized by KMS for the key it uses.
- DSSE-KMS (``aws:kms:dsse``): two independent KMS data keys, two AES-256-GCM layers.
- SSE-C: a random key wrapped with AES-GCM under the customer's key; what S3 keeps to recognise
  the customer key is a salted HMAC-SHA256 of it, never the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AccessDenied, AWSError, ServiceError
from strongroom.core.crypto import AesGcmKey, SealError, canonical_aad, hkdf_sha256, random_key
from strongroom.services.s3.buckets import Bucket
from strongroom.services.s3.errors import access_denied, invalid_argument, invalid_request
from strongroom.services.s3.names import bucket_arn, object_arn
from strongroom.services.s3.tables import s3_bucket_keys

AES256 = "AES256"
KMS = "aws:kms"
DSSE = "aws:kms:dsse"
SSE_C = "SSE-C"
DEFAULT_KMS_KEY = "alias/aws/s3"
_SEAL_PURPOSE = "s3/object-key"
_BUCKET_KEY_LIFETIME = 24 * 3600.0
_BUCKET_KEY_CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class CustomerKey:
    """The SSE-C key of one request (checked against its MD5)."""

    key: bytes
    md5: str

    def __repr__(self) -> str:
        return f"CustomerKey(md5={self.md5!r})"


@dataclass(frozen=True)
class Choice:
    """The SSE a write gets."""

    algorithm: str  # AES256, aws:kms, aws:kms:dsse or SSE-C
    kms_key: str | None = None
    context: dict[str, str] | None = None
    bucket_key: bool = False
    customer: CustomerKey | None = None


# --- what the request asks for -------------------------------------------------------------------


def customer_key(
    ctx: RequestContext, request: dict[str, Any], prefix: str = "SSECustomer"
) -> CustomerKey | None:
    """The request's SSE-C key (`prefix` CopySourceSSECustomer for a copy's source), checked."""
    algorithm = request.get(f"{prefix}Algorithm")
    key_text = request.get(f"{prefix}Key")
    md5_text = request.get(f"{prefix}KeyMD5")
    if algorithm is None and key_text is None and md5_text is None:
        return None
    if not secure_enough(ctx):
        raise invalid_request(
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a "
            "secure connection."
        )
    if algorithm is None:
        raise invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid "
            "encryption algorithm.",
            "x-amz-server-side-encryption-customer-algorithm",
            "null",
        )
    if algorithm != AES256:
        raise ServiceError(
            "InvalidEncryptionAlgorithmError",
            "The encryption request you specified is not valid. The valid value is AES256.",
            extra={
                "ArgumentName": "x-amz-server-side-encryption-customer-algorithm",
                "ArgumentValue": algorithm,
            },
        )
    if key_text is None:
        raise invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an "
            "appropriate secret key.",
            "x-amz-server-side-encryption-customer-key",
            "null",
        )
    try:
        key = base64.b64decode(key_text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise invalid_argument(
            "The secret key was invalid for the specified algorithm.",
            "x-amz-server-side-encryption-customer-key",
            "",
        )
    digest = base64.b64encode(hashlib.md5(key).digest()).decode()  # noqa: S324 - AWS's key check
    if md5_text is None:
        raise invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the "
            "client calculated MD5 of the secret key.",
            "x-amz-server-side-encryption-customer-key-MD5",
            "null",
        )
    if not hmac.compare_digest(digest, md5_text):
        raise invalid_argument(
            "The calculated MD5 hash of the key did not match the hash that was provided.",
            "x-amz-server-side-encryption-customer-key-MD5",
            "",
        )
    return CustomerKey(key, digest)


def secure_enough(ctx: RequestContext) -> bool:
    """TLS, or plain HTTP from loopback on a `--dev` server (local tests)."""
    if ctx.secure_transport:
        return True
    if not ctx.kernel.dev:
        return False
    try:
        return ipaddress.ip_address(ctx.source_ip).is_loopback
    except ValueError:
        return False


def kms_context(request: dict[str, Any]) -> dict[str, str]:
    text = request.get("SSEKMSEncryptionContext")
    if not text:
        return {}
    try:
        value = json.loads(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise invalid_argument(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string "
            "holding JSON which represents a string-string map",
            "x-amz-server-side-encryption-context",
            "",
        ) from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise invalid_argument(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string "
            "holding JSON which represents a string-string map",
            "x-amz-server-side-encryption-context",
            "",
        )
    return dict(value)


def choose(ctx: RequestContext, bucket: Bucket, request: dict[str, Any]) -> Choice:
    """The SSE of a write: the request's headers, else the bucket's default encryption."""
    algorithm = request.get("ServerSideEncryption")
    kms_key = request.get("SSEKMSKeyId")
    customer = customer_key(ctx, request)
    if customer is not None:
        if algorithm is not None:
            raise invalid_argument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption "
                "method specified",
                "x-amz-server-side-encryption",
                str(algorithm),
            )
        if SSE_C in bucket.blocked_encryption_types:
            raise access_denied(
                "Requests specifying Server Side Encryption with Customer provided keys are blocked for "
                "this bucket (BlockedEncryptionTypes)."
            )
        return Choice(SSE_C, customer=customer)
    if kms_key is not None and algorithm not in (KMS, DSSE):
        raise invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header "
            "x-amz-server-side-encryption : aws:kms",
            "x-amz-server-side-encryption-aws-kms-key-id",
            str(kms_key),
        )
    if request.get("SSEKMSEncryptionContext") and algorithm not in (KMS, DSSE):
        raise invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header "
            "x-amz-server-side-encryption : aws:kms",
            "x-amz-server-side-encryption-context",
            "",
        )
    default = bucket.default_encryption
    if algorithm is None:
        algorithm = default.get("SSEAlgorithm", AES256)
        if algorithm in (KMS, DSSE):
            kms_key = default.get("KMSMasterKeyID")
    if algorithm not in (AES256, KMS, DSSE):
        raise invalid_argument(
            "The encryption method specified is not supported", "x-amz-server-side-encryption", algorithm
        )
    if algorithm == AES256:
        return Choice(AES256)
    bucket_key = request.get("BucketKeyEnabled")
    if bucket_key is None:
        bucket_key = bool(bucket.bucket_key_enabled)
    return Choice(
        algorithm,
        kms_key=kms_key or DEFAULT_KMS_KEY,
        context=kms_context(request),
        # DSSE-KMS does not use S3 Bucket Keys (AWS ignores the setting for it).
        bucket_key=bool(bucket_key) and algorithm == KMS,
    )


# --- KMS on the caller's behalf --------------------------------------------------------------------


def kms_call(ctx: RequestContext, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """A KMS call through S3, with KMS's errors as S3 answers them."""
    try:
        return ctx.call("kms", operation, params, region=region)
    except AWSError as error:
        if error.code == "AccessDeniedException" or isinstance(error, AccessDenied):
            raise access_denied(error.message or "Access Denied") from None
        if error.code == "ThrottlingException":
            raise ServiceError("SlowDown", "Please reduce your request rate.", status=503) from None
        if error.status >= 500:
            raise
        raise ServiceError(f"KMS.{error.code}", error.message, status=400) from None


class BucketKeyCache:
    """Plaintext S3 Bucket Keys, per bucket key and caller, for a few minutes (per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[bytes, str], tuple[float, bytes, str]] = {}

    def get(self, ciphertext: bytes, caller: str) -> tuple[bytes, str] | None:
        """(plaintext, KMS key ARN) if this caller opened this bucket key recently."""
        name = (hashlib.sha256(ciphertext).digest(), caller)
        with self._lock:
            found = self._entries.get(name)
            if found is None or time.monotonic() - found[0] > _BUCKET_KEY_CACHE_SECONDS:
                self._entries.pop(name, None)
                return None
            return found[1], found[2]

    def put(self, ciphertext: bytes, caller: str, plaintext: bytes, kms_key_arn: str) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[(hashlib.sha256(ciphertext).digest(), caller)] = (
                time.monotonic(),
                plaintext,
                kms_key_arn,
            )


BUCKET_KEYS = BucketKeyCache()


def _bucket_key(ctx: RequestContext, bucket: Bucket, kms_key: str) -> tuple[bytes, bytes, str]:
    """(plaintext, ciphertext, KMS key ARN) of the bucket's current S3 Bucket Key for `kms_key`."""
    caller = ctx.principal.arn
    now = ctx.now()
    with ctx.kernel.db.read() as conn:
        row = conn.execute(
            select(s3_bucket_keys).where(
                s3_bucket_keys.c.bucket == bucket.name, s3_bucket_keys.c.kms_key_arn == kms_key
            )
        ).first()
    if row is not None and (now - row.created_at).total_seconds() < _BUCKET_KEY_LIFETIME:
        blob = bytes(row.ciphertext)
        cached = BUCKET_KEYS.get(blob, caller)
        if cached is not None:
            return cached[0], blob, cached[1]
        opened = kms_call(
            ctx,
            bucket.region,
            "Decrypt",
            {"CiphertextBlob": blob, "EncryptionContext": {"aws:s3:arn": bucket_arn(bucket.name)}},
        )
        BUCKET_KEYS.put(blob, caller, opened["Plaintext"], str(opened["KeyId"]))
        return opened["Plaintext"], blob, str(opened["KeyId"])
    generated = kms_call(
        ctx,
        bucket.region,
        "GenerateDataKey",
        {
            "KeyId": kms_key,
            "KeySpec": "AES_256",
            "EncryptionContext": {"aws:s3:arn": bucket_arn(bucket.name)},
        },
    )
    blob, plaintext, arn = generated["CiphertextBlob"], generated["Plaintext"], str(generated["KeyId"])
    with ctx.kernel.db.write() as conn:
        conn.execute(
            delete(s3_bucket_keys).where(
                s3_bucket_keys.c.bucket == bucket.name, s3_bucket_keys.c.kms_key_arn == kms_key
            )
        )
        conn.execute(
            insert(s3_bucket_keys).values(
                bucket=bucket.name, kms_key_arn=kms_key, ciphertext=blob, created_at=now
            )
        )
    BUCKET_KEYS.put(blob, caller, plaintext, arn)
    return plaintext, blob, arn


def derive_object_key(bucket_key: bytes, salt: bytes, key: str, data_id: str, bucket: str) -> bytes:
    return hkdf_sha256(
        bucket_key,
        salt=salt,
        info=canonical_aad("strongroom s3 bucket-key object v1", object_arn(bucket, key), data_id),
    )


# --- sealing a new object's keys and opening them ----------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def new_keys(
    ctx: RequestContext, bucket: Bucket, key: str, data_id: str, choice: Choice
) -> tuple[list[AesGcmKey], dict[str, Any]]:
    """Fresh data keys for a new object (or upload) and the envelope that recovers them."""
    if choice.algorithm == AES256:
        dek = random_key()
        sealed = ctx.kernel.root.seal(dek, purpose=_SEAL_PURPOSE, record=data_id)
        return [AesGcmKey(dek)], {"sse": AES256, "sealed": b64(sealed)}
    if choice.algorithm == SSE_C:
        assert choice.customer is not None
        dek = random_key()
        wrapped = AesGcmKey(choice.customer.key).encrypt(
            dek, canonical_aad("strongroom s3 sse-c v1", data_id)
        )
        salt = os.urandom(16)
        check = hmac.new(salt, choice.customer.key, hashlib.sha256).digest()
        envelope: dict[str, Any] = {
            "sse": SSE_C,
            "wrapped": b64(wrapped),
            "salt": b64(salt),
            "hmac": b64(check),
            "key_md5": choice.customer.md5,
        }
        return [AesGcmKey(dek)], envelope
    assert choice.kms_key is not None
    context = {**(choice.context or {}), "aws:s3:arn": object_arn(bucket.name, key)}
    if choice.bucket_key:
        bucket_key, blob, arn = _bucket_key(ctx, bucket, choice.kms_key)
        salt = os.urandom(16)
        dek = derive_object_key(bucket_key, salt, key, data_id, bucket.name)
        envelope = {
            "sse": KMS,
            "kms_key": arn,
            "bucket_key": True,
            "blob": b64(blob),
            "salt": b64(salt),
            "context": choice.context or {},
        }
        return [AesGcmKey(dek)], envelope
    layers = 2 if choice.algorithm == DSSE else 1
    keys: list[AesGcmKey] = []
    blobs: list[str] = []
    arn = choice.kms_key
    for _ in range(layers):
        generated = kms_call(
            ctx,
            bucket.region,
            "GenerateDataKey",
            {"KeyId": choice.kms_key, "KeySpec": "AES_256", "EncryptionContext": context},
        )
        keys.append(AesGcmKey(generated["Plaintext"]))
        blobs.append(b64(generated["CiphertextBlob"]))
        arn = str(generated["KeyId"])
    return keys, {"sse": choice.algorithm, "kms_key": arn, "blobs": blobs, "context": context}


def open_keys(
    ctx: RequestContext,
    bucket: Bucket,
    key: str,
    data_id: str,
    envelope: dict[str, Any],
    customer: CustomerKey | None,
) -> list[AesGcmKey]:
    """The data keys of a stored object (SSE-C needs the request's matching customer key)."""
    sse = envelope.get("sse")
    if sse == SSE_C:
        if customer is None:
            raise invalid_request(
                "The object was stored using a form of Server Side Encryption. The correct parameters must "
                "be provided to retrieve the object."
            )
        check = hmac.new(unb64(envelope["salt"]), customer.key, hashlib.sha256).digest()
        if not hmac.compare_digest(check, unb64(envelope["hmac"])):
            raise access_denied()
        try:
            dek = AesGcmKey(customer.key).decrypt(
                unb64(envelope["wrapped"]), canonical_aad("strongroom s3 sse-c v1", data_id)
            )
        except SealError:
            raise access_denied() from None
        return [AesGcmKey(dek)]
    if customer is not None:
        raise invalid_request("The encryption parameters are not applicable to this object.")
    if sse == AES256:
        dek = ctx.kernel.root.open(unb64(envelope["sealed"]), purpose=_SEAL_PURPOSE, record=data_id)
        return [AesGcmKey(dek)]
    if envelope.get("bucket_key"):
        blob = unb64(envelope["blob"])
        cached = BUCKET_KEYS.get(blob, ctx.principal.arn)
        if cached is None:
            opened = kms_call(
                ctx,
                bucket.region,
                "Decrypt",
                {"CiphertextBlob": blob, "EncryptionContext": {"aws:s3:arn": bucket_arn(bucket.name)}},
            )
            plaintext: bytes = opened["Plaintext"]
            BUCKET_KEYS.put(blob, ctx.principal.arn, plaintext, str(opened["KeyId"]))
        else:
            plaintext = cached[0]
        return [AesGcmKey(derive_object_key(plaintext, unb64(envelope["salt"]), key, data_id, bucket.name))]
    keys = []
    for blob_text in envelope["blobs"]:
        opened = kms_call(
            ctx,
            bucket.region,
            "Decrypt",
            {"CiphertextBlob": unb64(blob_text), "EncryptionContext": envelope["context"]},
        )
        keys.append(AesGcmKey(opened["Plaintext"]))
    return keys


def response_headers(envelope: dict[str, Any]) -> dict[str, Any]:
    """The SSE members AWS returns for an object with this envelope."""
    sse = envelope.get("sse")
    if sse == SSE_C:
        return {"SSECustomerAlgorithm": AES256, "SSECustomerKeyMD5": envelope["key_md5"]}
    result: dict[str, Any] = {"ServerSideEncryption": sse or AES256}
    if sse in (KMS, DSSE):
        result["SSEKMSKeyId"] = envelope["kms_key"]
        if envelope.get("bucket_key"):
            result["BucketKeyEnabled"] = True
    return result


def kms_key_of(envelope: dict[str, Any]) -> str | None:
    return envelope.get("kms_key") if envelope.get("sse") in (KMS, DSSE) else None
