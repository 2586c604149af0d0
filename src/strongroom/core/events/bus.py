"""The event bus the kernel exposes: publish, match against rules, deliver at least once.

    kernel.events.publish(account, region, source, detail_type, detail, resources)

Accepting an event and delivering it are apart. Accepting matches the event against the bus's
enabled rules and writes one row per (matching rule, target) into `events_deliveries`, in one
transaction: once `put` returns (PutEvents answers), the deliveries survive `kill -9`.
`publish` without a connection hands the event to an ingest thread that does the same in
batches, so a service's call never waits on the bus; what a crash can lose there is the events
queued in the last ~50 ms, as with the audit trail. `publish(..., conn=conn)` instead enqueues
inside the caller's transaction: the event commits, or rolls back, with the change it reports.

One delivery worker per process claims due rows with a wall-clock lease (SQLite: BEGIN
IMMEDIATE; PostgreSQL: FOR UPDATE SKIP LOCKED), attempts them on a small thread pool, then
settles: delivered rows go, failed ones come back later with exponential backoff on the
business clock, and a row whose retry policy is exhausted becomes a dead-letter record. A
worker that dies mid-attempt leaves a claim that runs out, so another worker retries it: an
event may be delivered twice, never silently dropped.

Scheduled rules are scheduler jobs (`events.scheduled-rule`): each firing enqueues the rule's
deliveries and re-schedules the next firing in the same transaction, so it runs once across
processes; moving the dev clock fires what became due (a missed stretch fires once).
"""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, delete, insert, or_, select, update

from strongroom.core.cache import StampedCache
from strongroom.core.clock import Clock, utcnow
from strongroom.core.crypto import RootOfTrust
from strongroom.core.events.delivery import ConnectionAuth, Destination, HttpDelivery, Outcome
from strongroom.core.events.envelope import (
    CLOUDTRAIL_DETAIL_TYPE,
    SCHEDULED_DETAIL_TYPE,
    build_event,
    cloudtrail_source,
    iso_time,
)
from strongroom.core.events.patterns import InvalidEventPattern, cached_pattern
from strongroom.core.events.schedule import InvalidSchedule, parse_schedule
from strongroom.core.events.tables import (
    events_api_destinations,
    events_buses,
    events_connections,
    events_dead_letters,
    events_deliveries,
    events_rules,
    events_targets,
)
from strongroom.core.events.transform import render_input
from strongroom.core.iam.authorizer import Authorizer, RequestFacts
from strongroom.core.iam.evaluation import Decision
from strongroom.core.iam.principals import Principal
from strongroom.core.scheduler import Job, Scheduler
from strongroom.core.store import Database

if TYPE_CHECKING:
    from strongroom.core.audit import AuditEntry

log = logging.getLogger(__name__)

SCHEDULED_RULE_JOB = "events.scheduled-rule"
ACTIVE_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE = 86_400
CONNECTION_PURPOSE = "events/connection"
CLAIM_LEASE = timedelta(seconds=30)  # a round of attempts takes at most ~10 s (token + request)
RATE_LIMITED_DELAY = timedelta(seconds=1)


@dataclass(frozen=True)
class BusEvent:
    """An event on its way onto one bus."""

    account: str
    region: str
    bus_name: str
    event: Mapping[str, Any]


@dataclass(frozen=True)
class _Claimed:
    delivery_id: str
    account: str
    region: str
    rule_arn: str
    rule_name: str
    target: dict[str, Any]
    event: dict[str, Any]
    ingested_at: datetime
    attempts: int


def bus_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """The wait after the n-th failed attempt: doubling from `base_seconds`, at most 5 minutes."""
    seconds = min(300.0, base_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds * random.uniform(1.0, 1.1))  # jitter spreads a burst of retries


