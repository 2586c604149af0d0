"""ARNs and names of EventBridge resources; a bus is named by name or by ARN."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.services.events.errors import invalid

DEFAULT_BUS = "default"
_BUS_ARN = re.compile(r"arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus/(.+)")


@dataclass(frozen=True)
class BusRef:
    """Which bus a request names: its account, region and name."""

    account: str
    region: str
    name: str

    @property
    def arn(self) -> str:
        return bus_arn(self.account, self.region, self.name)


def bus_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def rule_arn(account: str, region: str, bus: str, name: str) -> str:
    if bus == DEFAULT_BUS:
        return f"arn:aws:events:{region}:{account}:rule/{name}"
    return f"arn:aws:events:{region}:{account}:rule/{bus}/{name}"


def connection_arn(account: str, region: str, name: str, uid: str) -> str:
    return f"arn:aws:events:{region}:{account}:connection/{name}/{uid}"


def api_destination_arn(account: str, region: str, name: str, uid: str) -> str:
    return f"arn:aws:events:{region}:{account}:api-destination/{name}/{uid}"


def bus_ref(value: str | None, account: str, region: str) -> BusRef:
    """The bus a request names (None: the default bus); an ARN may name another account's."""
    if not value:
        return BusRef(account, region, DEFAULT_BUS)
    match = _BUS_ARN.fullmatch(value)
    if match is not None:
        if match[1] != region:
            raise invalid(f"Event bus ARN {value} is not in region {region}.")
        return BusRef(match[2], match[1], match[3])
    if value.startswith("arn:"):
        raise invalid(f"Parameter {value} is not valid. Reason: Provided Arn is not in correct format.")
    return BusRef(account, region, value)
