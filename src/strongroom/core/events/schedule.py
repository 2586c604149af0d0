"""Schedule expressions: `rate(5 minutes)` and AWS's six-field `cron(...)`, and when they fire next.

AWS cron fields: minutes, hours, day-of-month, month, day-of-week, year. One of day-of-month and
day-of-week must be `?`. Supported: `*`, `,`, `-`, `/`, `?`, `L` (last day of month; `5L`, last
Friday, in day-of-week), `W` (nearest weekday: `15W`, `LW`), `#` (`6#3`, third Friday); month and
weekday names (`JAN`, `MON`). Day-of-week counts SUN=1 … SAT=7. All times are UTC.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["InvalidSchedule", "Schedule", "parse_schedule"]

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_CRON = re.compile(r"cron\((.*)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_SEARCH_YEARS = 5


class InvalidSchedule(ValueError):
    """The expression is not a valid rate or cron expression."""


@dataclass(frozen=True)
class Schedule:
    """A parsed expression; `next_after(t)` is the first firing strictly after `t`."""

    expression: str
    rate_seconds: int | None = None
    cron: _Cron | None = None

    def next_after(self, moment: datetime, *, anchor: datetime | None = None) -> datetime | None:
        if self.rate_seconds is not None:
            # A rate counts from when the rule was created (the anchor), as on AWS.
            start = anchor or moment
            periods = max(0, int((moment - start).total_seconds() // self.rate_seconds) + 1)
            return start + timedelta(seconds=periods * self.rate_seconds)
        assert self.cron is not None
        return self.cron.next_after(moment)


def parse_schedule(expression: str) -> Schedule:
    text = expression.strip()
    rate = _RATE.fullmatch(text)
    if rate is not None:
        value, unit = int(rate[1]), rate[2]
        if value <= 0:
            raise InvalidSchedule("The rate value must be a positive number.")
        if (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule("The rate unit must be singular for a value of 1 and plural otherwise.")
        return Schedule(text, rate_seconds=value * _UNIT_SECONDS[unit.rstrip("s")])
    cron = _CRON.fullmatch(text)
    if cron is not None:
        return Schedule(text, cron=_Cron.parse(cron[1]))
    raise InvalidSchedule("Parameter ScheduleExpression is not valid.")


def _int(token: str, names: dict[str, int] | None, low: int, high: int) -> int:
    upper = token.upper()
    if names and upper in names:
        return names[upper]
    if not token.isdigit():
        raise InvalidSchedule("Parameter ScheduleExpression is not valid.")
    value = int(token)
    if not low <= value <= high:
        raise InvalidSchedule("Parameter ScheduleExpression is not valid.")
    return value


def _set(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = _int(step_text, None, 1, high)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _int(a, names, low, high), _int(b, names, low, high)
        else:
            start = _int(part, names, low, high)
            end = high if step != 1 else start
        if start <= end:
            values.update(range(start, end + 1, step))
        else:  # a range that wraps, e.g. FRI-MON
            values.update(v for v in [*range(start, high + 1), *range(low, end + 1)][::step])
    return frozenset(values)


@dataclass(frozen=True)
class _Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: str
    months: frozenset[int]
    dow: str
    years: frozenset[int]

    @classmethod
    def parse(cls, body: str) -> _Cron:
        fields = body.split()
        if len(fields) != 6:
            raise InvalidSchedule("Parameter ScheduleExpression is not valid.")
        minutes, hours, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise InvalidSchedule("Parameter ScheduleExpression is not valid.")
        cron = cls(
            minutes=_set(minutes, 0, 59),
            hours=_set(hours, 0, 23),
            dom=dom.upper(),
            months=_set(month.upper(), 1, 12, _MONTHS),
            dow=dow.upper(),
            years=_set(year, 1970, 2199),
        )
        probe = date(2024, 1, 1)
        cron._day_matches(probe)  # raises InvalidSchedule on a malformed day field
        return cron

    def next_after(self, moment: datetime) -> datetime | None:
        start = (moment.astimezone(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
        day = start.date()
        last = day.replace(year=min(day.year + _SEARCH_YEARS, 2199), month=12, day=31)
        while day <= last:
            if day.year in self.years and day.month in self.months and self._day_matches(day):
                first_minute = start.hour * 60 + start.minute if day == start.date() else 0
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        if hour * 60 + minute >= first_minute:
                            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        if self.dom != "?":
            return _dom_matches(self.dom, day)
        return _dow_matches(self.dow, day)


def _dom_matches(field: str, day: date) -> bool:
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    if field == "L":
        return day.day == days_in_month
    if field == "LW":
        target = days_in_month
        return day.day == _nearest_weekday(day.year, day.month, target)
    if field.endswith("W"):
        target = _int(field[:-1], None, 1, 31)
        return day.day == _nearest_weekday(day.year, day.month, min(target, days_in_month))
    return day.day in _set(field, 1, 31)


def _nearest_weekday(year: int, month: int, target: int) -> int:
    days_in_month = calendar.monthrange(year, month)[1]
    weekday = date(year, month, target).weekday()  # Monday=0
    if weekday == 5:  # Saturday: Friday before, unless that leaves the month
        return target - 1 if target > 1 else target + 2
    if weekday == 6:  # Sunday: Monday after, unless that leaves the month
        return target + 1 if target < days_in_month else target - 2
    return target


def _dow_matches(field: str, day: date) -> bool:
    aws_weekday = (day.weekday() + 1) % 7 + 1  # Monday=0 → 2, Sunday=6 → 1
    if "#" in field:
        weekday_text, nth_text = field.split("#", 1)
        weekday = _int(weekday_text, _DAYS, 1, 7)
        nth = _int(nth_text, None, 1, 5)
        return aws_weekday == weekday and (day.day - 1) // 7 + 1 == nth
    if field.endswith("L") and field != "L":
        weekday = _int(field[:-1], _DAYS, 1, 7)
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        return aws_weekday == weekday and day.day + 7 > days_in_month
    if field == "L":
        return aws_weekday == 7
    return aws_weekday in _set(field, 1, 7, _DAYS)