class EventBus:
    """The kernel's event bus (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        root: RootOfTrust,
        scheduler: Scheduler,
        authorizer: Authorizer,
        data_dir: Path | None,
        *,
        rules_cache: StampedCache[object, object] | None = None,
        poll_seconds: float = 0.25,
        delivery_threads: int = 8,
        backoff_seconds: float = 10.0,
    ) -> None:
        self._db = db
        self._clock = clock
        # Active rules with their targets per bus, read once per change rather than per batch of
        # events: the EventBridge API drops the "events" cache after every change of a rule.
        self._rules: StampedCache[object, object] = rules_cache or StampedCache(None, ttl=0.0)
        self._root = root
        self._authorizer = authorizer
        self._http = HttpDelivery(data_dir)
        self._poll = poll_seconds
        self._threads = delivery_threads
        self._backoff = backoff_seconds
        self._ingest: queue.SimpleQueue[BusEvent | None] = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._pool: ThreadPoolExecutor | None = None
        scheduler.register(SCHEDULED_RULE_JOB, self._fire_scheduled_rule)

    # -- publishing ----------------------------------------------------------------------------

    def publish(
        self,
        account: str,
        region: str,
        source: str,
        detail_type: str,
        detail: dict[str, Any],
        resources: Sequence[str] = (),
        *,
        bus_name: str = "default",
        conn: Connection | None = None,
    ) -> str:
        """Put a service's event on a bus; returns its id. Never waits on a delivery."""
        event = build_event(
            account=account,
            region=region,
            source=source,
            detail_type=detail_type,
            detail=detail,
            resources=list(resources),
            time=self._clock.now(),
        )
        item = BusEvent(account, region, bus_name, event)
        if conn is not None:
            if self.enqueue_matches(conn, [item]):
                self._wake.set()
        else:
            self._queue(item)
        return str(event["id"])

    def publish_api_call(self, entry: AuditEntry) -> None:
        """The "AWS API Call via CloudTrail" event of an audited write call."""
        if entry.read_only or (
            entry.event_source == "events.amazonaws.com" and entry.event_name == "PutEvents"
        ):
            return  # PutEvents is a data event: CloudTrail management events leave it out
        event = build_event(
            account=entry.account_id,
            region=entry.region,
            source=cloudtrail_source(entry.event_source),
            detail_type=CLOUDTRAIL_DETAIL_TYPE,
            detail=entry.record,
            resources=[],
            time=entry.event_time,
        )
        self._queue(BusEvent(entry.account_id, entry.region, "default", event))

    def put(self, events: Sequence[BusEvent]) -> int:
        """Accept events durably: their deliveries are committed when this returns."""
        with self._db.read() as conn:
            rows = self._delivery_rows(conn, events)
        if rows:
            with self._db.write() as conn:
                conn.execute(insert(events_deliveries), rows)
            self._wake.set()
        return len(rows)

    def enqueue_matches(self, conn: Connection, events: Sequence[BusEvent]) -> int:
        """Match and enqueue inside the caller's write transaction; returns the deliveries added."""
        rows = self._delivery_rows(conn, events)
        if rows:
            conn.execute(insert(events_deliveries), rows)
        return len(rows)

    def _queue(self, item: BusEvent) -> None:
        with self._idle:
            self._pending += 1
        self._ingest.put(item)
        if not self._workers:
            self._drain_ingest()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every event handed to `publish` has been accepted."""
        if not self._workers:
            self._drain_ingest()
            return
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def _drain_ingest(self) -> None:
        batch: list[BusEvent] = []
        while True:
            try:
                item = self._ingest.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                batch.append(item)
        if batch:
            self._accept_batch(batch)

    def _accept_batch(self, batch: list[BusEvent]) -> None:
        try:
            self.put(batch)
        except Exception:
            log.exception("could not accept %d published events", len(batch))
        finally:
            with self._idle:
                self._pending -= len(batch)
                self._idle.notify_all()

    def _ingest_loop(self) -> None:
        while True:
            first = self._ingest.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            try:
                while len(batch) < 500:
                    item = self._ingest.get(timeout=0.05)
                    if item is None:
                        stopping = True
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            self._accept_batch(batch)
            if stopping:
                return

    # -- matching ------------------------------------------------------------------------------

    def _active_rules(
        self, conn: Connection, bus: tuple[str, str, str]
    ) -> list[tuple[Any, list[dict[str, Any]]]]:
        def load() -> list[tuple[Any, list[dict[str, Any]]]]:
            return _pattern_rules(conn, *bus)

        return cast("list[tuple[Any, list[dict[str, Any]]]]", self._rules.get(("rules", *bus), load))

    def _delivery_rows(self, conn: Connection, events: Sequence[BusEvent]) -> list[dict[str, Any]]:
        now = self._clock.now()
        rules_by_bus: dict[tuple[str, str, str], list[tuple[Any, list[dict[str, Any]]]]] = {}
        rows: list[dict[str, Any]] = []
        for item in events:
            key = (item.account, item.region, item.bus_name)
            if key not in rules_by_bus:
                rules_by_bus[key] = self._active_rules(conn, key)
            for rule, targets in rules_by_bus[key]:
                try:
                    matched = cached_pattern(rule.event_pattern).matches(item.event)
                except InvalidEventPattern:
                    continue  # stored patterns were checked on the way in
                if matched:
                    rows.extend(_rows_for(item, rule.arn, rule.name, targets, now))
        return rows

    # -- scheduled rules -------------------------------------------------------------------------

    @staticmethod
    def schedule_rule(
        conn: Connection,
        *,
        account: str,
        region: str,
        rule_name: str,
        rule_arn: str,
        expression: str,
        anchor: datetime,
        now: datetime,
    ) -> None:
        """(Re)schedule the next firing of an enabled scheduled rule, in the caller's transaction."""
        schedule = parse_schedule(expression)
        due = schedule.next_after(now, anchor=anchor)
        if due is None:
            Scheduler.cancel(conn, SCHEDULED_RULE_JOB, rule_arn)
            return
        payload = {"account": account, "region": region, "rule": rule_name, "anchor": anchor.isoformat()}
        Scheduler.schedule(conn, SCHEDULED_RULE_JOB, rule_arn, due, payload)

    @staticmethod
    def unschedule_rule(conn: Connection, rule_arn: str) -> None:
        Scheduler.cancel(conn, SCHEDULED_RULE_JOB, rule_arn)

    def _fire_scheduled_rule(self, conn: Connection, job: Job) -> None:
        account, region, name = job.payload["account"], job.payload["region"], job.payload["rule"]
        rule = conn.execute(
            select(events_rules).where(
                events_rules.c.account_id == account,
                events_rules.c.region == region,
                events_rules.c.bus_name == "default",
                events_rules.c.name == name,
            )
        ).first()
        if rule is None or rule.arn != job.key or not rule.schedule_expression:
            return
        if rule.state not in ACTIVE_STATES:
            return
        event = build_event(
            account=account,
            region=region,
            source="aws.events",
            detail_type=SCHEDULED_DETAIL_TYPE,
            detail={},
            resources=[rule.arn],
            time=job.due_at,
        )
        targets = _targets(conn, account, region, "default", name)
        now = self._clock.now()
        rows = _rows_for(BusEvent(account, region, "default", event), rule.arn, rule.name, targets, now)
        if rows:
            conn.execute(insert(events_deliveries), rows)
            self._wake.set()
        try:
            self.schedule_rule(
                conn,
                account=account,
                region=region,
                rule_name=name,
                rule_arn=rule.arn,
                expression=rule.schedule_expression,
                anchor=datetime.fromisoformat(job.payload["anchor"]),
                now=max(now, job.due_at),
            )
        except InvalidSchedule:
            log.warning("scheduled rule %s has an invalid expression; not rescheduled", rule.arn)

    # -- delivery worker -----------------------------------------------------------------------

    def start(self) -> None:
        if self._workers:
            return
        self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="strongroom-delivery")
        for target, name in (
            (self._ingest_loop, "strongroom-events-ingest"),
            (self._deliver_loop, "strongroom-events"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._workers.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._ingest.put(None)
        for thread in self._workers:
            thread.join(timeout=10)
        self._workers = []
        self._drain_ingest()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._http.close()

    def _deliver_loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.deliver_due()
            except Exception:
                log.exception("event delivery pass failed")
                worked = 0
            if not worked:
                self._wake.wait(self._poll)
                self._wake.clear()

    def deliver_due(self, limit: int | None = None) -> int:
        """Claim, attempt and settle one round of due deliveries; returns how many were attempted."""
        claimed = self._claim(limit or self._threads)
        if not claimed:
            return 0
        if self._pool is not None and len(claimed) > 1:
            outcomes = list(self._pool.map(self._attempt, claimed))
        else:
            outcomes = [self._attempt(c) for c in claimed]
        self._settle(list(zip(claimed, outcomes, strict=True)))
        return len(claimed)

    def _due_filter(self) -> Any:
        return (
            events_deliveries.c.due_at <= self._clock.now(),
            or_(events_deliveries.c.claimed_until.is_(None), events_deliveries.c.claimed_until < utcnow()),
        )

    def _claim(self, limit: int) -> list[_Claimed]:
        with self._db.read() as conn:
            if (
                conn.execute(
                    select(events_deliveries.c.delivery_id).where(*self._due_filter()).limit(1)
                ).first()
                is None
            ):
                return []
        with self._db.write() as conn:
            query = (
                select(events_deliveries)
                .where(*self._due_filter())
                .order_by(events_deliveries.c.due_at)
                .limit(limit)
            )
            if self._db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            if not rows:
                return []
            conn.execute(
                update(events_deliveries)
                .where(events_deliveries.c.delivery_id.in_([r.delivery_id for r in rows]))
                .values(claimed_until=utcnow() + CLAIM_LEASE)
            )
        return [
            _Claimed(
                r.delivery_id,
                r.account_id,
                r.region,
                r.rule_arn,
                r.rule_name,
                json.loads(r.target),
                json.loads(r.event),
                r.ingested_at,
                r.attempts,
            )
            for r in rows
        ]

    def _attempt(self, claimed: _Claimed) -> Outcome:
        policy = claimed.target.get("RetryPolicy") or {}
        max_age = int(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE))
        if self._clock.now() - claimed.ingested_at > timedelta(seconds=max_age):
            return Outcome(
                "expired", "RETRIES_EXHAUSTED", "The event is older than MaximumEventAgeInSeconds."
            )
        arn = str(claimed.target.get("Arn", ""))
        try:
            if ":api-destination/" in arn:
                return self._attempt_api_destination(claimed, arn)
            if ":event-bus/" in arn:
                return self._attempt_bus(claimed, arn)
        except Exception:
            log.exception("delivery %s to %s failed unexpectedly", claimed.delivery_id, arn)
            return Outcome("retry", "INTERNAL_ERROR", "Strongroom could not attempt the delivery.")
        return Outcome(
            "failed", "UNSUPPORTED_TARGET", "Strongroom delivers to API destinations and event buses only."
        )

    def _attempt_api_destination(self, claimed: _Claimed, arn: str) -> Outcome:
        destination = self._destination(arn)
        if destination is None:
            return Outcome(
                "failed", "RESOURCE_NOT_FOUND", "The API destination or its connection does not exist."
            )
        if not self._http.take_rate_token(destination):
            return Outcome("deferred")
        body = render_input(
            claimed.event,
            input_text=claimed.target.get("Input"),
            input_path=claimed.target.get("InputPath"),
            transformer=claimed.target.get("InputTransformer"),
            rule_arn=claimed.rule_arn,
            rule_name=claimed.rule_name,
            ingestion_time=iso_time(claimed.ingested_at),
        )
        return self._http.deliver(
            destination, claimed.target.get("HttpParameters") or {}, claimed.event, body
        )

    def _destination(self, arn: str) -> Destination | None:
        with self._db.read() as conn:
            dest = conn.execute(
                select(events_api_destinations).where(events_api_destinations.c.arn == arn)
            ).first()
            if dest is None or dest.state != "ACTIVE":
                return None
            connection = conn.execute(
                select(events_connections).where(events_connections.c.arn == dest.connection_arn)
            ).first()
        if connection is None:
            return None
        secrets: dict[str, Any] = {}
        if connection.sealed_secrets:
            opened = self._root.open(
                connection.sealed_secrets, purpose=CONNECTION_PURPOSE, record=connection.arn
            )
            secrets = json.loads(opened)
        auth = ConnectionAuth(
            arn=connection.arn,
            authorization_type=connection.authorization_type,
            state=connection.state,
            public=json.loads(connection.public_parameters),
            secrets=secrets,
            modified_marker=connection.modified_at.isoformat(),
        )
        return Destination(dest.arn, dest.endpoint, dest.http_method, dest.rate_limit, auth)

    def _attempt_bus(self, claimed: _Claimed, arn: str) -> Outcome:
        parts = arn.split(":", 5)
        region, account, name = parts[3], parts[4], parts[5].split("/", 1)[1]
        with self._db.read() as conn:
            bus = conn.execute(
                select(events_buses.c.policy).where(
                    events_buses.c.account_id == account,
                    events_buses.c.region == region,
                    events_buses.c.name == name,
                )
            ).first()
        if bus is None and name != "default":
            return Outcome("failed", "RESOURCE_NOT_FOUND", f"Event bus {name} does not exist.")
        sender = claimed.account
        if sender != account:
            principal = Principal(
                account_id=sender, type="Root", arn=f"arn:aws:iam::{sender}:root", principal_id=sender
            )
            facts = RequestFacts(
                region=region,
                now=self._clock.now(),
                source_ip="",
                secure_transport=True,
                via_aws_service=True,
            )
            evaluation = self._authorizer.evaluate(
                principal,
                "events:PutEvents",
                arn,
                facts,
                resource_policy=bus.policy if bus is not None else None,
                resource_account=account,
            )
            if evaluation.decision is not Decision.ALLOW:
                return Outcome(
                    "failed",
                    "NO_PERMISSIONS",
                    f"The policy of event bus {name} does not allow account {sender}.",
                )
        self.put([BusEvent(account, region, name, claimed.event)])
        return Outcome.delivered()

    def _settle(self, results: Iterable[tuple[_Claimed, Outcome]]) -> None:
        now = self._clock.now()
        with self._db.write() as conn:
            for claimed, outcome in results:
                row = events_deliveries.c.delivery_id == claimed.delivery_id
                if outcome.kind == "delivered":
                    conn.execute(delete(events_deliveries).where(row))
                    continue
                if outcome.kind == "deferred":
                    conn.execute(
                        update(events_deliveries)
                        .where(row)
                        .values(claimed_until=None, due_at=now + RATE_LIMITED_DELAY)
                    )
                    continue
                attempts = claimed.attempts + (0 if outcome.kind == "expired" else 1)
                policy = claimed.target.get("RetryPolicy") or {}
                max_retries = int(policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS))
                max_age = timedelta(
                    seconds=int(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE))
                )
                exhausted: str | None = None
                if outcome.kind == "expired" or (
                    outcome.kind == "retry" and now - claimed.ingested_at >= max_age
                ):
                    exhausted = "MaximumEventAgeInSeconds"
                elif outcome.kind == "retry" and attempts > max_retries:
                    exhausted = "MaximumRetryAttempts"
                if outcome.kind == "retry" and exhausted is None:
                    conn.execute(
                        update(events_deliveries)
                        .where(row)
                        .values(
                            attempts=attempts,
                            claimed_until=None,
                            due_at=now + backoff(attempts, self._backoff),
                            last_error=f"{outcome.code}: {outcome.message}",
                        )
                    )
                    continue
                conn.execute(delete(events_deliveries).where(row))
                conn.execute(
                    insert(events_dead_letters).values(
                        delivery_id=claimed.delivery_id,
                        account_id=claimed.account,
                        region=claimed.region,
                        rule_arn=claimed.rule_arn,
                        target_id=str(claimed.target.get("Id", "")),
                        target_arn=str(claimed.target.get("Arn", "")),
                        dead_letter_arn=(claimed.target.get("DeadLetterConfig") or {}).get("Arn"),
                        event=json.dumps(claimed.event, separators=(",", ":")),
                        error_code=outcome.code,
                        error_message=outcome.message,
                        exhausted_retry_condition=exhausted,
                        retry_attempts=max(0, attempts - 1),
                        created_at=now,
                    )
                )
                log.warning(
                    "event %s to %s dead-lettered: %s",
                    claimed.event.get("id"),
                    claimed.target.get("Arn"),
                    outcome.code,
                )

    # -- inspection ----------------------------------------------------------------------------

    def dead_letters(self, account: str, region: str) -> list[dict[str, Any]]:
        return read_dead_letters(self._db, account, region)

    def pending_deliveries(self) -> int:
        with self._db.read() as conn:
            return len(conn.execute(select(events_deliveries.c.delivery_id)).all())


