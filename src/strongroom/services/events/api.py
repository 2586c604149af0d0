"""Amazon EventBridge's json API: one method per operation — check, authorize, act, record.

Each handler authorizes `events:<Operation>` against the resource's ARN (rules, buses,
connections, API destinations; listings against `*`), with the bus's resource policy where a
bus in another account may be the target. State changes are single write transactions;
accepting events (PutEvents) commits their deliveries before the answer, and delivering them
is the kernel bus's background work.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Connection

from strongroom.aws.context import RequestContext
from strongroom.aws.errors import ServiceError
from strongroom.aws.service import ServiceApi
from strongroom.core.events import BusEvent, build_event
from strongroom.core.events.bus import EventBus
from strongroom.core.events.patterns import InvalidEventPattern, compile_pattern
from strongroom.core.events.schedule import InvalidSchedule, parse_schedule
from strongroom.core.iam.document import parse_policy
from strongroom.services.events import connections as cx
from strongroom.services.events import resources as rs
from strongroom.services.events.entries import (
    check_request_size,
    check_target,
    check_test_event,
    entry_error,
)
from strongroom.services.events.errors import (
    already_exists,
    bus_not_found,
    invalid,
    invalid_pattern,
    limit_exceeded,
    not_found,
    rule_not_found,
)
from strongroom.services.events.names import DEFAULT_BUS, BusRef, bus_ref, rule_arn
from strongroom.services.events.pagination import page

Request = dict[str, Any]
Result = dict[str, Any]

_RULE_TYPE = "AWS::Events::Rule"
_BUS_TYPE = "AWS::Events::EventBus"


class EventsApi(ServiceApi):
    """Amazon EventBridge."""

    model_name = "events"
    # The bus matches events against rules and targets kept in the "events" cache; every operation
    # but these reads (and PutEvents, which changes no rule) drops it on every worker.
    cache_name: ClassVar[str | None] = "events"
    pure_reads: ClassVar[frozenset[str]] = frozenset(
        {
            "PutEvents", "PutPartnerEvents", "TestEventPattern", "DescribeApiDestination",
            "DescribeArchive", "DescribeConnection", "DescribeEndpoint", "DescribeEventBus",
            "DescribeEventSource", "DescribePartnerEventSource", "DescribeReplay", "DescribeRule",
            "ListApiDestinations", "ListArchives", "ListConnections", "ListEndpoints", "ListEventBuses",
            "ListEventSources", "ListPartnerEventSourceAccounts", "ListPartnerEventSources",
            "ListReplays", "ListRuleNamesByTarget", "ListRules", "ListTagsForResource", "ListTargetsByRule",
        }
    )  # fmt: skip

    # -- event buses ---------------------------------------------------------------------------

    def create_event_bus(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        ref = BusRef(ctx.account_id, ctx.region, name)
        tags = request.get("Tags") or []
        ctx.authorize("events:CreateEventBus", ref.arn, request_tags={t["Key"]: t["Value"] for t in tags})
        if name == DEFAULT_BUS:
            raise already_exists(f"Event bus {name} already exists.")
        if request.get("EventSourceName"):
            raise invalid("Partner event sources are not available in Strongroom.")
        now = ctx.now()
        with self._write(lambda: already_exists(f"Event bus {name} already exists.")) as conn:
            if rs.find_bus(conn, ref) is not None:
                raise already_exists(f"Event bus {name} already exists.")
            if rs.count_buses(conn, ref.account, ref.region) >= rs.MAX_BUSES_PER_ACCOUNT:
                raise limit_exceeded()
            rs.ensure_default_bus(conn, ref, now)  # creates the row of this (non-default) bus
            rs.set_description(conn, ref, request.get("Description"))
            rs.put_tags(conn, ref.arn, tags)
        ctx.audit_resources.append((_BUS_TYPE, ref.arn))
        result: Result = {"EventBusArn": ref.arn}
        if request.get("Description"):
            result["Description"] = request["Description"]
        return result

    def describe_event_bus(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("Name"), ctx.account_id, ctx.region)
        with self._read() as conn:
            row = rs.find_bus(conn, ref)
            if row is None and ref.name != DEFAULT_BUS:
                raise bus_not_found(ref.name)
        ctx.authorize(
            "events:DescribeEventBus",
            ref.arn,
            resource_policy=row.policy if row else None,
            resource_account=ref.account,
        )
        return rs.describe_bus(row, ref, ctx.now())

    def list_event_buses(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("events:ListEventBuses", "*")
        prefix = request.get("NamePrefix") or ""
        with self._read() as conn:
            rows = {r.name: r for r in rs.list_buses(conn, ctx.account_id, ctx.region)}
        names = sorted(set(rows) | {DEFAULT_BUS})
        buses = [
            rs.describe_bus(rows.get(n), BusRef(ctx.account_id, ctx.region, n), ctx.now())
            for n in names
            if n.startswith(prefix)
        ]
        chunk, more = page(buses, request)
        return {"EventBuses": chunk, **more}

    def delete_event_bus(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request["Name"], ctx.account_id, ctx.region)
        ctx.authorize("events:DeleteEventBus", ref.arn)
        if ref.name == DEFAULT_BUS:
            raise invalid("Cannot delete event bus default.")
        with self._write() as conn:
            for rule in rs.list_rules(conn, ref, None):
                EventBus.unschedule_rule(conn, rule.arn)
            rs.delete_bus(conn, ref)  # deleting a bus that does not exist succeeds, as on AWS
        ctx.audit_resources.append((_BUS_TYPE, ref.arn))
        return {}

    def put_permission(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        ctx.authorize("events:PutPermission", ref.arn)
        document = request.get("Policy")
        now = ctx.now()
        with self._write() as conn:
            if not rs.bus_exists(conn, ref):
                raise bus_not_found(ref.name)
            rs.ensure_default_bus(conn, ref, now)
            if document is None:
                document = _with_statement(rs.bus_policy(conn, ref), ref, request)
            _check_policy(document)
            rs.set_policy(conn, ref, document, now)
        ctx.audit_resources.append((_BUS_TYPE, ref.arn))
        return {}

    def remove_permission(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        ctx.authorize("events:RemovePermission", ref.arn)
        sid = request.get("StatementId")
        remove_all = bool(request.get("RemoveAllPermissions"))
        if not sid and not remove_all:
            raise invalid("One of StatementId or RemoveAllPermissions must be specified.")
        with self._write() as conn:
            if not rs.bus_exists(conn, ref):
                raise bus_not_found(ref.name)
            current = rs.bus_policy(conn, ref)
            if remove_all:
                rs.set_policy(conn, ref, None, ctx.now())
            else:
                if current is None:
                    raise not_found("EventBus does not have a policy.")
                policy = json.loads(current)
                statements = [s for s in policy.get("Statement", []) if s.get("Sid") != sid]
                if len(statements) == len(policy.get("Statement", [])):
                    raise not_found("Statement with the provided id does not exist.")
                policy["Statement"] = statements
                rs.set_policy(conn, ref, json.dumps(policy) if statements else None, ctx.now())
        ctx.audit_resources.append((_BUS_TYPE, ref.arn))
        return {}

    # -- events --------------------------------------------------------------------------------

    def put_events(self, ctx: RequestContext, request: Request) -> Result:
        entries: list[dict[str, Any]] = request["Entries"]
        if request.get("EndpointId"):
            raise invalid("Global endpoints are not available in Strongroom.")
        check_request_size(entries)
        now = ctx.now()
        results: list[dict[str, Any]] = []
        accepted: list[BusEvent] = []
        buses: dict[BusRef, tuple[bool, str | None]] = {}
        with self._read() as conn:
            for entry in entries:
                ref = bus_ref(entry.get("EventBusName"), ctx.account_id, ctx.region)
                if ref not in buses:
                    row = rs.find_bus(conn, ref)
                    buses[ref] = (row is not None or ref.name == DEFAULT_BUS, row.policy if row else None)
        authorized: set[tuple[BusRef, str, str]] = set()
        for entry in entries:
            ref = bus_ref(entry.get("EventBusName"), ctx.account_id, ctx.region)
            exists, policy = buses[ref]
            error = entry_error(entry)
            if error is None and not exists:
                error = ("ResourceNotFoundException", f"Event bus {ref.name} does not exist.")
            if error is not None:
                results.append({"ErrorCode": error[0], "ErrorMessage": error[1]})
                continue
            key = (ref, entry["Source"], entry["DetailType"])
            if key not in authorized:
                ctx.authorize(
                    "events:PutEvents",
                    ref.arn,
                    resource_policy=policy,
                    resource_account=ref.account,
                    context_keys={
                        "events:source": entry["Source"],
                        "events:detail-type": entry["DetailType"],
                    },
                )
                authorized.add(key)
            event = build_event(
                account=ctx.account_id,
                region=ctx.region,
                source=entry["Source"],
                detail_type=entry["DetailType"],
                detail=json.loads(entry["Detail"]),
                resources=list(entry.get("Resources") or []),
                time=entry.get("Time") or now,
            )
            accepted.append(BusEvent(ref.account, ref.region, ref.name, event))
            results.append({"EventId": event["id"]})
        if accepted:
            ctx.kernel.events.put(accepted)
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    def test_event_pattern(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("events:TestEventPattern", "*")
        pattern = _compiled(request["EventPattern"])
        event = check_test_event(request["Event"])
        return {"Result": pattern.matches(event)}

    # -- rules ---------------------------------------------------------------------------------

    def put_rule(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        arn = rule_arn(ref.account, ref.region, ref.name, name)
        tags = request.get("Tags") or []
        ctx.authorize("events:PutRule", arn, request_tags={t["Key"]: t["Value"] for t in tags})
        pattern_text = request.get("EventPattern")
        schedule_text = request.get("ScheduleExpression")
        if not pattern_text and not schedule_text:
            raise invalid("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if pattern_text:
            _compiled(pattern_text)
        if schedule_text:
            if ref.name != DEFAULT_BUS:
                raise invalid("ScheduleExpression is supported only on the default event bus.")
            try:
                parse_schedule(schedule_text)
            except InvalidSchedule:
                raise invalid("Parameter ScheduleExpression is not valid.") from None
        state = request.get("State") or "ENABLED"
        now = ctx.now()
        values = {
            "arn": arn,
            "event_pattern": pattern_text or None,
            "schedule_expression": schedule_text or None,
            "state": state,
            "description": request.get("Description"),
            "role_arn": request.get("RoleArn"),
        }
        with self._write(
            lambda: ServiceError("ConcurrentModificationException", "Rule was modified concurrently.")
        ) as conn:
            rs.require_bus(conn, ref)
            existing = rs.find_rule(conn, ref, name)
            if existing is None:
                if rs.count_rules(conn, ref) >= rs.MAX_RULES_PER_BUS:
                    raise limit_exceeded()
                rs.create_rule(conn, ref, name, values, now)
                rs.put_tags(conn, arn, tags)
                created = now
            else:
                rs.update_rule(conn, existing, values)
                created = existing.created_at
            self._reschedule(conn, ref, name, arn, schedule_text, state, created, now)
        ctx.audit_resources.append((_RULE_TYPE, arn))
        return {"RuleArn": arn}

    def describe_rule(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        name = request["Name"]
        ctx.authorize("events:DescribeRule", rule_arn(ref.account, ref.region, ref.name, name))
        with self._read() as conn:
            row = rs.require_rule(conn, ref, name)
        return rs.describe_rule(row, full=True)

    def list_rules(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        ctx.authorize("events:ListRules", "*")
        with self._read() as conn:
            rs.require_bus(conn, ref)
            rows = rs.list_rules(conn, ref, request.get("NamePrefix"))
        chunk, more = page(rows, request)
        return {"Rules": [rs.describe_rule(r, full=False) for r in chunk], **more}

    def enable_rule(self, ctx: RequestContext, request: Request) -> Result:
        return self._set_state(ctx, request, "ENABLED", "events:EnableRule")

    def disable_rule(self, ctx: RequestContext, request: Request) -> Result:
        return self._set_state(ctx, request, "DISABLED", "events:DisableRule")

    def _set_state(self, ctx: RequestContext, request: Request, state: str, action: str) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        name = request["Name"]
        arn = rule_arn(ref.account, ref.region, ref.name, name)
        ctx.authorize(action, arn)
        with self._write() as conn:
            row = rs.require_rule(conn, ref, name)
            rs.update_rule(conn, row, {"state": state})
            self._reschedule(
                conn, ref, name, row.arn, row.schedule_expression, state, row.created_at, ctx.now()
            )
        ctx.audit_resources.append((_RULE_TYPE, arn))
        return {}

    def delete_rule(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        name = request["Name"]
        arn = rule_arn(ref.account, ref.region, ref.name, name)
        ctx.authorize("events:DeleteRule", arn)
        with self._write() as conn:
            row = rs.find_rule(conn, ref, name)
            if row is None:
                return {}  # deleting a rule that does not exist succeeds, as on AWS
            if rs.target_ids(conn, row):
                raise invalid("Rule can't be deleted since it has targets.")
            EventBus.unschedule_rule(conn, row.arn)
            rs.delete_rule(conn, row)
        ctx.audit_resources.append((_RULE_TYPE, arn))
        return {}

    def list_rule_names_by_target(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        ctx.authorize("events:ListRuleNamesByTarget", "*")
        with self._read() as conn:
            rs.require_bus(conn, ref)
            names = rs.rules_by_target(conn, ref, request["TargetArn"])
        chunk, more = page(names, request)
        return {"RuleNames": chunk, **more}

    # -- targets -------------------------------------------------------------------------------

    def put_targets(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        name = request["Rule"]
        arn = rule_arn(ref.account, ref.region, ref.name, name)
        ctx.authorize("events:PutTargets", arn)
        targets: list[dict[str, Any]] = request["Targets"]
        for target in targets:
            check_target(target)
        ids = [t["Id"] for t in targets]
        if len(set(ids)) != len(ids):
            raise invalid("Duplicate target ids in the request.")
        with self._write() as conn:
            rule = rs.require_rule(conn, ref, name)
            existing = set(rs.target_ids(conn, rule))
            if len(existing | set(ids)) > rs.MAX_TARGETS_PER_RULE:
                raise limit_exceeded(
                    f"The requested resource exceeds the maximum number allowed ({rs.MAX_TARGETS_PER_RULE} "
                    "targets per rule)."
                )
            for target in targets:
                rs.put_target(conn, rule, target)
        ctx.audit_resources.append((_RULE_TYPE, arn))
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        name = request["Rule"]
        arn = rule_arn(ref.account, ref.region, ref.name, name)
        ctx.authorize("events:RemoveTargets", arn)
        failed: list[dict[str, str]] = []
        with self._write() as conn:
            rule = rs.require_rule(conn, ref, name)
            existing = set(rs.target_ids(conn, rule))
            for target_id in request["Ids"]:
                if target_id not in existing:
                    failed.append(
                        {
                            "TargetId": target_id,
                            "ErrorCode": "ResourceNotFoundException",
                            "ErrorMessage": f"Target {target_id} does not exist on rule {name}.",
                        }
                    )
                    continue
                rs.remove_target(conn, rule, target_id)
        ctx.audit_resources.append((_RULE_TYPE, arn))
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def list_targets_by_rule(self, ctx: RequestContext, request: Request) -> Result:
        ref = bus_ref(request.get("EventBusName"), ctx.account_id, ctx.region)
        name = request["Rule"]
        ctx.authorize("events:ListTargetsByRule", rule_arn(ref.account, ref.region, ref.name, name))
        with self._read() as conn:
            rule = rs.require_rule(conn, ref, name)
            targets = rs.targets_of(conn, rule)
        chunk, more = page(targets, request)
        return {"Targets": chunk, **more}

    # -- tags ----------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["ResourceARN"]
        tags = request["Tags"]
        ctx.authorize("events:TagResource", arn, request_tags={t["Key"]: t["Value"] for t in tags})
        with self._write() as conn:
            self._require_taggable(conn, ctx, arn)
            rs.put_tags(conn, arn, tags)
        return {}

    def untag_resource(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["ResourceARN"]
        ctx.authorize("events:UntagResource", arn)
        with self._write() as conn:
            self._require_taggable(conn, ctx, arn)
            rs.remove_tags(conn, arn, request["TagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: Request) -> Result:
        arn = request["ResourceARN"]
        ctx.authorize("events:ListTagsForResource", arn)
        with self._read() as conn:
            self._require_taggable(conn, ctx, arn)
            return {"Tags": rs.tags_of(conn, arn)}

    def _require_taggable(self, conn: Connection, ctx: RequestContext, arn: str) -> None:
        prefix = f"arn:aws:events:{ctx.region}:{ctx.account_id}:"
        resource = arn[len(prefix) :] if arn.startswith(prefix) else ""
        kind, _, rest = resource.partition("/")
        if kind == "rule" and rest:
            bus, _, name = rest.rpartition("/")
            ref = BusRef(ctx.account_id, ctx.region, bus or DEFAULT_BUS)
            if rs.find_rule(conn, ref, name) is None:
                raise rule_not_found(name, ref.name)
            return
        if kind == "event-bus" and rest:
            ref = BusRef(ctx.account_id, ctx.region, rest)
            if not rs.bus_exists(conn, ref):
                raise bus_not_found(rest)
            return
        raise not_found(f"Resource {arn} does not exist.")

    # -- connections ---------------------------------------------------------------------------

    def create_connection(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        ctx.authorize("events:CreateConnection", ctx.arn("events", f"connection/{name}"))
        if request.get("InvocationConnectivityParameters") or request.get("KmsKeyIdentifier"):
            raise invalid("Private connectivity and customer managed keys are not available in Strongroom.")
        auth_type = request["AuthorizationType"]
        public, secrets = cx.split_auth(auth_type, request["AuthParameters"])

        def exists() -> Exception:
            return already_exists(f"Connection {name} already exists.")

        with self._write(exists) as conn:
            if cx.find_connection(conn, ctx.account_id, ctx.region, name) is not None:
                raise exists()
            row = cx.create_connection(
                conn,
                ctx.kernel.root,
                account=ctx.account_id,
                region=ctx.region,
                name=name,
                description=request.get("Description"),
                auth_type=auth_type,
                public=public,
                secrets=secrets,
                now=ctx.now(),
            )
        ctx.audit_resources.append(("AWS::Events::Connection", row.arn))
        return cx.connection_summary(row)

    def describe_connection(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        with self._read() as conn:
            row = cx.require_connection(conn, ctx.account_id, ctx.region, name)
        ctx.authorize("events:DescribeConnection", row.arn)
        return cx.describe_connection(row)

    def list_connections(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("events:ListConnections", "*")
        with self._read() as conn:
            rows = cx.list_connections(conn, ctx.account_id, ctx.region)
        prefix = request.get("NamePrefix") or ""
        state = request.get("ConnectionState")
        rows = [r for r in rows if r.name.startswith(prefix) and (not state or r.state == state)]
        chunk, more = page(rows, request)
        return {"Connections": [cx.describe_connection(r, listing=True) for r in chunk], **more}

    def update_connection(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        with self._write() as conn:
            row = cx.require_connection(conn, ctx.account_id, ctx.region, name)
            ctx.authorize("events:UpdateConnection", row.arn)
            row = cx.update_connection(
                conn,
                ctx.kernel.root,
                row,
                description=request.get("Description"),
                auth_type=request.get("AuthorizationType"),
                params=request.get("AuthParameters"),
                now=ctx.now(),
            )
        ctx.audit_resources.append(("AWS::Events::Connection", row.arn))
        return cx.connection_summary(row)

    def deauthorize_connection(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        with self._write() as conn:
            row = cx.require_connection(conn, ctx.account_id, ctx.region, name)
            ctx.authorize("events:DeauthorizeConnection", row.arn)
            row = cx.deauthorize(conn, row, ctx.now())
        ctx.audit_resources.append(("AWS::Events::Connection", row.arn))
        return cx.connection_summary(row, state="DEAUTHORIZING")

    def delete_connection(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        with self._write() as conn:
            row = cx.require_connection(conn, ctx.account_id, ctx.region, name)
            ctx.authorize("events:DeleteConnection", row.arn)
            cx.delete_connection(conn, row)
        ctx.audit_resources.append(("AWS::Events::Connection", row.arn))
        return cx.connection_summary(row, state="DELETING")

    # -- API destinations ------------------------------------------------------------------------

    def create_api_destination(self, ctx: RequestContext, request: Request) -> Result:
        name = request["Name"]
        ctx.authorize("events:CreateApiDestination", ctx.arn("events", f"api-destination/{name}"))
        endpoint = request["InvocationEndpoint"]
        cx.check_endpoint(endpoint, "InvocationEndpoint")

        def exists() -> Exception:
            return already_exists(f"An api-destination '{name}' already exists.")

        with self._write(exists) as conn:
            connection = cx.connection_by_arn(conn, request["ConnectionArn"])
            if connection is None or connection.account_id != ctx.account_id:
                raise not_found(f"Connection '{request['ConnectionArn']}' does not exist.")
            if cx.find_destination(conn, ctx.account_id, ctx.region, name) is not None:
                raise exists()
            row = cx.create_destination(
                conn,
                account=ctx.account_id,
                region=ctx.region,
                name=name,
                description=request.get("Description"),
                connection=connection.arn,
                endpoint=endpoint,
                method=request["HttpMethod"],
                rate_limit=request.get("InvocationRateLimitPerSecond"),
                now=ctx.now(),
            )
        ctx.audit_resources.append(("AWS::Events::ApiDestination", row.arn))
        return cx.destination_summary(row)

    def describe_api_destination(self, ctx: RequestContext, request: Request) -> Result:
        with self._read() as conn:
            row = cx.require_destination(conn, ctx.account_id, ctx.region, request["Name"])
        ctx.authorize("events:DescribeApiDestination", row.arn)
        return cx.describe_destination(row)

    def list_api_destinations(self, ctx: RequestContext, request: Request) -> Result:
        ctx.authorize("events:ListApiDestinations", "*")
        with self._read() as conn:
            rows = cx.list_destinations(conn, ctx.account_id, ctx.region)
        prefix = request.get("NamePrefix") or ""
        connection = request.get("ConnectionArn")
        rows = [
            r
            for r in rows
            if r.name.startswith(prefix) and (not connection or r.connection_arn == connection)
        ]
        chunk, more = page(rows, request)
        described = []
        for r in chunk:
            d = cx.describe_destination(r)
            d.pop("Description", None)
            described.append(d)
        return {"ApiDestinations": described, **more}

    def update_api_destination(self, ctx: RequestContext, request: Request) -> Result:
        values: dict[str, Any] = {}
        if request.get("Description") is not None:
            values["description"] = request["Description"]
        if request.get("InvocationEndpoint"):
            cx.check_endpoint(request["InvocationEndpoint"], "InvocationEndpoint")
            values["endpoint"] = request["InvocationEndpoint"]
        if request.get("HttpMethod"):
            values["http_method"] = request["HttpMethod"]
        if request.get("InvocationRateLimitPerSecond") is not None:
            values["rate_limit"] = request["InvocationRateLimitPerSecond"]
        with self._write() as conn:
            row = cx.require_destination(conn, ctx.account_id, ctx.region, request["Name"])
            ctx.authorize("events:UpdateApiDestination", row.arn)
            if request.get("ConnectionArn"):
                connection = cx.connection_by_arn(conn, request["ConnectionArn"])
                if connection is None or connection.account_id != ctx.account_id:
                    raise not_found(f"Connection '{request['ConnectionArn']}' does not exist.")
                values["connection_arn"] = connection.arn
            row = cx.update_destination(conn, row, values, ctx.now())
        ctx.audit_resources.append(("AWS::Events::ApiDestination", row.arn))
        return cx.destination_summary(row)

    def delete_api_destination(self, ctx: RequestContext, request: Request) -> Result:
        with self._write() as conn:
            row = cx.require_destination(conn, ctx.account_id, ctx.region, request["Name"])
            ctx.authorize("events:DeleteApiDestination", row.arn)
            cx.delete_destination(conn, row)
        ctx.audit_resources.append(("AWS::Events::ApiDestination", row.arn))
        return {}

    # -- helpers -------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.kernel.db.read() as conn:
            yield conn

    @contextmanager
    def _write(self, on_duplicate: Any = None) -> Iterator[Connection]:
        if on_duplicate is None:
            with self.kernel.db.write() as conn:
                yield conn
        else:
            with self.kernel.db.write_unique(on_duplicate) as conn:
                yield conn

    @staticmethod
    def _reschedule(
        conn: Connection,
        ref: BusRef,
        name: str,
        arn: str,
        schedule: str | None,
        state: str,
        created: datetime,
        now: datetime,
    ) -> None:
        if schedule and state != "DISABLED":
            EventBus.schedule_rule(
                conn,
                account=ref.account,
                region=ref.region,
                rule_name=name,
                rule_arn=arn,
                expression=schedule,
                anchor=created,
                now=now,
            )
        else:
            EventBus.unschedule_rule(conn, arn)


def _compiled(text: str) -> Any:
    try:
        return compile_pattern(text)
    except InvalidEventPattern as exc:
        raise invalid_pattern(str(exc)) from None


def _check_policy(document: str) -> None:
    try:
        parse_policy(document, kind="resource")
    except Exception as exc:  # the policy engine's own error names the fault
        raise invalid(f"Policy is not valid: {exc}") from None


def _with_statement(current: str | None, ref: BusRef, request: Request) -> str:
    for member in ("Action", "Principal", "StatementId"):
        if not request.get(member):
            raise invalid(f"Parameter {member} must be specified when Policy is not.")
    principal = request["Principal"]
    statement: dict[str, Any] = {
        "Sid": request["StatementId"],
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
        "Action": request["Action"],
        "Resource": ref.arn,
    }
    condition = request.get("Condition")
    if condition:
        statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
    policy: dict[str, Any] = json.loads(current) if current else {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    policy["Statement"] = [s for s in statements if s.get("Sid") != statement["Sid"]] + [statement]
    return json.dumps(policy)


__all__ = ["EventsApi"]
