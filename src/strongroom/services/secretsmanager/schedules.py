"""Rotation schedules: RotationRules checked as AWS checks them, and the next rotation's date.

AutomaticallyAfterDays N and ``rate(N days)`` rotate in a window that opens at 00:00 UTC on the
day N days after the last rotation; ``rate(N hours)`` rotates N hours after it; a
``cron(minutes hours day-of-month month day-of-week year)`` expression (EventBridge's
six-field form, with ``?``, ``L`` and ``#``) opens a window at each time it matches. Strongroom
rotates at the window's start, so a test that moves the clock knows when rotation runs.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from strongroom.services.secretsmanager.errors import invalid_parameter

MIN_INTERVAL = timedelta(hours=4)
_RATE = re.compile(r"rate\(\s*(\d+)\s+(hours?|days?)\s*\)")
_CRON = re.compile(r"cron\((.*)\)")
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_matches: Callable[[int, int, int], bool]
    months: frozenset[int]
    years: frozenset[int] | None

    def next_after(self, after: datetime) -> datetime | None:
        start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None

    def _day(self, day: datetime) -> bool:
        if self.years is not None and day.year not in self.years:
            return False
        return day.month in self.months and self.day_matches(day.year, day.month, day.day)


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    result: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _number(step_text, 1, high)
        if part in ("*", ""):
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _number(a, low, high, names), _number(b, low, high, names)
        else:
            first = _number(part, low, high, names)
            last = high if step != 1 else first
        if first > last:
            raise ValueError(field)
        result.update(range(first, last + 1, step))
    return frozenset(result)


def _number(text: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    text = text.strip().upper()
    if names and text in names:
        return names[text]
    value = int(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


def parse_cron(body: str) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise ValueError(body)
    minute_f, hour_f, dom_f, month_f, dow_f, year_f = fields
    if (dom_f == "?") == (dow_f == "?"):
        raise ValueError("exactly one of day-of-month and day-of-week must be ?")
    minutes = _values(minute_f, 0, 59)
    hours = _values(hour_f, 0, 23)
    months = _values(month_f, 1, 12, _MONTHS)
    years = None if year_f == "*" else _values(year_f, 1970, 2199)
    day_matches = _day_of_month(dom_f) if dow_f == "?" else _day_of_week(dow_f)
    return Cron(minutes, hours, day_matches, months, years)


def _day_of_month(field: str) -> Callable[[int, int, int], bool]:
    if field == "L":
        return lambda y, m, d: d == calendar.monthrange(y, m)[1]
    days = _values(field, 1, 31)
    return lambda y, m, d: d in days


def _weekday(y: int, m: int, d: int) -> int:
    return (datetime(y, m, d).weekday() + 1) % 7 + 1  # SUN=1 … SAT=7


def _day_of_week(field: str) -> Callable[[int, int, int], bool]:
    upper = field.upper()
    if "#" in upper:
        day_text, nth_text = upper.split("#", 1)
        day, nth = _number(day_text, 1, 7, _DAYS), _number(nth_text, 1, 5)
        return lambda y, m, d: _weekday(y, m, d) == day and (d - 1) // 7 + 1 == nth
    if upper.endswith("L") and upper != "L":
        day = _number(upper[:-1], 1, 7, _DAYS)
        return lambda y, m, d: _weekday(y, m, d) == day and d + 7 > calendar.monthrange(y, m)[1]
    days = _values(upper, 1, 7, _DAYS)
    return lambda y, m, d: _weekday(y, m, d) in days


@dataclass(frozen=True)
class Schedule:
    """A checked RotationRules value."""

    every_days: int | None = None
    every_hours: int | None = None
    cron: Cron | None = None
    window: timedelta | None = None

    def next_rotation(self, last: datetime, now: datetime) -> datetime:
        """When the next rotation window opens, counted from the last rotation (or now)."""
        if self.cron is not None:
            found = self.cron.next_after(now)
            if found is None:
                raise invalid_parameter("The cron expression never matches a future time.")
            return found
        if self.every_hours is not None:
            return last + timedelta(hours=self.every_hours)
        assert self.every_days is not None
        due = (last + timedelta(days=self.every_days)).replace(hour=0, minute=0, second=0, microsecond=0)
        return max(due, now.replace(second=0, microsecond=0) + timedelta(minutes=1)) if due <= now else due


def parse_rules(rules: dict[str, Any]) -> Schedule:
    """Check a RotationRules structure; raises InvalidParameterException with AWS's reasons."""
    days = rules.get("AutomaticallyAfterDays")
    expression = rules.get("ScheduleExpression")
    duration = rules.get("Duration")
    if days is not None and expression is not None:
        raise invalid_parameter(
            "You cannot specify both rotation frequency and schedule expression together."
        )
    if days is None and expression is None:
        raise invalid_parameter("RotationRules must include AutomaticallyAfterDays or ScheduleExpression.")
    window = _duration(duration) if duration is not None else None
    if days is not None:
        schedule = Schedule(every_days=int(days), window=window)
        interval = timedelta(days=int(days))
    else:
        schedule, interval = _expression(str(expression).strip(), window)
    if window is not None and window >= interval:
        raise invalid_parameter(
            "The rotation window (Duration) must be shorter than the time between rotations."
        )
    return schedule


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)h", text)
    hours = int(match.group(1)) if match else 0
    if not 1 <= hours <= 24:
        raise invalid_parameter("Duration must be between 1h and 24h.")
    return timedelta(hours=hours)


def _expression(text: str, window: timedelta | None) -> tuple[Schedule, timedelta]:
    rate = _RATE.fullmatch(text)
    if rate is not None:
        amount, unit = int(rate.group(1)), rate.group(2)
        if unit.startswith("hour"):
            if amount < 4:
                raise invalid_parameter("Rotation can't be scheduled more often than every 4 hours.")
            if amount > 1000 * 24:
                raise invalid_parameter("Rotation can't be scheduled less often than every 1000 days.")
            return Schedule(every_hours=amount, window=window), timedelta(hours=amount)
        if not 1 <= amount <= 1000:
            raise invalid_parameter("A rate expression in days must be between 1 and 1000 days.")
        return Schedule(every_days=amount, window=window), timedelta(days=amount)
    cron_match = _CRON.fullmatch(text)
    if cron_match is None:
        raise invalid_parameter(f"Invalid schedule expression: {text}")
    try:
        cron = parse_cron(cron_match.group(1))
    except ValueError:
        raise invalid_parameter(f"Invalid cron expression: {text}") from None
    return Schedule(cron=cron, window=window), _shortest_gap(cron)


def _shortest_gap(cron: Cron) -> timedelta:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    times: list[datetime] = []
    for _ in range(64):
        found = cron.next_after(moment)
        if found is None:
            break
        times.append(found)
        moment = found
    if not times:
        raise invalid_parameter("The cron expression never matches a future time.")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    shortest = min(gaps) if gaps else timedelta(days=365)
    if shortest < MIN_INTERVAL:
        raise invalid_parameter("Rotation can't be scheduled more often than every 4 hours.")
    return shortest
