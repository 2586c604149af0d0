"""Rotation: RotateSecret, CancelRotateSecret, the schedule, and the four-step run.

A run is claimed in the database (the secret's `rotation_run` holds its token) in the same
transaction that puts AWSPENDING on the new, still empty version; a worker thread then calls
the rotation function for createSecret, setSecret, testSecret and finishSecret. The thread starts
by locking the secret's row, so it waits until the claim is committed (and gives up if it never
is). A step that fails ends the run with RotationFailed and leaves AWSCURRENT where it was; a
run succeeds only if finishSecret moved AWSCURRENT to the new version.

A run works outside any request, so no gateway drops the read cache after it: the run drops it
(`changed`) after each of its commits and once more when it ends.
"""

from __future__ import annotations

import logging
import secrets as token_source
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import AccessDenied, AWSError
from strongroom.core.scheduler import Job
from strongroom.services.secretsmanager import records
from strongroom.services.secretsmanager.base import Request, Result
from strongroom.services.secretsmanager.errors import invalid_parameter, invalid_request
from strongroom.services.secretsmanager.managed_rotation import ManagedRotation
from strongroom.services.secretsmanager.records import CURRENT, PENDING, Secret
from strongroom.services.secretsmanager.rotation_functions import (
    RotationFunctions,
    RotationTarget,
    StepFailed,
    invoke_http,
    is_lambda_arn,
)
from strongroom.services.secretsmanager.schedules import Schedule, parse_rules
from strongroom.services.secretsmanager.values_api import ValuesApi

log = logging.getLogger(__name__)

ROTATE_JOB = "secretsmanager/rotate"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
_UNFINISHED = "A previous rotation isn't complete. That rotation will be reattempted."


