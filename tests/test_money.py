"""Decimal money: exact parsing, rule rounding, amounts in Chinese capitals."""

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from engine.money import fmt_money, round_to, to_capitals, to_decimal

money = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4,
                    allow_nan=False, allow_infinity=False)


def test_floats_are_refused():
    with pytest.raises(ValueError, match="inexact"):
        to_decimal(0.1)


@pytest.mark.parametrize("text,expected", [("8700", "8700"), (" 1,234.50 ", "1234.50"), ("0.1", "0.1")])
def test_strings_parse_exactly(text, expected):
    assert to_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", ""])
def test_junk_is_refused(text):
    with pytest.raises(ValueError):
        to_decimal(text)


def test_half_up_rounds_ties_away_from_zero():
    assert round_to(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert round_to(Decimal("-0.005")) == Decimal("-0.01")
    assert round_to(Decimal("0.125"), mode="half_even") == Decimal("0.12")


def test_steps_other_than_a_fen():
    assert round_to(Decimal("7.74"), Decimal("0.5"), "floor") == Decimal("7.5")
    assert round_to(Decimal("7.75"), Decimal("0.5"), "half_up") == Decimal("8.0")
    assert round_to(Decimal("1234.5"), Decimal("1")) == Decimal("1235")


def test_unknown_mode():
    with pytest.raises(ValueError, match="rounding mode"):
        round_to(Decimal(1), mode="banker")


@given(money)
def test_rounded_is_within_half_a_fen(value):
    rounded = round_to(value)
    assert abs(rounded - value) <= Decimal("0.005")
    assert rounded == rounded.quantize(Decimal("0.01"))


@pytest.mark.parametrize("amount,text", [
    ("0", "零元整"), ("0.05", "伍分"), ("0.5", "伍角整"), ("1005", "壹仟零伍元整"),
    ("10010.10", "壹万零壹拾元壹角整"), ("100000.01", "壹拾万元零壹分"),
    ("1000000", "壹佰万元整"), ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ("11425.00", "壹万壹仟肆佰贰拾伍元整"), ("-401.67", "负肆佰零壹元陆角柒分"),
])
def test_capitals(amount, text):
    assert to_capitals(Decimal(amount)) == text


def test_fmt_money():
    assert fmt_money(Decimal("1234.5")) == "1,234.50"
    assert fmt_money(Decimal("-0.004")) == "-0.00" or fmt_money(Decimal("-0.004")) == "0.00"
