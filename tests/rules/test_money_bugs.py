"""Regression tests of the money bugs found by an independent recomputation (issue 10).

Each one failed before its fix: caps shared between the items of one rule, half-fen
ties lost to 28-digit precision, and the overtime-split check adding all kinds together.
They use only the engine's public stage (``compute``) and cn-default.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.period import parse_month
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.loader import load_pack
from engine.wecom.models import LeaveType, MonthRecord

CN = Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml"
SEPT = parse_month("2025-09")
# one leave name for a day-unit and an hour-unit type, so one rule selects both
LEAVES = [LeaveType(id=3, name="事假"), LeaveType(id=4, name="病假"),
          LeaveType(id=5, name="事假", time_attr=1, perday_duration=28800),
          LeaveType(id=7, name="病假", time_attr=1, perday_duration=28800)]


@pytest.fixture(scope="module")
def cn():
    return load_pack(CN)


def employee(pack, salary: str, record: dict):
    roster, _ = parse_rows([{"userid": "u", "monthly_salary": salary}], "r")
    record.setdefault("overwork_info", {})
    result, problems = compute(pack, SEPT, roster, {"u": MonthRecord.model_validate(record)},
                               LEAVES)
    return result.employees[0]


def amounts(emp, code: str) -> list[Decimal]:
    return [x.amount for x in emp.lines if x.code == code]


def leave(vacation_id: int, seconds: int, hours: bool) -> dict:
    return {"type": 1, "vacation_id": vacation_id, "count": 1, "duration": seconds,
            "time_type": int(hours)}


def test_two_personal_leave_items_share_one_cap(cn):
    # 15 days (2068.97) + 100 h (1724.14) of 事假 on 3000.00: the second item sees the first
    emp = employee(cn, "3000.00", {"sp_items": [leave(3, 15 * 86400, False),
                                                leave(5, 100 * 3600, True)]})
    assert amounts(emp, "DED_PERSONAL_LEAVE") == [Decimal("-2068.97"), Decimal("-931.03")]
    assert emp.totals.net == Decimal("0.00")


def test_two_sick_leave_items_keep_the_minimum_wage_floor(cn):
    # 2800.00 with 3 days absent (386.21): 80 % of 2740 = 2192 must stay after sick leave
    emp = employee(cn, "2800.00", {
        "exception_infos": [{"exception": 4, "count": 3, "duration": 86400}],
        "sp_items": [leave(4, 10 * 86400, False), leave(7, 80 * 3600, True)]})
    assert amounts(emp, "DED_SICK_LEAVE") == [Decimal("-221.79"), Decimal("0.00")]
    assert emp.totals.net == Decimal("2192.00")


def test_half_fen_tie_of_workday_overtime_rounds_up(cn):
    # 8700.10 / 174 × 29 × 1.5 = 2175.025 exactly
    emp = employee(cn, "8700.10", {"overwork_info": {"workday_over_sec": 29 * 3600,
                                                     "workdays_over_as_money": 29 * 3600}})
    assert amounts(emp, "OT_WORKDAY") == [Decimal("2175.03")]


def test_half_fen_tie_of_hourly_personal_leave_rounds_up(cn):
    # 8700.10 / 174 × 8.7 = 435.005 exactly
    emp = employee(cn, "8700.10", {"sp_items": [leave(5, 31320, True)]})
    assert amounts(emp, "DED_PERSONAL_LEAVE") == [Decimal("-435.01")]


def test_split_mismatches_of_two_kinds_do_not_cancel_out(cn):
    emp = employee(cn, "8700.00", {"overwork_info": {
        "workday_over_sec": 7200, "workdays_over_as_money": 3600,      # 1 h short
        "restdays_over_sec": 3600, "restdays_over_as_money": 7200}})  # 1 h over
    assert "OT_SPLIT_MISMATCH" in {p.code for p in emp.problems}


def test_tie_whose_half_fen_count_rounds_onto_an_integer(cn):
    # 9.01666… h × 28.70 × 3 = 776.335 exactly; × 200 the 28-digit value is already whole
    roster, _ = parse_rows([{"userid": "u", "monthly_salary": "8000", "hourly_rate": "28.70"}],
                           "r")
    record = MonthRecord.model_validate({"overwork_info": {
        "holidays_over_sec": 32460, "holidays_over_as_money": 32460}})
    result, _ = compute(cn, parse_month("2025-10"), roster, {"u": record}, LEAVES)
    assert amounts(result.employees[0], "OT_HOLIDAY") == [Decimal("776.34")]


def test_round_to_and_the_formula_functions_keep_ties():
    from engine.money import round_to
    from engine.rules.formula import compile_formula

    lost = Decimal("776.3349999999999999999999999")  # 776.335 after 28 digits
    assert round_to(lost) == Decimal("776.34")
    assert round_to(Decimal("2175.024999999999999999999999")) == Decimal("2175.03")
    assert round_to(Decimal("0.1249999999999999999999999999"), Decimal("0.25"), "down") \
        == Decimal("0.00")  # 0.125 is no multiple of 0.25: down stays down
    assert round_to(Decimal("0.2499999999999999999999999999"), Decimal("0.25"), "down") \
        == Decimal("0.25")
    assert compile_formula("round(x, 2)")({"x": lost}) == Decimal("776.34")
    assert compile_formula("floor(x, 0.5)")({"x": Decimal("1.499999999999999999999999999")}) \
        == Decimal("1.5")
    # a value really below a tie (far more than the tolerance) is not moved
    assert round_to(Decimal("2175.0249999")) == Decimal("2175.02")