class RotationApi(ValuesApi):
    """RotateSecret, CancelRotateSecret and the rotation runs."""

    def setup(self) -> None:
        super().setup()
        self.rotation_functions = RotationFunctions(self.kernel.data_dir)
        self._runs = ThreadPoolExecutor(max_workers=4, thread_name_prefix="strongroom-rotation")
        self.kernel.scheduler.register(ROTATE_JOB, self._scheduled_rotation)

    # -- the API ---------------------------------------------------------------------------------

    def rotate_secret(self, ctx: RequestContext, request: Request) -> Result:
        keys: dict[str, Any] = {}
        if request.get("RotationLambdaARN"):
            keys["secretsmanager:RotationLambdaARN"] = request["RotationLambdaARN"]
        secret = self.load(
            ctx,
            request["SecretId"],
            "secretsmanager:RotateSecret",
            context_keys=keys,
            live=True,
            primary=True,
            sets_value=True,
        )
        function_arn = request.get("RotationLambdaARN") or secret.rotation_lambda_arn
        if not function_arn:
            raise invalid_request("No Lambda rotation function ARN is associated with this secret.")
        if not is_lambda_arn(function_arn):
            raise invalid_parameter(f"The rotation function ARN {function_arn} is not a Lambda function ARN.")
        if self.rotation_functions.resolve(function_arn) is None:
            raise AccessDenied(
                "Secrets Manager cannot invoke the specified Lambda function. Ensure the function policy "
                "grants access to the principal secretsmanager.amazonaws.com.",
                code=ctx.access_denied[0],
                status=ctx.access_denied[1],
            )
        rules = request.get("RotationRules") or secret.rotation_rules
        schedule = parse_rules(rules) if rules else None
        immediately = request.get("RotateImmediately", True) is not False
        if immediately and CURRENT not in secret.stage_map:
            raise invalid_request("You can't rotate a secret that has no AWSCURRENT version.")
        token = request.get("ClientRequestToken") or str(uuid.uuid4())
        now = ctx.now()
        retry: str | None = None
        trial: str | None = None
        with ctx.kernel.db.write() as conn:
            current = records.by_id(conn, secret.secret_id, for_update=True)
            if current is None:
                raise invalid_request(
                    "You can't perform this operation on the secret because it was deleted."
                )
            pending = current.stage_map.get(PENDING)
            unfinished = pending is not None and pending != current.stage_map.get(CURRENT)
            if unfinished and pending != token:
                records.update_secret(conn, current.secret_id, rotation_run=pending)
                retry = pending
            else:
                values: dict[str, Any] = {
                    "rotation_enabled": True,
                    "rotation_lambda_arn": function_arn,
                    "rotation_rules": rules,
                }
                base = now if immediately else (current.last_rotated_at or now)
                next_at = schedule.next_rotation(base, now) if schedule else None
                values["next_rotation_at"] = next_at
                if next_at is not None:
                    ctx.kernel.scheduler.schedule(conn, ROTATE_JOB, current.secret_id, next_at)
                else:
                    ctx.kernel.scheduler.cancel(conn, ROTATE_JOB, current.secret_id)
                self._open_pending(conn, current, token, now)
                # A trial holds a claim of its own, so that a real rotation taking the version over
                # (a scheduled one, or RotateSecret again) is never undone by the trial's cleanup.
                trial = None if immediately else f"trial:{uuid.uuid4().hex}"
                values["rotation_run"] = trial or token
                records.update_secret(conn, current.secret_id, **values)
        if retry is not None:
            self._start(secret.account_id, secret.region, secret.secret_id, retry)
            raise invalid_request(_UNFINISHED)
        result: Result = {"ARN": secret.arn, "Name": secret.name}
        if trial is not None:
            self._runs.submit(
                self._trial_safely, secret.account_id, secret.region, secret.secret_id, token, trial
            )
        else:
            self._start(secret.account_id, secret.region, secret.secret_id, token)
            result["VersionId"] = token
        return result

    def cancel_rotate_secret(self, ctx: RequestContext, request: Request) -> Result:
        secret = self.load(
            ctx, request["SecretId"], "secretsmanager:CancelRotateSecret", live=True, primary=True
        )
        with ctx.kernel.db.write() as conn:
            records.update_secret(
                conn, secret.secret_id, rotation_enabled=False, next_rotation_at=None, rotation_run=None
            )
            ctx.kernel.scheduler.cancel(conn, ROTATE_JOB, secret.secret_id)
        result: Result = {"ARN": secret.arn, "Name": secret.name}
        pending = secret.stage_map.get(PENDING)
        if pending is not None and pending != secret.stage_map.get(CURRENT):
            result["VersionId"] = pending
        return result

    # -- scheduling ------------------------------------------------------------------------------

    @staticmethod
    def _open_pending(conn: Connection, secret: Secret, token: str, now: datetime) -> None:
        """The new version, empty and labelled AWSPENDING, that createSecret will fill."""
        if records.version(conn, secret.secret_id, token) is None:
            records.insert_version(conn, secret.secret_id, token, now)
        after = dict(secret.stage_map)
        after[PENDING] = token
        records.apply_stages(conn, secret.secret_id, secret.stage_map, after)
        secret.stage_map = after

    def _scheduled_rotation(self, conn: Connection, job: Job) -> None:
        secret = records.by_id(conn, job.key, for_update=True)
        if (
            secret is None
            or secret.deleted_at is not None
            or not secret.rotation_enabled
            or secret.is_replica
            or secret.follows_cross_account_primary
        ):
            return
        now = self.kernel.clock.now()
        pending = secret.stage_map.get(PENDING)
        if pending is not None and pending != secret.stage_map.get(CURRENT):
            token = pending  # an unfinished rotation is reattempted with its own token
        else:
            token = str(uuid.uuid4())
            self._open_pending(conn, secret, token, now)
        values: dict[str, Any] = {"rotation_run": token}
        schedule = _schedule_of(secret)
        if schedule is not None:
            next_at = schedule.next_rotation(now, now)
            values["next_rotation_at"] = next_at
            self.kernel.scheduler.schedule(conn, ROTATE_JOB, secret.secret_id, next_at)
        records.update_secret(conn, secret.secret_id, **values)
        self._start(secret.account_id, secret.region, secret.secret_id, token)

    def _start(self, account: str, region: str, secret_id: str, token: str) -> None:
        self._runs.submit(self._run_safely, account, region, secret_id, token)

    # -- one run ---------------------------------------------------------------------------------

    def _run_safely(self, account: str, region: str, secret_id: str, token: str) -> None:
        try:
            self._run(account, region, secret_id, token)
        except Exception:
            log.exception("rotation of secret %s failed unexpectedly", secret_id)
        finally:
            self.changed()

    def _claimed(self, secret_id: str, token: str) -> Secret | None:
        """The secret while this run still holds its claim (waits for the claim to commit)."""
        with self.kernel.db.write() as conn:
            secret = records.by_id(conn, secret_id, for_update=True)
        if secret is None or secret.rotation_run != token or secret.deleted_at is not None:
            return None
        return secret

    def _run(self, account: str, region: str, secret_id: str, token: str) -> None:
        secret = self._claimed(secret_id, token)
        if secret is None or not secret.rotation_lambda_arn:
            return
        # The claim committed, perhaps before its request (or job) dropped the cache: the steps
        # read through the cache, so drop it now.
        self.changed()
        ctx = self.service_context(account, region, "RotateSecret")
        target = self.rotation_functions.resolve(secret.rotation_lambda_arn)
        self.publish(account, region, "RotationStarted", secret.arn)
        rotation_token = token_source.token_urlsafe(32)
        try:
            if target is None:
                raise StepFailed("the rotation function is not registered")
            for step in STEPS:
                self._step(ctx, target, secret, step, token, rotation_token)
                if self._claimed(secret_id, token) is None:
                    return  # cancelled or deleted while the step ran
            with self.kernel.db.read() as conn:
                stages = records.stage_map(conn, secret_id)
            if stages.get(CURRENT) != token:
                raise StepFailed("finishSecret did not move AWSCURRENT to the new version")
        except StepFailed as failure:
            log.warning("rotation of %s failed: %s", secret.arn, failure)
            with self.kernel.db.write() as conn:
                records.update_secret(conn, secret_id, rotation_run=None)
            self.changed()
            self.publish(account, region, "RotationFailed", secret.arn, extra={"FailureReason": str(failure)})
            return
        now = self.kernel.clock.now()
        with self.kernel.db.write() as conn:
            current = records.by_id(conn, secret_id, for_update=True)
            if current is None:
                return
            after = dict(current.stage_map)
            if after.get(PENDING) == token:
                del after[PENDING]
            records.apply_stages(conn, secret_id, current.stage_map, after)
            records.update_secret(
                conn, secret_id, rotation_run=None, last_rotated_at=now, last_changed_at=now
            )
        self.changed()
        self.sync_replicas(ctx, secret.arn, {})
        self.changed()
        self.publish(account, region, "RotationSucceeded", secret.arn)

    # -- the trial of RotateImmediately=false ----------------------------------------------------

    def _trial_safely(self, account: str, region: str, secret_id: str, token: str, trial: str) -> None:
        try:
            self._trial(account, region, secret_id, token, trial)
        except Exception:
            log.exception("the rotation trial of secret %s failed unexpectedly", secret_id)
        finally:
            self.changed()

    def _trial(self, account: str, region: str, secret_id: str, token: str, trial: str) -> None:
        """AWS's test of a rotation configuration: testSecret on an AWSPENDING version, then gone.

        The function sees the same event as in a rotation (the version's id as its
        ClientRequestToken); whatever it answers, the version and its label are removed again,
        and AWSCURRENT never moves. A failure is logged: AWS reports it nowhere else either.
        """
        secret = self._claimed(secret_id, trial)
        if secret is None or not secret.rotation_lambda_arn:
            return
        self.changed()  # as in _run
        target = self.rotation_functions.resolve(secret.rotation_lambda_arn)
        try:
            if target is None:
                raise StepFailed("the rotation function is not registered")
            ctx = self.service_context(account, region, "RotateSecret")
            self._step(ctx, target, secret, "testSecret", token, token_source.token_urlsafe(32))
        except StepFailed as failure:
            log.warning("the rotation trial of %s failed: %s", secret.arn, failure)
        with self.kernel.db.write() as conn:
            current = records.by_id(conn, secret_id, for_update=True)
            if current is None or current.rotation_run not in (trial, None):
                return  # a rotation took the version over: it is no longer the trial's
            after = dict(current.stage_map)
            if after.get(PENDING) == token and after.get(CURRENT) != token:
                del after[PENDING]
                records.apply_stages(conn, secret_id, current.stage_map, after)
                version = records.version(conn, secret_id, token)
                if token not in after.values() and version is not None and version.ciphertext is None:
                    records.delete_version(conn, secret_id, token)  # the empty version the trial opened
            if current.rotation_run == trial:
                records.update_secret(conn, secret_id, rotation_run=None)

    def _step(
        self,
        ctx: RequestContext,
        target: RotationTarget,
        secret: Secret,
        step: str,
        token: str,
        rotation_token: str,
    ) -> None:
        if target.url is not None:
            event = {
                "Step": step,
                "SecretId": secret.arn,
                "ClientRequestToken": token,
                "RotationToken": rotation_token,
            }
            invoke_http(target.url, event)
            return
        assert target.builtin is not None
        try:
            ManagedRotation(target.builtin, _ServiceAccess(self, ctx)).run(step, secret.arn, token)
        except AWSError as error:
            raise StepFailed(f"{step} failed: {error.code}") from None


