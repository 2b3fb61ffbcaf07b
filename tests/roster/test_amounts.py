"""Amount cells: read exactly or refused with a reason (property tests and examples)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.roster.amounts import AmountError, parse_amount

FULL_WIDTH = str.maketrans("0123456789,.-", "０１２３４５６７８９，．－")

amounts = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"),
                      places=2, allow_nan=False, allow_infinity=False)


def grouped(value: Decimal) -> str:
    return f"{value:,}"


@given(amounts)
def test_plain_and_grouped_text_read_exactly(value):
    assert parse_amount(format(value, "f")) == value
    assert parse_amount(grouped(value)) == value


@given(amounts, st.sampled_from(["¥{}", "￥{}", "{}元", "¥ {} 元", "RMB {}", "{} CNY",
                                 "人民币{}", " {} ", "{}\u3000"]))
def test_currency_marks_and_spaces(value, pattern):
    text = grouped(abs(value))
    assert parse_amount(pattern.format(text)) == abs(value)


@given(amounts)
def test_full_width_digits_and_separators(value):
    assert parse_amount(grouped(value).translate(FULL_WIDTH)) == value


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**6))
def test_no_precision_is_lost(whole, fraction):
    text = f"{whole}.{fraction:06d}"
    assert parse_amount(text) == Decimal(text)


@given(st.text())
def test_anything_else_is_refused_with_a_reason_never_a_crash(text):
    try:
        value = parse_amount(text)
    except AmountError as exc:
        assert exc.reason and text in str(exc) or repr(text) in str(exc)
    else:
        assert value.is_finite()


@pytest.mark.parametrize("text, reason", [
    ("", "empty"), ("  ", "empty"), ("abc", "no digits"), ("1e4", "exponent"),
    ("NaN", "finite"), ("Infinity", "finite"), ("1.2万", "万"), ("(100)", "parentheses"),
    ("12,00", "ambiguous"), ("1.200,50", "ambiguous"), ("1,2345", "groups of three"),
    ("1.2.3", "decimal point"), ("12 000", "unexpected"), ("--5", "unexpected"),
    ("5-", "unexpected"), ("¥", "no digits"), ("12000$", "unexpected"),
])
def test_refusals_say_why(text, reason):
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert reason in caught.value.reason
    assert isinstance(caught.value, ValueError)
