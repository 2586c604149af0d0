"""An EventBridge-compatible bus: patterns, envelopes, schedules, transforms, durable delivery.

Services publish with `kernel.events.publish(account, region, source, detail_type, detail,
resources)`; the events service (`services/events`) manages buses, rules, targets, connections
and API destinations on top of the same tables.
"""

from strongroom.core.events.bus import BusEvent, EventBus, bus_arn
from strongroom.core.events.envelope import build_event
from strongroom.core.events.patterns import EventPattern, InvalidEventPattern, compile_pattern, matches

__all__ = [
    "BusEvent",
    "EventBus",
    "EventPattern",
    "InvalidEventPattern",
    "build_event",
    "bus_arn",
    "compile_pattern",
    "matches",
]
