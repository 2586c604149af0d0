"""Replication: which versions a configuration replicates, and the workers that replicate them.

A write that a rule selects marks the source version PENDING and adds a row to
`s3_replication_tasks` in the same transaction, so an acknowledged write is never forgotten.
Workers (a thread per server process) claim due tasks with a lease — `FOR UPDATE SKIP LOCKED` on
PostgreSQL, `BEGIN IMMEDIATE` on SQLite — and replicate as the configuration's IAM role:

1. S3, as the service principal `s3.amazonaws.com`, calls STS AssumeRole on the role (its trust
   policy must name the S3 service), exactly as AWS does; the session's principal is then
   resolved from the issued credentials, so session policies and expiry hold as for any caller;
2. the role must be allowed `s3:GetObjectVersionForReplication` on the source object (its IAM
   policies and the source bucket policy) and `s3:ReplicateObject` / `s3:ReplicateDelete` on
   the destination object (and, across accounts, the destination bucket policy);
3. SSE-KMS and DSSE-KMS data keys are opened with `kms:Decrypt` on the source key and sealed
   again with `kms:Encrypt` on the destination's `ReplicaKmsKeyID`, both via S3
   (`kms:ViaService` = `s3.<region>.amazonaws.com`) in the key's own region; SSE-S3 objects get
   a new data key; SSE-C objects keep their ciphertext and key check, so the customer's key
   opens the replica (AWS replicates SSE-C objects without extra configuration).

The replica keeps the version id, ETag, metadata, tags and modification time, and is marked
REPLICA; the source becomes COMPLETED, or FAILED when the role may not act or the destination
refuses. KMS throttling is passing, never a reason to fail: the task waits with a jittered
exponential backoff on the business clock (capped at `MAX_BACKOFF`) and the worker ends its pass,
so a throttled KMS is not hit again at once by every queued task (quotas refill in real time).
The attempts and the last error stay on the task row; the throttled calls are in the trail.
"""

from __future__ import annotations

import enum
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, and_, delete, insert, or_, select, update

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AWSError
from strongroom.core.iam.ids import request_id as new_request_id
from strongroom.core.iam.principals import Principal, service_principal
from strongroom.services.s3 import buckets, encryption, versions
from strongroom.services.s3.buckets import Bucket
from strongroom.services.s3.names import object_arn
from strongroom.services.s3.storage import Piece
from strongroom.services.s3.tables import s3_objects, s3_replication_tasks

if TYPE_CHECKING:
    from strongroom.services.s3.api import S3Api

log = logging.getLogger(__name__)

PENDING, COMPLETED, FAILED, REPLICA = "PENDING", "COMPLETED", "FAILED", "REPLICA"
LEASE = timedelta(seconds=120)
FIRST_BACKOFF = 0.5
MAX_BACKOFF = timedelta(minutes=5)
S3_HOST = "s3.amazonaws.com"


# --- which rule selects a version ----------------------------------------------------------------


