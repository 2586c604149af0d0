"""Buses, rules, targets and tags as rows: lookups, creation, removal."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from strongroom.core.events.tables import events_buses, events_rules, events_tags, events_targets
from strongroom.services.events.errors import bus_not_found, rule_not_found
from strongroom.services.events.names import DEFAULT_BUS, BusRef

MAX_RULES_PER_BUS = 300
MAX_TARGETS_PER_RULE = 5
MAX_BUSES_PER_ACCOUNT = 100


# -- buses ----------------------------------------------------------------------------------------


def find_bus(conn: Connection, ref: BusRef) -> Row[Any] | None:
    return conn.execute(
        select(events_buses).where(
            events_buses.c.account_id == ref.account,
            events_buses.c.region == ref.region,
            events_buses.c.name == ref.name,
        )
    ).first()


def bus_exists(conn: Connection, ref: BusRef) -> bool:
    return ref.name == DEFAULT_BUS or find_bus(conn, ref) is not None


def require_bus(conn: Connection, ref: BusRef) -> None:
    if not bus_exists(conn, ref):
        raise bus_not_found(ref.name)


def bus_policy(conn: Connection, ref: BusRef) -> str | None:
    row = find_bus(conn, ref)
    return row.policy if row is not None else None


def ensure_default_bus(conn: Connection, ref: BusRef, now: datetime) -> Row[Any]:
    """The default bus's row, made on first need (it exists implicitly in every account)."""
    row = find_bus(conn, ref)
    if row is None:
        conn.execute(
            insert(events_buses).values(
                account_id=ref.account,
                region=ref.region,
                name=ref.name,
                arn=ref.arn,
                description=None,
                policy=None,
                created_at=now,
                modified_at=now,
            )
        )
        row = find_bus(conn, ref)
        assert row is not None
    return row


def count_buses(conn: Connection, account: str, region: str) -> int:
    return int(
        conn.execute(
            select(func.count()).where(events_buses.c.account_id == account, events_buses.c.region == region)
        ).scalar_one()
    )


def list_buses(conn: Connection, account: str, region: str) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(events_buses)
            .where(events_buses.c.account_id == account, events_buses.c.region == region)
            .order_by(events_buses.c.name)
        )
    )


def delete_bus(conn: Connection, ref: BusRef) -> None:
    where = (
        (events_targets.c.account_id == ref.account)
        & (events_targets.c.region == ref.region)
        & (events_targets.c.bus_name == ref.name)
    )
    conn.execute(delete(events_targets).where(where))
    rule_arns = [
        r.arn
        for r in conn.execute(
            select(events_rules.c.arn).where(
                events_rules.c.account_id == ref.account,
                events_rules.c.region == ref.region,
                events_rules.c.bus_name == ref.name,
            )
        )
    ]
    if rule_arns:
        conn.execute(delete(events_tags).where(events_tags.c.resource_arn.in_(rule_arns)))
    conn.execute(
        delete(events_rules).where(
            events_rules.c.account_id == ref.account,
            events_rules.c.region == ref.region,
            events_rules.c.bus_name == ref.name,
        )
    )
    conn.execute(delete(events_tags).where(events_tags.c.resource_arn == ref.arn))
    conn.execute(
        delete(events_buses).where(
            events_buses.c.account_id == ref.account,
            events_buses.c.region == ref.region,
            events_buses.c.name == ref.name,
        )
    )


def set_policy(conn: Connection, ref: BusRef, policy: str | None, now: datetime) -> None:
    conn.execute(
        update(events_buses)
        .where(
            events_buses.c.account_id == ref.account,
            events_buses.c.region == ref.region,
            events_buses.c.name == ref.name,
        )
        .values(policy=policy, modified_at=now)
    )


def set_description(conn: Connection, ref: BusRef, description: str | None) -> None:
    conn.execute(update(events_buses).where(events_buses.c.arn == ref.arn).values(description=description))


