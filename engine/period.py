"""The pay period: a calendar month and its WeCom query window.

First thing every stage agrees on. ``getcheckin_monthdata`` wants Unix seconds of 00:00
in the company's time zone (Asia/Shanghai by default) for the first day and for the
*last* day of the month: ``endtime`` names a day that is included, so the 1st of the
next month would add a day. Day kinds (work day, rest day, statutory holiday) come from
the bundled Chinese holiday calendar; weekends are rest days outside it.
"""

from __future__ import annotations

import calendar as _calendar
import re
from datetime import date, datetime, timedelta
from enum import Enum
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict

from engine.errors import ConfigError

DEFAULT_TZ = "Asia/Shanghai"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class DayKind(str, Enum):
    WORK = "work"
    REST = "rest"
    HOLIDAY = "holiday"


class Period(BaseModel):
    """One pay month with its API window (``endtime`` inclusive)."""

    model_config = ConfigDict(frozen=True)

    month: str
    tz: str = DEFAULT_TZ
    first_day: date
    last_day: date
    starttime: int
    endtime: int

    @property
    def calendar_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def days(self) -> list[date]:
        return [self.first_day + timedelta(n) for n in range(self.calendar_days)]

    def day_kinds(self) -> dict[date, DayKind]:
        return {d: day_kind(d) for d in self.days()}

    @property
    def work_days(self) -> int:
        return sum(1 for k in self.day_kinds().values() if k is DayKind.WORK)

    @property
    def holidays(self) -> int:
        return sum(1 for k in self.day_kinds().values() if k is DayKind.HOLIDAY)


def midnight(day: date, tz: str = DEFAULT_TZ) -> int:
    """Unix seconds of 00:00 of ``day`` in ``tz``."""
    try:
        zone = ZoneInfo(tz)
    except Exception as exc:  # zoneinfo raises several unrelated types
        raise ConfigError(f"unknown time zone {tz!r}") from exc
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def parse_month(text: str, tz: str = DEFAULT_TZ) -> Period:
    """``"2026-10"`` → the period with its inclusive API window."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ConfigError(f"month must look like YYYY-MM, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    first = date(year, month, 1)
    last = date(year, month, _calendar.monthrange(year, month)[1])
    return Period(month=f"{year:04d}-{month:02d}", tz=tz, first_day=first, last_day=last,
                  starttime=midnight(first, tz), endtime=midnight(last, tz))


def as_period(month: "str | Period", tz: str = DEFAULT_TZ) -> Period:
    """The library edge: a caller may pass the month as text or as a parsed ``Period``;
    stages below only ever see the ``Period``."""
    return month if isinstance(month, Period) else parse_month(month, tz)


def previous_month(today: date) -> str:
    """The last complete month before ``today`` (the demo's default)."""
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


@lru_cache(maxsize=1)
def _holiday_table() -> dict[date, DayKind]:
    text = resources.files("engine").joinpath("data/holidays.yaml").read_text("utf-8")
    table: dict[date, DayKind] = {}
    for year in yaml.safe_load(text).values():
        table.update({d: DayKind.HOLIDAY for d in year["statutory"]})
        table.update({d: DayKind.REST for d in year["rest"]})
        table.update({d: DayKind.WORK for d in year["workdays"]})
    return table


def day_kind(day: date) -> DayKind:
    """Work day, rest day or statutory holiday, with shifted days applied."""
    known = _holiday_table().get(day)
    if known is not None:
        return known
    return DayKind.REST if day.weekday() >= 5 else DayKind.WORK