def read_dead_letters(db: Database, account: str, region: str) -> list[dict[str, Any]]:
    """The dead-letter records of an account and region, oldest first (SQS-style attributes)."""
    with db.read() as conn:
        rows = conn.execute(
            select(events_dead_letters)
            .where(events_dead_letters.c.account_id == account, events_dead_letters.c.region == region)
            .order_by(events_dead_letters.c.created_at)
        ).all()
    return [dead_letter_record(r) for r in rows]


def dead_letter_record(row: Any) -> dict[str, Any]:
    return {
        "Body": row.event,
        "DeadLetterArn": row.dead_letter_arn,
        "Attributes": {
            "RULE_ARN": row.rule_arn,
            "TARGET_ARN": row.target_arn,
            "ERROR_CODE": row.error_code,
            "ERROR_MESSAGE": row.error_message,
            "EXHAUSTED_RETRY_CONDITION": row.exhausted_retry_condition,
            "RETRY_ATTEMPTS": row.retry_attempts,
        },
        "Time": row.created_at,
    }


def _pattern_rules(
    conn: Connection, account: str, region: str, bus_name: str
) -> list[tuple[Any, list[dict[str, Any]]]]:
    rules = conn.execute(
        select(events_rules.c.name, events_rules.c.arn, events_rules.c.event_pattern).where(
            events_rules.c.account_id == account,
            events_rules.c.region == region,
            events_rules.c.bus_name == bus_name,
            events_rules.c.state.in_(ACTIVE_STATES),
            events_rules.c.event_pattern.is_not(None),
        )
    ).all()
    if not rules:
        return []
    targets: dict[str, list[dict[str, Any]]] = {}
    for t in conn.execute(
        select(events_targets.c.rule_name, events_targets.c.spec)
        .where(
            events_targets.c.account_id == account,
            events_targets.c.region == region,
            events_targets.c.bus_name == bus_name,
        )
        .order_by(events_targets.c.position)
    ):
        targets.setdefault(t.rule_name, []).append(json.loads(t.spec))
    return [(rule, targets[rule.name]) for rule in rules if rule.name in targets]


def _targets(
    conn: Connection, account: str, region: str, bus_name: str, rule_name: str
) -> list[dict[str, Any]]:
    return [
        json.loads(spec)
        for spec in conn.execute(
            select(events_targets.c.spec)
            .where(
                events_targets.c.account_id == account,
                events_targets.c.region == region,
                events_targets.c.bus_name == bus_name,
                events_targets.c.rule_name == rule_name,
            )
            .order_by(events_targets.c.position)
        ).scalars()
    ]


def _rows_for(
    item: BusEvent, rule_arn: str, rule_name: str, targets: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    event_text = json.dumps(item.event, separators=(",", ":"))
    return [
        {
            "delivery_id": str(uuid.uuid4()),
            "account_id": item.account,
            "region": item.region,
            "rule_arn": rule_arn,
            "rule_name": rule_name,
            "target": json.dumps(target, separators=(",", ":")),
            "event": event_text,
            "ingested_at": now,
            "due_at": now,
            "claimed_until": None,
            "attempts": 0,
            "last_error": None,
        }
        for target in targets
    ]
