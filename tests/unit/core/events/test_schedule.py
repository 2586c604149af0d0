"""Schedule expressions: AWS's rate and six-field cron, and when each fires next (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strongroom.core.events.schedule import InvalidSchedule, parse_schedule

T0 = datetime(2026, 3, 4, 10, 17, 30, tzinfo=UTC)  # a Wednesday


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("rate(5 minutes)", T0, at(2026, 3, 4, 10, 22, 30)),
        ("rate(1 minute)", T0, at(2026, 3, 4, 10, 18, 30)),
        ("rate(1 hour)", T0, at(2026, 3, 4, 11, 17, 30)),
        ("rate(2 days)", T0, at(2026, 3, 6, 10, 17, 30)),
        # "Cron expressions" examples of the EventBridge Scheduler/rules documentation:
        ("cron(15 10 * * ? *)", T0, at(2026, 3, 5, 10, 15)),  # 10:15 every day
        ("cron(0 18 ? * MON-FRI *)", T0, at(2026, 3, 4, 18, 0)),  # 6 pm Monday to Friday
        ("cron(0 8 1 * ? *)", T0, at(2026, 4, 1, 8, 0)),  # 8 am on the first of the month
        ("cron(0/15 * * * ? *)", T0, at(2026, 3, 4, 10, 30)),  # every 15 minutes
        ("cron(0/10 * ? * MON-FRI *)", T0, at(2026, 3, 4, 10, 20)),  # every 10 min, weekdays
        ("cron(0/5 8-17 ? * MON-FRI *)", T0, at(2026, 3, 4, 10, 20)),
        ("cron(0 9 ? * 2#1 *)", T0, at(2026, 4, 6, 9, 0)),  # first Monday of the month
        ("cron(0 12 L * ? *)", T0, at(2026, 3, 31, 12, 0)),  # last day of the month
        ("cron(0 12 ? * 6L *)", T0, at(2026, 3, 27, 12, 0)),  # last Friday
        ("cron(0 12 15W * ? *)", T0, at(2026, 3, 16, 12, 0)),  # 15th is a Sunday: Monday 16th
        ("cron(0 0 1 JAN ? 2027)", T0, at(2027, 1, 1, 0, 0)),
        ("cron(30 10 4 3 ? 2026)", T0, at(2026, 3, 4, 10, 30)),
        ("cron(0 10 ? * SUN *)", T0, at(2026, 3, 8, 10, 0)),
        ("cron(0 10 ? * 1 *)", T0, at(2026, 3, 8, 10, 0)),  # SUN=1
        ("cron(0 0 1 1 ? 2020)", T0, None),  # never again
    ],
)
def test_next_firing(expression: str, after: datetime, expected: datetime | None) -> None:
    assert parse_schedule(expression).next_after(after, anchor=after) == expected


def test_a_rate_counts_from_its_anchor() -> None:
    schedule = parse_schedule("rate(10 minutes)")
    anchor = at(2026, 1, 1, 0, 0)
    assert schedule.next_after(at(2026, 1, 1, 0, 25), anchor=anchor) == at(2026, 1, 1, 0, 30)
    assert schedule.next_after(at(2026, 1, 1, 0, 30), anchor=anchor) == at(2026, 1, 1, 0, 40)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(0 minutes)",
        "rate(5 minute)",
        "rate(1 minutes)",
        "rate(5 weeks)",
        "cron(0 12 * * * *)",  # neither day field is ?
        "cron(0 12 ? * ? *)",  # both are
        "cron(0 12 * *)",
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 32 * ? *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 ? FOO * *)",
        "every 5 minutes",
    ],
)
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(InvalidSchedule):
        parse_schedule(expression)
