"""The ledger's arithmetic: January reset, comp-time lots first in first out, expiry,
overdraft, carrying employees who were not computed."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from engine.ledger.books import close_month, move_comp, open_month
from engine.period import parse_month
from engine.rules.lines import EmployeeResult, PackInfo, PayrollResult, Status
from engine.rules.loader import load_pack

CN = Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml"


@pytest.fixture(scope="module")
def keys():
    return load_pack(CN).ledger


def result(month: str, *employees: EmployeeResult) -> PayrollResult:
    return PayrollResult(month=month, pack=PackInfo(name="t", sha256="0"), employees=employees)


def emp(userid: str, status=Status.OK, **ledger: str) -> EmployeeResult:
    return EmployeeResult(userid=userid, status=status,
                          ledger={k.replace("__", "."): D(v) for k, v in ledger.items()})


def test_january_resets_yearly_keys_and_comp_time_carries_on(keys):
    previous = {"li": {"ytd_income": D("90000"), "ytd_months": D("12"), "comp_h": D("6"),
                       "comp_h@2025-11": D("6")}}
    books = open_month(previous, keys, {"comp_h": 6}, parse_month("2026-01"))
    env = books.env()["li"]
    assert env["ledger.ytd_income"] == 0 and env["ytd.income"] == 0 and env["ytd.months"] == 0
    assert env["ledger.comp_h"] == D("6") and env["expired.comp_h"] == 0
    books = open_month(previous, keys, {"comp_h": 6}, parse_month("2025-12"))
    assert books.env()["li"]["ytd.income"] == D("90000")


def test_lots_expire_after_the_months_and_use_takes_the_oldest_first(keys):
    previous = {"li": {"comp_h": D("14"), "comp_h@2026-01": D("10"), "comp_h@2026-03": D("4")}}
    april = open_month(previous, keys, {"comp_h": 6}, parse_month("2026-04"))
    assert april.env()["li"]["expired.comp_h"] == 0
    ledger, _, problems = close_month(april, result("2026-04", emp(
        "li", comp_h__banked="0", comp_h__used="8", comp_h__settled="0", ytd_income="100",
        ytd_months="1", ytd_tax_free="0", ytd_special_deductions="0", ytd_tax_withheld="0")))
    rows = {r.key: r for r in ledger.rows}
    assert rows["comp_h@2026-01"].closing == 2 and rows["comp_h@2026-03"].closing == 4
    assert rows["comp_h"].opening == 14 and rows["comp_h"].change == -8
    assert problems == []
    august = open_month(ledger.closing(), keys, {"comp_h": 6}, parse_month("2026-08"))
    assert august.env()["li"]["expired.comp_h"] == 2  # 2026-01 + 6 < 2026-08
    july = open_month(ledger.closing(), keys, {"comp_h": 6}, parse_month("2026-07"))
    assert july.env()["li"]["expired.comp_h"] == 0


def test_overdraft_is_a_negative_lot_filled_by_later_banking():
    lots, short = move_comp({"2026-01": D(3)}, {}, D(0), D(5), D(0), "2026-02")
    assert lots == {"2026-02": D(-2)} and short == 2
    lots, short = move_comp(lots, {}, D(6), D(0), D(0), "2026-03")
    assert lots == {"2026-03": D(4)} and short == 0


def test_an_employee_not_computed_keeps_every_balance(keys):
    previous = {"li": {"ytd_income": D("500"), "comp_h": D("3"), "comp_h@2026-01": D("3")}}
    books = open_month(previous, keys, {"comp_h": 1}, parse_month("2026-04"))
    ledger, res, _ = close_month(books, result("2026-04", emp("li", status=Status.ERROR)))
    rows = {r.key: r for r in ledger.rows}
    assert rows["ytd_income"].closing == 500 and rows["comp_h"].closing == 3
    assert all(r.change == 0 for r in ledger.rows)


def test_someone_off_the_roster_is_carried_until_every_balance_is_zero(keys):
    previous = {"gone": {"ytd_income": D("500")}, "zero": {"ytd_income": D("0")}}
    books = open_month(previous, keys, {}, parse_month("2026-05"))
    ledger, _, _ = close_month(books, result("2026-05"))
    assert {r.userid for r in ledger.rows} == {"gone"}
    books = open_month(ledger.closing(), keys, {}, parse_month("2027-01"))
    assert close_month(books, result("2027-01"))[0].rows == ()


hours = st.decimals(min_value=0, max_value=200, places=1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(hours, hours), min_size=1, max_size=14))
def test_comp_time_is_conserved_month_after_month(moves):
    """closing = opening − expired − used + banked, whatever the sequence."""
    lots: dict[str, D] = {}
    for n, (banked, used) in enumerate(moves):
        month = f"{2026 + n // 12}-{n % 12 + 1:02d}"
        expired = {m: v for m, v in lots.items() if v > 0 and m < f"{2026 + (n - 3) // 12}"
                   f"-{(n - 3) % 12 + 1:02d}"} if n >= 3 else {}
        start = sum(lots.values(), D(0))
        lots, _ = move_comp(lots, expired, banked, used, D(0), month)
        assert sum(lots.values(), D(0)) == start - sum(expired.values(), D(0)) - used + banked
        # an overdrawn lot and a positive one never stand side by side
        assert not (any(v < 0 for v in lots.values()) and any(v > 0 for v in lots.values()))
