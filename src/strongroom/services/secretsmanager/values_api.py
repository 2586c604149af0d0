"""Secret values: get (one or a batch), put, list versions, move staging labels, random passwords.

GetSecretValue reads from the read cache (`SecretsBase.readable`) and records the day of the
access (LastAccessedDate) in a background thread: the read itself touches no database on a hit,
so the server serves it on its event loop (`SecretsManagerApi.inline_operations`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AWSError
from strongroom.services.secretsmanager import listing, records, staging
from strongroom.services.secretsmanager.base import Request, Result, midnight
from strongroom.services.secretsmanager.errors import (
    MARKED_FOR_DELETION,
    exists,
    invalid_parameter,
    invalid_request,
    not_found,
)
from strongroom.services.secretsmanager.passwords import random_password
from strongroom.services.secretsmanager.records import CURRENT, Secret, Version
from strongroom.services.secretsmanager.secrets_api import SecretsApi, value_of

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

log = logging.getLogger(__name__)

MAX_BATCH = 20
_GET = "secretsmanager:GetSecretValue"
# Accesses this process has sent to be recorded (each is written once); bounded.
_MAX_ACCESSES_SENT = 10_000


class ValuesApi(SecretsApi):
    """GetSecretValue, BatchGetSecretValue, PutSecretValue, ListSecretVersionIds,
    UpdateSecretVersionStage, GetRandomPassword."""

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel)
        self._access_lock = threading.Lock()
        self._accesses_sent: set[tuple[str, str, datetime]] = set()
        self._access_writer: ThreadPoolExecutor | None = None
        # The business day of the last read, [start, end): two comparisons instead of a
        # datetime.replace on every GetSecretValue. Replaced whole, so threads see either day.
        self._day: tuple[datetime, datetime] = (datetime.min.replace(tzinfo=UTC),) * 2

    # -- get -------------------------------------------------------------------------------------

    def get_secret_value(self, ctx: RequestContext, request: Request) -> Result:
        return self._value(ctx, request["SecretId"], request.get("VersionId"), request.get("VersionStage"))

    def _value(
        self, ctx: RequestContext, secret_id: str, version_id: str | None, stage: str | None
    ) -> Result:
        ref = self.ref(ctx, secret_id)
        found = self.readable(ctx, ref, version_id or None, stage or None)
        secret = found.secret
        if secret is None:
            raise self.missing(ctx, ref, _GET)
        # The condition keys secret_context_keys(secret, read_context_keys(version_id, stage)),
        # as `readable` worked them out when it loaded the entry.
        self.authorize_with(ctx, _GET, secret, found.context_keys, found.tag_map)
        if secret.deleted_at is not None:
            raise invalid_request(MARKED_FOR_DELETION)
        version = _picked(secret, found.version, version_id or None, stage or None)
        plaintext = self.open(ctx, secret, version)
        self._touch(ctx, secret, version)
        result: Result = {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version.version_id,
            "VersionStages": list(found.stages),
            "CreatedDate": version.created_at,
        }
        if version.is_binary:
            result["SecretBinary"] = plaintext
        else:
            result["SecretString"] = plaintext.decode("utf-8")
        return result

    def _touch(self, ctx: RequestContext, secret: Secret, version: Version) -> None:
        """Record the day of the access: once per secret, version and day, off the request path."""
        today = self._today(ctx.now())
        if secret.last_accessed_at == today and version.last_accessed_at == today:
            return
        access = (secret.secret_id, version.version_id, today)
        with self._access_lock:
            if access in self._accesses_sent:
                return
            if len(self._accesses_sent) >= _MAX_ACCESSES_SENT:
                self._accesses_sent.clear()
            self._accesses_sent.add(access)
            if self._access_writer is None:
                self._access_writer = ThreadPoolExecutor(1, thread_name_prefix="strongroom-sm-access")
            self._access_writer.submit(self._record_access, *access)

    def _today(self, now: datetime) -> datetime:
        start, end = self._day
        if start <= now < end:
            return start
        start = midnight(now)
        self._day = (start, start + timedelta(days=1))
        return start

    def _record_access(self, secret_id: str, version_id: str, day: datetime) -> None:
        try:
            with self.kernel.db.write() as conn:
                records.update_secret(conn, secret_id, last_accessed_at=day)
                records.touch_version(conn, secret_id, version_id, day)
        except Exception:
            log.exception("could not record the access to secret %s", secret_id)
            with self._access_lock:
                self._accesses_sent.discard((secret_id, version_id, day))  # the next read tries again
            return
        self.changed()

    def stop(self) -> None:
        with self._access_lock:
            writer, self._access_writer = self._access_writer, None
        if writer is not None:
            writer.shutdown(wait=True)
        super().stop()

    def batch_get_secret_value(self, ctx: RequestContext, request: Request) -> Result:
        ids = request.get("SecretIdList")
        filters = request.get("Filters")
        if (ids is None) == (filters is None):
            raise invalid_parameter("You must include Filters or SecretIdList, but not both.")
        if ids is not None and request.get("MaxResults") is not None:
            raise invalid_parameter("MaxResults can be used only with Filters.")
        ctx.authorize("secretsmanager:BatchGetSecretValue", "*")
        token: str | None = None
        if ids is None:
            assert filters is not None
            listing.check_filters(filters)
            with ctx.kernel.db.read() as conn:
                found = records.in_region(conn, ctx.account_id, ctx.region)
            found = [s for s in found if s.deleted_at is None and listing.matches(s, filters)]
            found = listing.sort(found, None, None)
            chunk, token = listing.page(
                found, request.get("NextToken"), int(request.get("MaxResults") or MAX_BATCH), repr(filters)
            )
            ids = [s.arn for s in chunk]
        elif len(ids) > MAX_BATCH:
            raise invalid_parameter(f"SecretIdList can have at most {MAX_BATCH} entries.")
        values: list[Result] = []
        errors: list[Result] = []
        for secret_id in ids:
            try:
                values.append(self._value(ctx, secret_id, None, None))
            except AWSError as error:
                errors.append({"SecretId": secret_id, "ErrorCode": error.code, "Message": error.message})
        result: Result = {"SecretValues": values, "Errors": errors}
        if token:
            result["NextToken"] = token
        return result

    # -- put -------------------------------------------------------------------------------------

    def put_secret_value(self, ctx: RequestContext, request: Request) -> Result:
        version_id = request.get("ClientRequestToken") or str(uuid.uuid4())
        stages = list(request.get("VersionStages") or [CURRENT])
        secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:PutSecretValue",
            context_keys={"secretsmanager:VersionId": version_id},
            live=True,
            primary=True,
            sets_value=True,
        )
        value = value_of(request)
        if value is None:
            raise invalid_request("You must provide either SecretString or SecretBinary.")
        with ctx.kernel.db.read() as conn:
            present = records.version(conn, secret.secret_id, version_id)
        if present is not None and present.has_value:
            if self.open(ctx, secret, present) != value[0] or present.is_binary != value[1]:
                raise exists("You can't modify an existing version, you can only create new versions.")
            return {
                "ARN": secret.arn,
                "Name": secret.name,
                "VersionId": version_id,
                "VersionStages": secret.labels_by_version.get(version_id, []),
            }
        sealed = self.seal(ctx, secret, version_id, value[0], value[1])
        now = ctx.now()
        with ctx.kernel.db.write_unique(
            lambda: exists("You can't modify an existing version, you can only create new versions.")
        ) as conn:
            current = records.by_id(conn, secret.secret_id, for_update=True)
            if current is None or current.deleted_at is not None:
                raise invalid_request(
                    "You can't perform this operation on the secret because it was marked for deletion."
                )
            after = self._add_version(conn, current, version_id, sealed, value[1], stages, now)
            records.update_secret(conn, secret.secret_id, last_changed_at=now)
        self.sync_replicas(ctx, secret.arn, {version_id: value})
        return {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version_id,
            "VersionStages": sorted(s for s, v in after.items() if v == version_id),
        }

    # -- versions and labels ---------------------------------------------------------------------

    def list_secret_version_ids(self, ctx: RequestContext, request: Request) -> Result:
        secret = self.load(ctx, request["SecretId"], "secretsmanager:ListSecretVersionIds")
        with ctx.kernel.db.read() as conn:
            all_versions = records.all_versions(conn, secret.secret_id)
        labels = secret.labels_by_version
        shown = [
            v
            for v in reversed(all_versions)
            if v.has_value and (labels.get(v.version_id) or request.get("IncludeDeprecated"))
        ]
        chunk, token = listing.page(
            shown, request.get("NextToken"), int(request.get("MaxResults") or 100), secret.arn
        )
        entries: list[Result] = []
        for v in chunk:
            entry: Result = {"VersionId": v.version_id, "CreatedDate": v.created_at}
            if labels.get(v.version_id):
                entry["VersionStages"] = labels[v.version_id]
            if v.last_accessed_at:
                entry["LastAccessedDate"] = v.last_accessed_at
            if v.kms_key_arn:
                entry["KmsKeyIds"] = [v.kms_key_arn]
            entries.append(entry)
        result: Result = {"Versions": entries, "ARN": secret.arn, "Name": secret.name}
        if token:
            result["NextToken"] = token
        return result

    def update_secret_version_stage(self, ctx: RequestContext, request: Request) -> Result:
        stage = request["VersionStage"]
        remove_from, move_to = request.get("RemoveFromVersionId"), request.get("MoveToVersionId")
        secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:UpdateSecretVersionStage",
            context_keys={"secretsmanager:VersionStage": stage},
            live=True,
            primary=True,
            sets_value=True,
        )
        with ctx.kernel.db.write() as conn:
            current = records.by_id(conn, secret.secret_id, for_update=True)
            if current is None:
                raise not_found()
            for version_id in (remove_from, move_to):
                if version_id is not None and records.version(conn, secret.secret_id, version_id) is None:
                    raise invalid_parameter(
                        f"Secrets Manager can't find the specified secret version: {version_id}"
                    )
            after = staging.move(current.stage_map, stage, remove_from, move_to)
            records.apply_stages(conn, secret.secret_id, current.stage_map, after)
            records.update_secret(conn, secret.secret_id, last_changed_at=ctx.now())
        self.sync_replicas(ctx, secret.arn, {})
        return {"ARN": secret.arn, "Name": secret.name}

    def get_random_password(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("secretsmanager:GetRandomPassword", "*")
        password = random_password(
            int(request.get("PasswordLength") or 32),
            exclude_characters=request.get("ExcludeCharacters") or "",
            exclude_numbers=bool(request.get("ExcludeNumbers")),
            exclude_punctuation=bool(request.get("ExcludePunctuation")),
            exclude_uppercase=bool(request.get("ExcludeUppercase")),
            exclude_lowercase=bool(request.get("ExcludeLowercase")),
            include_space=bool(request.get("IncludeSpace")),
            require_each_included_type=request.get("RequireEachIncludedType", True) is not False,
        )
        return {"RandomPassword": password}


def _picked(secret: Secret, version: Version | None, version_id: str | None, stage: str | None) -> Version:
    """The version a GetSecretValue names (`readable` loaded it), or the error AWS answers."""
    if version_id is None:
        if version is None or not version.has_value:
            raise not_found(
                f"Secrets Manager can't find the specified secret value for staging label: {stage or CURRENT}"
            )
        return version
    if version is None or not version.has_value:
        raise not_found(f"Secrets Manager can't find the specified secret value for VersionId: {version_id}")
    if stage is not None and secret.stage_map.get(stage) != version_id:
        raise not_found(
            f"Secrets Manager can't find the specified secret value for VersionId: {version_id} "
            f"and staging label: {stage}"
        )
    return version
