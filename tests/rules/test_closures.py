"""Each rule as one closure: the lines it makes, their traces, caps shared by the items of
a per-item rule, and the result models built without validation equal validated ones."""

from decimal import Decimal
from pathlib import Path

from engine.period import parse_month
from engine.problems import Problem
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.lines import Category, LineItem, Trace
from engine.rules.loader import load_pack
from engine.wecom.models import LeaveType, MonthRecord

PACK = load_pack(Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml")
SEPT = parse_month("2025-09")


def _employee(record, pack=None):
    roster, _ = parse_rows([{"userid": "u", "monthly_salary": "8700.00"}], "r")
    result, problems = compute(pack or PACK, SEPT, roster,
                               {"u": MonthRecord.model_validate(record)},
                               [LeaveType(id=3, name="事假")])
    return result.employees[0], problems


def test_plain_rule_trace_is_complete():
    employee, _ = _employee({"overwork_info": {"workday_over_sec": 36000,
                                               "workdays_over_as_money": 36000}})
    line = {x.code: x for x in employee.lines}["OT_WORKDAY"]
    trace = line.trace
    assert trace.inputs == {"HOURLY": Decimal(50), "monthly_salary": Decimal("8700.00"),
                            "has_hourly_rate": 0, "hourly_rate": 0,
                            "ot_workday_money_h": Decimal(10), "ot_workday_bank_h": 0}
    assert set(trace.parameters) == {"OT_WORKDAY_MULT", "MONTH_PAY_DAYS", "HOURS_PER_DAY",
                                     "PAY_WORKDAY_COMP"}
    assert trace.parameters["OT_WORKDAY_MULT"].effective == "1995-01-01"
    assert trace.unrounded == Decimal(10) * Decimal(50) * Decimal("1.5")
    assert "multiplier = OT_WORKDAY_MULT" in trace.formula
    assert trace.rounding == "half_up 0.01"
    assert line.amount == Decimal("750.00") and line.rate == Decimal(50)


def test_per_item_lines_share_the_caps_of_the_rule():
    day = {"type": 1, "vacation_id": 3, "count": 1, "duration": 86400 * 20, "time_type": 0}
    employee, _ = _employee({"sp_items": [day, day]})
    personal = [x for x in employee.lines if x.code == "DED_PERSONAL_LEAVE"]
    # the second item sees the first one's deduction: together they stop at the base salary
    assert [x.amount for x in personal] == [Decimal("-8000.00"), Decimal("-700.00")]
    assert personal[0].trace.notes == ("item 事假 (vacation_id 3)",)
    assert personal[1].trace.notes == ("item 事假 (vacation_id 3)", "capped at 700.00")
    assert employee.totals.deductions == Decimal("-8700.00") and employee.totals.net == 0


def test_lines_without_validation_equal_validated_ones():
    employee, _ = _employee({"exception_infos": [{"exception": 4, "count": 1,
                                                  "duration": 3600}]})
    for line in employee.lines:
        again = LineItem.model_validate(line.model_dump())
        assert line == again and line.model_dump_json() == again.model_dump_json()
        assert line.model_fields_set == again.model_fields_set
        assert Trace.model_validate(line.trace.model_dump()) == line.trace
    first, second = employee.lines[:2]
    changed = first.model_copy(update={"label": "改"})
    assert changed.label == "改" and second.model_fields_set == set(LineItem.model_fields)
    assert {x.category for x in employee.lines} == {Category.EARNING, Category.DEDUCTION}


def test_check_problems_equal_validated_ones():
    employee, problems = _employee({"overwork_info": {"restdays_over_sec": 3600}})
    problem = problems[0]
    again = Problem(severity=problem.severity, stage=problem.stage, code=problem.code,
                    message=problem.message, userid=problem.userid, rule=problem.rule,
                    field=problem.field)
    assert problem == again and problem.model_fields_set == again.model_fields_set
    assert problem.model_dump_json() == again.model_dump_json()
