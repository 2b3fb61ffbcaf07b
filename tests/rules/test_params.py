"""Dated parameters resolved for a period."""

from datetime import date

import pytest

from engine.errors import RulePackError
from engine.period import parse_month
from engine.rules.params import resolve, resolve_day
from engine.rules.schema import Parameter

WAGE = Parameter(unit="CNY", reference="沪", values={date(2023, 7, 1): "2690",
                                                       date(2025, 7, 1): "2740"})


@pytest.mark.parametrize(("day", "value", "effective"), [
    (date(2025, 6, 30), "2690", "2023-07-01"),
    (date(2025, 7, 1), "2740", "2025-07-01"),
    (date(2026, 1, 1), "2740", "2025-07-01"),
])
def test_value_in_force(day, value, effective):
    use = resolve("MIN_WAGE", WAGE, day)
    assert (str(use.value), use.effective, use.reference) == (value, effective, "沪")


def test_no_value_yet():
    with pytest.raises(RulePackError, match="no value before 2023-07-01"):
        resolve("MIN_WAGE", WAGE, date(2020, 1, 1))


def test_first_or_last_day():
    july = parse_month("2025-07")
    assert resolve_day(july, "first_day") == date(2025, 7, 1)
    assert resolve_day(july, "last_day") == date(2025, 7, 31)
