"""EventBridge state: buses, rules, targets, tags, connections, API destinations, the delivery queue.

Names are unique per (account, region[, bus]); ARNs are stored for lookups by ARN. The delivery
queue (`events_deliveries`) is what makes delivery at-least-once: a row is written in the same
transaction that accepts the event and removed only after the target answered or the retry
policy gave up (then a row in `events_dead_letters` records why).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text

from strongroom.core.store.schema import UtcDateTime, metadata

events_buses = Table(
    "events_buses",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("arn", String(1600), nullable=False, unique=True),
    Column("description", Text),
    Column("policy", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("modified_at", UtcDateTime, nullable=False),
)

events_rules = Table(
    "events_rules",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("bus_name", String(256), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("arn", String(1600), nullable=False, unique=True),
    Column("event_pattern", Text),
    Column("schedule_expression", String(256)),
    Column("state", String(64), nullable=False),
    Column("description", Text),
    Column("role_arn", String(1600)),
    Column("created_at", UtcDateTime, nullable=False),
)

events_targets = Table(
    "events_targets",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("bus_name", String(256), primary_key=True),
    Column("rule_name", String(64), primary_key=True),
    Column("target_id", String(64), primary_key=True),
    Column("arn", String(1600), nullable=False),
    Column("spec", Text, nullable=False),  # the Target as PutTargets received it (JSON)
    Column("position", Integer, nullable=False),
    Index("ix_events_targets_arn", "account_id", "region", "arn"),
)

events_tags = Table(
    "events_tags",
    metadata,
    Column("resource_arn", String(1600), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)

events_connections = Table(
    "events_connections",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("arn", String(1600), nullable=False, unique=True),
    Column("description", Text),
    Column("authorization_type", String(32), nullable=False),
    Column("state", String(32), nullable=False),
    Column("state_reason", Text),
    Column("public_parameters", Text, nullable=False),  # AuthParameters without any secret (JSON)
    Column("sealed_secrets", LargeBinary),  # the secrets, sealed under the root of trust
    Column("created_at", UtcDateTime, nullable=False),
    Column("modified_at", UtcDateTime, nullable=False),
    Column("authorized_at", UtcDateTime),
)

events_api_destinations = Table(
    "events_api_destinations",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("arn", String(1600), nullable=False, unique=True),
    Column("description", Text),
    Column("connection_arn", String(1600), nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("http_method", String(16), nullable=False),
    Column("rate_limit", Integer),
    Column("state", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("modified_at", UtcDateTime, nullable=False),
)

events_deliveries = Table(
    "events_deliveries",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("rule_arn", String(1600), nullable=False),
    Column("rule_name", String(64), nullable=False),
    Column("target", Text, nullable=False),  # the target as it was when the event matched (JSON)
    Column("event", Text, nullable=False),
    Column("ingested_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    # Wall-clock lease of the worker attempting it: a crashed worker's claim simply runs out.
    Column("claimed_until", UtcDateTime),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Index("ix_events_deliveries_due", "due_at"),
)

events_dead_letters = Table(
    "events_dead_letters",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("rule_arn", String(1600), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("target_arn", String(1600), nullable=False),
    Column("dead_letter_arn", String(1600)),
    Column("event", Text, nullable=False),
    Column("error_code", String(64), nullable=False),
    Column("error_message", Text, nullable=False),
    Column("exhausted_retry_condition", String(64)),
    Column("retry_attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_events_dead_letters_account", "account_id", "region", "created_at"),
)

__all__ = [
    "events_api_destinations",
    "events_buses",
    "events_connections",
    "events_dead_letters",
    "events_deliveries",
    "events_rules",
    "events_tags",
    "events_targets",
]
