"""Parameter policies on the scheduler: one job per (parameter, policy type), moved on every put.

A job runs in the scheduler's transaction: the deletion or status change it makes and the event
it publishes commit together with the job's removal, once across workers and nodes. Its kind
starts with "ssm/", so the scheduler drops the "ssm" read cache once that transaction commits.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from strongroom.core.scheduler import Job, Scheduler
from strongroom.services.ssm import interactions, notify, parameters, policies
from strongroom.services.ssm.parameters import Scope
from strongroom.services.ssm.policies import Policy

if TYPE_CHECKING:
    from strongroom.core.kernel import Kernel

JOB_KIND = "ssm/parameter-policy"
# What earlier releases scheduled under: still run (and cancelled), never scheduled any more.
LEGACY_JOB_KIND = "ssm.parameter-policy"
JOB_KINDS = (JOB_KIND, LEGACY_JOB_KIND)


def _key(scope: Scope, name: str, policy_type: str) -> str:
    # Names run to ~1000 characters; the job key column holds 512.
    digest = hashlib.sha256(name.encode()).hexdigest()[:40]
    return f"{scope.account_id}/{scope.region}/{policy_type}/{digest}"


def reschedule(
    conn: Connection, scope: Scope, name: str, version: int, active: list[Policy], modified_at: datetime
) -> None:
    """Replace the parameter's jobs with those of its latest version's pending policies."""
    cancel(conn, scope, name)
    for policy in active:
        if policy.status != policies.PENDING:
            continue
        Scheduler.schedule(
            conn,
            JOB_KIND,
            _key(scope, name, policy.type),
            policies.due_at(policy, active, modified_at),
            {
                "account": scope.account_id,
                "region": scope.region,
                "name": name,
                "version": version,
                "type": policy.type,
            },
        )


def cancel(conn: Connection, scope: Scope, name: str) -> None:
    for policy_type in policies.POLICY_TYPES:
        for kind in JOB_KINDS:
            Scheduler.cancel(conn, kind, _key(scope, name, policy_type))


def run(kernel: Kernel, conn: Connection, job: Job) -> None:
    scope = Scope(job.payload["account"], job.payload["region"])
    name, policy_type = job.payload["name"], job.payload["type"]
    current = parameters.latest(conn, scope, name)
    if current is None or current.version != job.payload["version"]:
        return  # deleted or replaced since: the put that replaced it scheduled its own jobs
    policy = next((p for p in current.policies if p.type == policy_type), None)
    if policy is None or policy.status != policies.PENDING:
        return
    if policy_type == policies.EXPIRATION:
        cancel(conn, scope, name)
        parameters.remove(conn, scope, name)
        reason = f"The parameter {name} expired and was deleted."
    elif policy_type == policies.EXPIRATION_NOTIFICATION:
        expiration = next(p for p in current.policies if p.type == policies.EXPIRATION)
        reason = (
            f"The parameter {name} expires at {expiration.attributes['Timestamp']}: "
            f"{policy.attributes['Before']} {policy.attributes['Unit'].lower()} from this notification."
        )
    else:
        reason = (
            f"The parameter {name} has not been changed for {policy.attributes['After']} "
            f"{policy.attributes['Unit'].lower()}."
        )
    if policy_type != policies.EXPIRATION:
        updated = [
            Policy(p.type, p.text, p.attributes, policies.FINISHED) if p.type == policy_type else p
            for p in current.policies
        ]
        parameters.set_policies(conn, scope, name, current.version, policies.dump(updated))
    notify.policy_action(
        kernel,
        conn,
        scope,
        name=name,
        parameter_type=current.type,
        policy_type=policy_type,
        policy_text=policy.text,
        status=policies.FINISHED,
        reason=reason,
    )
    if policy_type == policies.EXPIRATION:
        notify.change(kernel, conn, scope, "Delete", name, current.type, current.description)
        if job.kind == LEGACY_JOB_KIND:
            # Not dropped by the scheduler (no "ssm/" prefix): readers keep the deleted parameter
            # for the stamped cache's ttl at most.
            kernel.caches.changed(interactions.CACHE)
