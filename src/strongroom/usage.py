"""`strongroom usage` and `/_strongroom/usage`: what the recorded usage would cost on AWS.

One document per call: the business month asked for (default: the current one), and for each
metered service its priced lines per account (`services/<svc>/usage.py` of KMS, Secrets Manager
and Parameter Store). Request counts
reach the database within a second of the request (`core.metering.UsageMeter`).
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
import urllib.parse
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strongroom.core.clock import Clock
from strongroom.core.metering import money, period_of
from strongroom.core.store import Database

if TYPE_CHECKING:
    from strongroom.aws.http import HttpRequest
    from strongroom.core.kernel import Kernel

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_ACCOUNT = re.compile(r"\d{12}")


class UsageRequestError(ValueError):
    """A malformed account id or month."""


def usage_report(
    db: Database, now: datetime, *, account: str | None = None, period: str | None = None
) -> dict[str, Any]:
    from strongroom.services.kms.usage import usage_document as kms_usage
    from strongroom.services.secretsmanager.usage import usage_document as secretsmanager_usage
    from strongroom.services.ssm.usage import usage_document as ssm_usage

    if account is not None and not _ACCOUNT.fullmatch(account):
        raise UsageRequestError("account must be a 12-digit AWS account id")
    period = period or period_of(now)
    if not _PERIOD.fullmatch(period):
        raise UsageRequestError("period must be a month, YYYY-MM")
    with db.read() as conn:
        services = [
            document(conn, period=period, now=now, account=account)
            for document in (kms_usage, secretsmanager_usage, ssm_usage)
        ]
    totals: dict[str, Decimal] = {}
    for service in services:
        for entry in service["accounts"]:
            totals[entry["account"]] = totals.get(entry["account"], Decimal(0)) + Decimal(entry["total_usd"])
    return {
        "period": period,
        "as_of": now.isoformat().replace("+00:00", "Z"),
        "currency": "USD",
        "services": services,
        "totals": [{"account": a, "total_usd": str(money(t))} for a, t in sorted(totals.items())],
    }


def render_text(report: dict[str, Any]) -> str:
    lines = [f"AWS-equivalent cost, {report['period']} (as of {report['as_of']}), USD"]
    for service in report["services"]:
        lines.append(
            f"\n{service['service']} — prices from {service['prices']['source']}"
            f" ({service['prices']['retrieved']})"
        )
        for entry in service["accounts"]:
            lines.append(f"  account {entry['account']}: {entry['total_usd']}")
            for line in entry["lines"]:
                lines.append(
                    f"    {line['description']:<52} {line['region']:<15} {line['quantity']:>14}"
                    f" {line['unit']:<10} {line['cost_usd']:>12}"
                )
    return "\n".join(lines) + "\n"


def print_usage(
    data_dir: Path, database_url: str | None, account: str | None, period: str | None, output: str
) -> int:
    """`strongroom usage`: the report for a data dir or database, on the server's business clock."""
    from strongroom.config import Config
    from strongroom.migrations.runner import upgrade

    if account is not None and not _ACCOUNT.fullmatch(account):
        sys.stderr.write("error: --account must be a 12-digit AWS account id\n")
        return 2
    db = Database(Config(data_dir=data_dir, database_url=database_url).effective_database_url)
    try:
        upgrade(db)
        clock = Clock(data_dir / "dev-clock")  # a dev server's moved clock, when there is one
        report = usage_report(db, clock.now(), account=account, period=period)
    except UsageRequestError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    finally:
        db.dispose()
    sys.stdout.write(json.dumps(report, indent=2) + "\n" if output == "json" else render_text(report))
    return 0


def handle_usage_request(kernel: Kernel, request: HttpRequest, dev: bool) -> tuple[int, dict[str, Any]]:
    """`GET /_strongroom/usage?account=A&period=YYYY-MM`: the report as JSON.

    The path carries no AWS authentication, so it answers loopback clients only (any client of
    a dev server, which is itself bound to loopback).
    """
    if not dev and not _is_loopback(request.source_ip):
        return 403, {"__type": "AccessDenied", "message": "/_strongroom/usage answers loopback clients only"}
    query = urllib.parse.parse_qs(request.query_string)
    try:
        report = usage_report(
            kernel.db,
            kernel.clock.now(),
            account=query["account"][0] if query.get("account") else None,
            period=query["period"][0] if query.get("period") else None,
        )
    except UsageRequestError as exc:
        return 400, {"__type": "ValidationException", "message": str(exc)}
    return 200, report


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