def _schedule_of(secret: Secret) -> Schedule | None:
    if not secret.rotation_rules:
        return None
    try:
        return parse_rules(secret.rotation_rules)
    except AWSError:
        return None


class _ServiceAccess:
    """Secrets Manager's own calls during a built-in rotation (authorized, audited, via KMS)."""

    def __init__(self, api: RotationApi, ctx: RequestContext) -> None:
        self.api = api
        self.ctx = ctx

    def get(self, secret_id: str, *, version_id: str | None = None, stage: str | None = None) -> str | None:
        try:
            result = self.api._value(self.ctx, secret_id, version_id, stage)
        except AWSError as error:
            if error.code == "ResourceNotFoundException":
                return None
            raise
        value = result.get("SecretString")
        return str(value) if value is not None else None

    # Handlers called directly, not through the gateway: each drops the read cache itself.

    def put_pending(self, secret_id: str, token: str, value: str) -> None:
        try:
            self.api.put_secret_value(
                self.ctx,
                {
                    "SecretId": secret_id,
                    "ClientRequestToken": token,
                    "SecretString": value,
                    "VersionStages": [PENDING],
                },
            )
        finally:
            self.api.changed()

    def finish(self, secret_id: str, token: str) -> None:
        with self.ctx.kernel.db.read() as conn:
            secret = records.find(conn, self.api.ref(self.ctx, secret_id))
        if secret is None:
            raise StepFailed("the secret is gone")
        current = secret.stage_map.get(CURRENT)
        if current == token:
            return
        try:
            self.api.update_secret_version_stage(
                self.ctx,
                {
                    "SecretId": secret_id,
                    "VersionStage": CURRENT,
                    "MoveToVersionId": token,
                    "RemoveFromVersionId": current,
                },
            )
        finally:
            self.api.changed()
