"""Rotation rules: what AWS refuses, and when the next rotation window opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from strongroom.aws.errors import ServiceError
from strongroom.services.secretsmanager.schedules import parse_cron, parse_rules

NOW = datetime(2030, 3, 14, 15, 9, 26, tzinfo=UTC)


def test_days_open_at_midnight_after_the_interval() -> None:
    schedule = parse_rules({"AutomaticallyAfterDays": 7})
    assert schedule.next_rotation(NOW, NOW) == datetime(2030, 3, 21, tzinfo=UTC)


def test_rate_hours_and_days() -> None:
    every_six_hours = parse_rules({"ScheduleExpression": "rate(6 hours)"})
    assert every_six_hours.next_rotation(NOW, NOW) == NOW + timedelta(hours=6)
    assert parse_rules({"ScheduleExpression": "rate(2 days)"}).next_rotation(NOW, NOW) == datetime(
        2030, 3, 16, tzinfo=UTC
    )


def test_cron_next_match() -> None:
    schedule = parse_rules({"ScheduleExpression": "cron(0 16 ? * MON-FRI *)", "Duration": "2h"})
    assert schedule.next_rotation(NOW, NOW) == datetime(2030, 3, 14, 16, 0, tzinfo=UTC)  # a Thursday
    friday_evening = datetime(2030, 3, 15, 17, 0, tzinfo=UTC)
    assert schedule.next_rotation(friday_evening, friday_evening) == datetime(2030, 3, 18, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("0 8 L * ? *", datetime(2030, 3, 31, 8, 0, tzinfo=UTC)),
        ("30 2 ? * 6#2 *", datetime(2030, 4, 12, 2, 30, tzinfo=UTC)),  # second Friday of April
        ("0 0 ? * 1L *", datetime(2030, 3, 31, 0, 0, tzinfo=UTC)),  # last Sunday of March
        ("0 12 1,15 JAN-DEC ? 2031", datetime(2031, 1, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_cron_forms(body: str, expected: datetime) -> None:
    assert parse_cron(body).next_after(NOW) == expected


@pytest.mark.parametrize(
    "rules",
    [
        {"AutomaticallyAfterDays": 7, "ScheduleExpression": "rate(7 days)"},
        {"ScheduleExpression": "rate(2 hours)"},
        {"ScheduleExpression": "cron(0 * * * ? *)"},  # hourly: more often than every 4 hours
        {"ScheduleExpression": "cron(0 8 * * * *)"},  # both day fields given
        {"ScheduleExpression": "every tuesday"},
        {"AutomaticallyAfterDays": 1, "Duration": "24h"},
        {"ScheduleExpression": "rate(1 days)", "Duration": "25h"},
        {"Duration": "3h"},
    ],
)
def test_refused_rules(rules: dict[str, object]) -> None:
    with pytest.raises(ServiceError) as info:
        parse_rules(rules)
    assert info.value.code == "InvalidParameterException"
