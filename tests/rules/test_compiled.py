"""The compiled pack's own pieces: the rounding every money line goes through and the
names a ledger key gives the rules."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.money import CENT, round_to
from engine.rules.compiled import ledger_names, rounder
from engine.rules.schema import LedgerKey, Rounding

FEN = rounder(Rounding())


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, allow_infinity=False,
                   places=12))
def test_the_inlined_fen_rounding_equals_round_to(value):
    got, want = FEN(value), round_to(value, CENT, "half_up")
    assert got == want and str(got) == str(want)


@given(st.integers(min_value=-10**11, max_value=10**11),
       st.sampled_from(["0", "1e-13", "-1e-13", "4.9e-13", "-4.9e-13"]))
def test_a_value_within_the_tolerance_of_a_half_fen_is_the_tie(fens, off):
    # half a fen above a whole number of fen, nudged by less than the tolerance (1e-10
    # half fens = 5e-13)
    value = Decimal(fens) / 100 + Decimal("0.005") + Decimal(off)
    # half_up: a tie goes away from zero, whatever side of it the nudge lands
    tie = Decimal(fens) / 100 + Decimal("0.005")
    want = (tie + Decimal("0.005") if tie > 0 else tie - Decimal("0.005")).quantize(CENT)
    assert FEN(value) == want


@pytest.mark.parametrize(("value", "want"), [
    ("8.575", "8.58"), ("-8.575", "-8.58"), ("8.5749999999999", "8.58"),
    ("8.574999999", "8.57"), ("0.0049999999994", "0.00"), ("0.0049999999996", "0.01"),
    ("0.004", "0.00"), ("2.5", "2.50"), ("1715", "1715.00")])
def test_crafted_fen_rounding(value, want):
    assert str(FEN(Decimal(value))) == want


@pytest.mark.parametrize(("mode", "step", "value", "want"), [
    ("half_up", "1", "2.5", "3"), ("half_even", "1", "2.5", "2"), ("down", "0.5", "2.99", "2.5"),
    ("up", "0.1", "2.01", "2.1"), ("half_even", "0.01", "0.125", "0.12")])
def test_other_roundings_are_round_to(mode, step, value, want):
    assert str(rounder(Rounding(mode=mode, step=step))(Decimal(value))) == want


def test_ledger_names_of_each_kind():
    yearly = LedgerKey.model_validate({"unit": "CNY", "yearly": True, "change": "1"})
    assert ledger_names("ytd_taxable", yearly) == ("ledger.ytd_taxable", "ytd.taxable")
    comp = LedgerKey.model_validate({"unit": "h", "kind": "comp_time", "banked": "1",
                                     "used": "0"})
    assert ledger_names("comp", comp) == ("ledger.comp", "expired.comp")
    plain = LedgerKey.model_validate({"unit": "CNY", "change": "1"})
    assert ledger_names("ytd_x", plain) == ("ledger.ytd_x",)  # not yearly: no ytd. alias