def _rule_filter(rule: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """(prefix, tags) a rule selects by (V1 `Prefix` or V2 `Filter`)."""
    if "Filter" not in rule:
        return rule.get("Prefix") or "", {}
    spec = rule.get("Filter") or {}
    if "And" in spec:
        both = spec["And"] or {}
        return both.get("Prefix") or "", {t["Key"]: t["Value"] for t in both.get("Tags") or []}
    if "Tag" in spec:
        return "", {spec["Tag"]["Key"]: spec["Tag"]["Value"]}
    return spec.get("Prefix") or "", {}


def matching_rule(config: dict[str, Any], key: str, tags: dict[str, str]) -> dict[str, Any] | None:
    """The enabled rule with the highest priority that selects the key and tags."""
    best: dict[str, Any] | None = None
    for rule in config.get("Rules") or []:
        if rule.get("Status") != "Enabled":
            continue
        prefix, wanted = _rule_filter(rule)
        if not key.startswith(prefix) or any(tags.get(k) != v for k, v in wanted.items()):
            continue
        if best is None or int(rule.get("Priority") or 0) > int(best.get("Priority") or 0):
            best = rule
    return best


def replicates(rule: dict[str, Any], version: versions.Version) -> bool:
    """Whether AWS replicates this version under the rule (encryption and delete-marker rules)."""
    if version.replication_status == REPLICA:
        return False
    if version.delete_marker:
        _, tags = _rule_filter(rule)
        enabled = (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"
        return enabled and not tags
    if version.envelope.get("sse") in (encryption.KMS, encryption.DSSE):
        criteria = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}
        return criteria.get("Status") == "Enabled"
    return True


def enqueue_if_replicated(conn: Connection, now: datetime, bucket: Bucket, version: versions.Version) -> None:
    """Inside the write's transaction: mark the version PENDING and queue it, if a rule selects it."""
    if not bucket.replication or version.replication_status == REPLICA:
        return
    rule = matching_rule(bucket.replication, version.key, version.attributes.get("Tags") or {})
    if rule is None or not replicates(rule, version):
        return
    if not version.delete_marker:
        versions.set_fields(conn, version, replication_status=PENDING)
    conn.execute(
        insert(s3_replication_tasks).values(
            task_id=secrets.token_hex(16),
            bucket=bucket.name,
            key=version.key,
            version_id=version.version_id,
            rule_id=str(rule.get("ID") or ""),
            due_at=now,
            attempts=0,
        )
    )


# --- the worker ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    task_id: str
    bucket: str
    key: str
    version_id: str
    attempts: int


class Retry(Exception):
    """A passing failure (KMS throttling): try again later."""


class Outcome(enum.Enum):
    """What one `run_one` did: ran a task to its end, found none due, or was throttled."""

    DONE = "done"
    IDLE = "idle"
    THROTTLED = "throttled"


def backoff(attempts: int) -> timedelta:
    """The wait before the next try of a task throttled `attempts` times before: jittered."""
    ceiling = min(MAX_BACKOFF.total_seconds(), FIRST_BACKOFF * 2 ** min(attempts, 20))
    return timedelta(seconds=ceiling * (0.5 + secrets.randbelow(1000) / 2000))


def _due(now: datetime) -> ColumnElement[bool]:
    """A task whose time has come and that no worker holds a live lease on."""
    return and_(
        s3_replication_tasks.c.due_at <= now,
        or_(s3_replication_tasks.c.lease_until.is_(None), s3_replication_tasks.c.lease_until < now),
    )


class ReplicationWorker:
    """Claims due replication tasks and runs them, one at a time per process."""

    def __init__(self, api: S3Api, *, poll_seconds: float = 0.25) -> None:
        self.api = api
        self.kernel = api.kernel
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._sessions: dict[str, tuple[datetime, Principal]] = {}

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="strongroom-s3-replication", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self.run_one() is Outcome.DONE:
                    pass
            except Exception:
                log.exception("replication pass failed")
            self._wake.wait(self._poll)
            self._wake.clear()

    def claim(self) -> Task | None:
        now = self.kernel.clock.now()
        db = self.kernel.db
        # Look before taking the write lock: most polls find nothing to do, and on SQLite a write
        # transaction per poll and worker would queue behind (and hold up) the requests' writes.
        with db.read() as conn:
            if conn.execute(select(s3_replication_tasks.c.task_id).where(_due(now)).limit(1)).first() is None:
                return None
        with db.write() as conn:
            query = (
                select(s3_replication_tasks).where(_due(now)).order_by(s3_replication_tasks.c.due_at).limit(1)
            )
            if db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).first()
            if row is None:
                return None
            conn.execute(
                update(s3_replication_tasks)
                .where(s3_replication_tasks.c.task_id == row.task_id)
                .values(lease_until=now + LEASE)
            )
        return Task(row.task_id, row.bucket, row.key, row.version_id, row.attempts)

    def run_one(self) -> Outcome:
        task = self.claim()
        if task is None:
            return Outcome.IDLE
        try:
            self.replicate(task)
            self._finish(task, COMPLETED, None)
        except Retry as passing:
            self._retry(task, str(passing))
            return Outcome.THROTTLED
        except AWSError as refused:
            log.info(
                "replication of %s/%s failed: %s %s", task.bucket, task.key, refused.code, refused.message
            )
            self._finish(task, FAILED, f"{refused.code}: {refused.message}")
        except Exception as broken:
            log.exception("replication of %s/%s failed", task.bucket, task.key)
            self._finish(task, FAILED, type(broken).__name__)
        return Outcome.DONE

    def _retry(self, task: Task, reason: str) -> None:
        delay = backoff(task.attempts)
        with self.kernel.db.write() as conn:
            conn.execute(
                update(s3_replication_tasks)
                .where(s3_replication_tasks.c.task_id == task.task_id)
                .values(
                    attempts=task.attempts + 1,
                    due_at=self.kernel.clock.now() + delay,
                    lease_until=None,
                    last_error=reason[:1000],
                )
            )

    def _finish(self, task: Task, status: str, reason: str | None) -> None:
        with self.kernel.db.write() as conn:
            conn.execute(delete(s3_replication_tasks).where(s3_replication_tasks.c.task_id == task.task_id))
            conn.execute(
                update(s3_objects)
                .where(
                    s3_objects.c.bucket == task.bucket,
                    s3_objects.c.key == task.key,
                    s3_objects.c.version_id == task.version_id,
                    s3_objects.c.delete_marker.is_(False),
                )
                .values(replication_status=status)
            )
        if reason:
            log.info("replication task %s ended %s: %s", task.task_id, status, reason)

    # -- one replication ------------------------------------------------------------------------------

    def _context(self, principal: Principal, region: str, operation: str) -> RequestContext:
        dispatcher = self.api.dispatcher
        assert dispatcher is not None
        return RequestContext(
            kernel=self.kernel,
            dispatcher=dispatcher,
            service="s3",
            operation=operation,
            region=region,
            principal=principal,
            request_id=new_request_id(),
            source_ip="",
            user_agent=S3_HOST,
            secure_transport=True,
            access_denied=("AccessDenied", 403),
        )

    def role_session(self, account_id: str, region: str, role_arn: str) -> Principal:
        """The replication role's session, assumed through STS by the S3 service principal."""
        now = self.kernel.clock.now()
        cached = self._sessions.get(role_arn)
        if cached is not None and cached[0] - now > timedelta(minutes=5):
            return cached[1]
        service = self._context(service_principal(account_id, S3_HOST), region, "ReplicateObject")
        issued = service.call(
            "sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": "s3-replication"}
        )["Credentials"]
        resolved = self.kernel.credentials.resolve(issued["AccessKeyId"], issued["SessionToken"])
        self._sessions[role_arn] = (issued["Expiration"], resolved.principal)
        return resolved.principal

    def replicate(self, task: Task) -> None:
        with self.kernel.db.read() as conn:
            source_bucket = buckets.find(conn, task.bucket)
            if source_bucket is None or not source_bucket.replication:
                raise AWSError("replication configuration removed", code="InvalidRequest", status=400)
            version = versions.get(conn, task.bucket, task.key, task.version_id)
        config = source_bucket.replication
        rule = matching_rule(config, version.key, version.attributes.get("Tags") or {})
        if rule is None:
            raise AWSError("no rule selects the object any more", code="InvalidRequest", status=400)
        destination = rule.get("Destination") or {}
        dest_name = str(destination.get("Bucket", "")).removeprefix("arn:aws:s3:::")
        role = self.role_session(source_bucket.account_id, source_bucket.region, config["Role"])
        source_ctx = self._context(role, source_bucket.region, "GetObjectVersionForReplication")
        source_ctx.authorize(
            "s3:GetObjectVersionForReplication",
            object_arn(source_bucket.name, version.key),
            resource_policy=source_bucket.policy,
            resource_account=source_bucket.account_id,
        )
        with self.kernel.db.read() as conn:
            dest_bucket = buckets.find(conn, dest_name)
        if dest_bucket is None:
            raise AWSError("destination bucket does not exist", code="NoSuchBucket", status=404)
        if destination.get("Account") and destination["Account"] != dest_bucket.account_id:
            raise AWSError("destination account does not own the bucket", code="AccessDenied", status=403)
        dest_ctx = self._context(role, dest_bucket.region, "ReplicateObject")
        dest_ctx.authorize(
            "s3:ReplicateDelete" if version.delete_marker else "s3:ReplicateObject",
            object_arn(dest_bucket.name, version.key),
            resource_policy=dest_bucket.policy,
            resource_account=dest_bucket.account_id,
        )
        if not dest_bucket.versioned:
            raise AWSError("destination bucket is not versioned", code="InvalidRequest", status=400)
        if version.delete_marker:
            self._store_replica(dest_bucket, version, version.envelope, version.pieces, version.data_id)
            return
        sse = version.envelope.get("sse")
        if sse == encryption.SSE_C:
            if encryption.SSE_C in dest_bucket.blocked_encryption_types:
                raise AWSError("SSE-C is blocked on the destination", code="AccessDenied", status=403)
            pieces = [Piece(self.api.store.copy_file(p.file), p.size, p.part) for p in version.pieces]
            self._store_replica(dest_bucket, version, version.envelope, pieces, version.data_id)
            return
        keys = self._open_as_role(source_ctx, source_bucket, version)
        body = self.api.store.read(keys, version.data_id, version.pieces, 0, version.size)
        data_id = secrets.token_hex(16)
        replica_keys, envelope = self._seal_as_role(dest_ctx, dest_bucket, version, rule, data_id)
        piece = self.api.store.write(replica_keys, data_id, 0, body)
        try:
            self._store_replica(dest_bucket, version, envelope, [piece], data_id, single=True)
        except BaseException:
            self.api.store.delete([piece.file])
            raise

    def _kms(
        self, ctx: RequestContext, region: str, operation: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            return ctx.call("kms", operation, params, region=region)
        except AWSError as error:
            if error.code in ("ThrottlingException", "LimitExceededException"):
                raise Retry(f"KMS {operation}: {error.code}") from None
            raise

    def _open_as_role(self, ctx: RequestContext, bucket: Bucket, version: versions.Version) -> list[Any]:
        envelope = version.envelope
        if envelope.get("sse") in (encryption.KMS, encryption.DSSE):
            from strongroom.core.crypto import AesGcmKey

            if envelope.get("bucket_key"):
                opened = self._kms(
                    ctx,
                    bucket.region,
                    "Decrypt",
                    {
                        "CiphertextBlob": encryption.unb64(envelope["blob"]),
                        "EncryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{bucket.name}"},
                    },
                )
                return [
                    AesGcmKey(
                        encryption.derive_object_key(
                            opened["Plaintext"],
                            encryption.unb64(envelope["salt"]),
                            version.key,
                            version.data_id,
                            bucket.name,
                        )
                    )
                ]
            keys = []
            for blob in envelope["blobs"]:
                opened = self._kms(
                    ctx,
                    bucket.region,
                    "Decrypt",
                    {"CiphertextBlob": encryption.unb64(blob), "EncryptionContext": envelope["context"]},
                )
                keys.append(AesGcmKey(opened["Plaintext"]))
            return keys
        return encryption.open_keys(ctx, bucket, version.key, version.data_id, envelope, None)

    def _seal_as_role(
        self,
        ctx: RequestContext,
        bucket: Bucket,
        version: versions.Version,
        rule: dict[str, Any],
        data_id: str,
    ) -> tuple[list[Any], dict[str, Any]]:
        from strongroom.core.crypto import AesGcmKey, random_key

        sse = version.envelope.get("sse")
        if sse not in (encryption.KMS, encryption.DSSE):
            return encryption.new_keys(
                ctx, bucket, version.key, data_id, encryption.Choice(encryption.AES256)
            )
        replica_key = ((rule.get("Destination") or {}).get("EncryptionConfiguration") or {}).get(
            "ReplicaKmsKeyID"
        )
        context = {
            **(version.envelope.get("context") or {}),
            "aws:s3:arn": object_arn(bucket.name, version.key),
        }
        context.pop("aws:s3:arn", None)
        context["aws:s3:arn"] = object_arn(bucket.name, version.key)
        keys: list[Any] = []
        blobs: list[str] = []
        arn = str(replica_key)
        for _ in range(2 if sse == encryption.DSSE else 1):
            dek = random_key()
            sealed = self._kms(
                ctx,
                bucket.region,
                "Encrypt",
                {"KeyId": replica_key, "Plaintext": dek, "EncryptionContext": context},
            )
            keys.append(AesGcmKey(dek))
            blobs.append(encryption.b64(sealed["CiphertextBlob"]))
            arn = str(sealed["KeyId"])
        return keys, {"sse": sse, "kms_key": arn, "blobs": blobs, "context": context}

    def _store_replica(
        self,
        bucket: Bucket,
        version: versions.Version,
        envelope: dict[str, Any],
        pieces: list[Piece],
        data_id: str,
        *,
        single: bool = False,
    ) -> None:
        attributes = dict(version.attributes)
        if single and attributes.get("PartsCount"):
            attributes.pop("PartsCount")
        new = versions.NewVersion(
            key=version.key,
            size=version.size,
            etag=version.etag,
            attributes=attributes,
            envelope=envelope,
            pieces=pieces,
            data_id=data_id,
            last_modified=version.last_modified,
            delete_marker=version.delete_marker,
            replication_status=None if version.delete_marker else REPLICA,
            version_id=version.version_id,
        )
        with self.kernel.db.write() as conn:
            current = buckets.require(conn, bucket.name)
            exists = conn.execute(
                select(s3_objects.c.version_id).where(
                    s3_objects.c.bucket == bucket.name,
                    s3_objects.c.key == version.key,
                    s3_objects.c.version_id == version.version_id,
                )
            ).first()
            if exists is not None:
                obsolete = [p.file for p in pieces]
            else:
                _, obsolete = versions.add(conn, current, new)
        self.api.store.delete(obsolete)
