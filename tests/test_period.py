"""Month windows: inclusive endtime at 00:00 Asia/Shanghai, and the Chinese calendar."""

from datetime import date

import pytest
from hypothesis import given, strategies as st

from engine.errors import ConfigError
from engine.period import DayKind, day_kind, midnight, parse_month, previous_month


def test_api_page_timestamp_is_shanghai_midnight():
    assert midnight(date(2020, 9, 3)) == 1599062400


def test_october_2026_window_is_first_to_last_day_inclusive():
    p = parse_month("2026-10")
    assert p.starttime == midnight(date(2026, 10, 1))
    assert p.endtime == midnight(date(2026, 10, 31))  # not 2026-11-01
    assert p.calendar_days == 31
    assert p.endtime - p.starttime == 30 * 86400


def test_time_zone_is_configurable():
    utc = parse_month("2026-10", tz="UTC")
    assert parse_month("2026-10").starttime == utc.starttime - 8 * 3600


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-10", "", "2026-00", "abcd-ef"])
def test_bad_months_are_clear_errors(text):
    with pytest.raises(ConfigError, match="YYYY-MM"):
        parse_month(text)


def test_unknown_time_zone():
    with pytest.raises(ConfigError, match="time zone"):
        parse_month("2026-10", tz="Mars/Olympus")


def test_calendar_2026_october():
    p = parse_month("2026-10")
    kinds = p.day_kinds()
    assert [d.day for d, k in kinds.items() if k is DayKind.HOLIDAY] == [1, 2, 3]
    assert kinds[date(2026, 10, 10)] is DayKind.WORK  # Saturday worked in exchange
    assert kinds[date(2026, 10, 5)] is DayKind.REST  # shifted rest day, not a holiday
    assert p.work_days == 18


def test_thirteen_statutory_holidays_a_year():
    for year in (2025, 2026):
        days = [date.fromordinal(n) for n in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)]
        assert sum(day_kind(d) is DayKind.HOLIDAY for d in days) == 13


def test_previous_month():
    assert previous_month(date(2026, 11, 25)) == "2026-10"
    assert previous_month(date(2027, 1, 1)) == "2026-12"


@given(st.integers(min_value=2000, max_value=2099), st.integers(min_value=1, max_value=12))
def test_any_month_spans_its_days(year, month):
    p = parse_month(f"{year}-{month:02d}")
    assert p.endtime - p.starttime == (p.calendar_days - 1) * 86400
    assert 28 <= p.calendar_days <= 31


def test_as_period_parses_text_once_and_passes_a_period_through():
    from engine.period import as_period

    period = parse_month("2026-10", "Asia/Shanghai")
    assert as_period(period) is period
    assert as_period("2026-10") == period
    with pytest.raises(ConfigError):
        as_period("2026-13")