def describe_bus(row: Row[Any] | None, ref: BusRef, now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": ref.name, "Arn": ref.arn}
    if row is None:  # the default bus before anything was stored for it
        return {**out, "CreationTime": now, "LastModifiedTime": now}
    if row.description:
        out["Description"] = row.description
    if row.policy:
        out["Policy"] = row.policy
    out["CreationTime"] = row.created_at
    out["LastModifiedTime"] = row.modified_at
    return out


# -- rules ----------------------------------------------------------------------------------------


def find_rule(conn: Connection, ref: BusRef, name: str) -> Row[Any] | None:
    return conn.execute(
        select(events_rules).where(
            events_rules.c.account_id == ref.account,
            events_rules.c.region == ref.region,
            events_rules.c.bus_name == ref.name,
            events_rules.c.name == name,
        )
    ).first()


def require_rule(conn: Connection, ref: BusRef, name: str) -> Row[Any]:
    row = find_rule(conn, ref, name)
    if row is None:
        raise rule_not_found(name, ref.name)
    return row


def count_rules(conn: Connection, ref: BusRef) -> int:
    return int(
        conn.execute(
            select(func.count()).where(
                events_rules.c.account_id == ref.account,
                events_rules.c.region == ref.region,
                events_rules.c.bus_name == ref.name,
            )
        ).scalar_one()
    )


def list_rules(conn: Connection, ref: BusRef, prefix: str | None) -> list[Row[Any]]:
    query = select(events_rules).where(
        events_rules.c.account_id == ref.account,
        events_rules.c.region == ref.region,
        events_rules.c.bus_name == ref.name,
    )
    rows = list(conn.execute(query.order_by(events_rules.c.name)))
    return [r for r in rows if not prefix or r.name.startswith(prefix)]


def create_rule(conn: Connection, ref: BusRef, name: str, values: dict[str, Any], now: datetime) -> None:
    conn.execute(
        insert(events_rules).values(
            account_id=ref.account, region=ref.region, bus_name=ref.name, name=name, created_at=now, **values
        )
    )


def update_rule(conn: Connection, row: Row[Any], values: dict[str, Any]) -> None:
    conn.execute(update(events_rules).where(events_rules.c.arn == row.arn).values(**values))


def describe_rule(row: Row[Any], *, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": row.name, "Arn": row.arn}
    if row.event_pattern:
        out["EventPattern"] = row.event_pattern
    if row.schedule_expression:
        out["ScheduleExpression"] = row.schedule_expression
    out["State"] = row.state
    if row.description:
        out["Description"] = row.description
    if row.role_arn:
        out["RoleArn"] = row.role_arn
    out["EventBusName"] = row.bus_name
    if full:
        out["CreatedBy"] = row.account_id
    return out


def delete_rule(conn: Connection, row: Row[Any]) -> None:
    conn.execute(delete(events_tags).where(events_tags.c.resource_arn == row.arn))
    conn.execute(
        delete(events_rules).where(
            events_rules.c.account_id == row.account_id,
            events_rules.c.region == row.region,
            events_rules.c.bus_name == row.bus_name,
            events_rules.c.name == row.name,
        )
    )


# -- targets --------------------------------------------------------------------------------------


def _target_where(rule: Row[Any]) -> Any:
    return (
        (events_targets.c.account_id == rule.account_id)
        & (events_targets.c.region == rule.region)
        & (events_targets.c.bus_name == rule.bus_name)
        & (events_targets.c.rule_name == rule.name)
    )


def targets_of(conn: Connection, rule: Row[Any]) -> list[dict[str, Any]]:
    return [
        json.loads(spec)
        for spec in conn.execute(
            select(events_targets.c.spec).where(_target_where(rule)).order_by(events_targets.c.position)
        ).scalars()
    ]


def target_ids(conn: Connection, rule: Row[Any]) -> list[str]:
    return list(conn.execute(select(events_targets.c.target_id).where(_target_where(rule))).scalars())


def put_target(conn: Connection, rule: Row[Any], target: dict[str, Any]) -> None:
    spec = json.dumps(target, separators=(",", ":"))
    changed = conn.execute(
        update(events_targets)
        .where(_target_where(rule), events_targets.c.target_id == target["Id"])
        .values(arn=target["Arn"], spec=spec)
    )
    if changed.rowcount == 0:
        position = conn.execute(
            select(func.coalesce(func.max(events_targets.c.position), 0)).where(_target_where(rule))
        ).scalar_one()
        conn.execute(
            insert(events_targets).values(
                account_id=rule.account_id,
                region=rule.region,
                bus_name=rule.bus_name,
                rule_name=rule.name,
                target_id=target["Id"],
                arn=target["Arn"],
                spec=spec,
                position=int(position) + 1,
            )
        )


def remove_target(conn: Connection, rule: Row[Any], target_id: str) -> None:
    conn.execute(delete(events_targets).where(_target_where(rule), events_targets.c.target_id == target_id))


def rules_by_target(conn: Connection, ref: BusRef, target_arn: str) -> list[str]:
    return sorted(
        set(
            conn.execute(
                select(events_targets.c.rule_name).where(
                    events_targets.c.account_id == ref.account,
                    events_targets.c.region == ref.region,
                    events_targets.c.bus_name == ref.name,
                    events_targets.c.arn == target_arn,
                )
            ).scalars()
        )
    )


# -- tags -----------------------------------------------------------------------------------------


def tags_of(conn: Connection, arn: str) -> list[dict[str, str]]:
    return [
        {"Key": r.tag_key, "Value": r.tag_value}
        for r in conn.execute(
            select(events_tags).where(events_tags.c.resource_arn == arn).order_by(events_tags.c.tag_key)
        )
    ]


def put_tags(conn: Connection, arn: str, tags: list[dict[str, str]]) -> None:
    for tag in tags:
        changed = conn.execute(
            update(events_tags)
            .where(events_tags.c.resource_arn == arn, events_tags.c.tag_key == tag["Key"])
            .values(tag_value=tag["Value"])
        )
        if changed.rowcount == 0:
            conn.execute(
                insert(events_tags).values(resource_arn=arn, tag_key=tag["Key"], tag_value=tag["Value"])
            )


def remove_tags(conn: Connection, arn: str, keys: list[str]) -> None:
    conn.execute(
        delete(events_tags).where(events_tags.c.resource_arn == arn, events_tags.c.tag_key.in_(keys))
    )
