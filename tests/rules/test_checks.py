"""Pack checks as problems, unmatched leave, and result models built without validation."""

from decimal import Decimal
from pathlib import Path

from engine.period import parse_month
from engine.problems import Severity
from engine.roster import parse_rows
from engine.rules.apply import build, compute
from engine.rules.lines import Category, LineItem, Totals, Trace
from engine.rules.loader import load_pack
from engine.wecom.models import MonthRecord

CN = Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml"


def run(record: dict, pack=None):
    roster, _ = parse_rows([{"userid": "u", "monthly_salary": "8700"}], "r")
    result, problems = compute(pack or load_pack(CN), parse_month("2025-10"), roster,
                               {"u": MonthRecord.model_validate(record)}, [])
    return result.employees[0], problems


def test_holiday_comp_time_is_an_error_naming_the_law():
    employee, problems = run({"overwork_info": {"holidays_over_sec": 7200,
                                                "holidays_over_as_vacation": 7200}})
    (problem,) = problems
    assert problem.severity is Severity.ERROR and problem.code == "HOLIDAY_OT_AS_COMP"
    assert problem.userid == "u" and problem.rule == "HOLIDAY_OT_AS_COMP"
    assert "ot_holiday_bank_h = 2" in problem.message and "劳动法 §44(3)" in problem.message
    assert employee.status.value == "ok"  # still paid; the payroll team must act on it


def test_monthly_overtime_cap_is_a_warning_only_above_36h():
    _, problems = run({"overwork_info": {"workday_over_sec": 36 * 3600,
                                         "workdays_over_as_money": 36 * 3600}})
    assert problems == []
    _, problems = run({"overwork_info": {"workday_over_sec": 36 * 3600 + 60,
                                         "workdays_over_as_money": 36 * 3600 + 60}})
    assert [(p.code, p.severity) for p in problems] == [("OT_OVER_MONTHLY_CAP",
                                                         Severity.WARNING)]


def test_split_mismatch_both_directions():
    _, problems = run({"overwork_info": {"restdays_over_sec": 3600}})
    assert [p.code for p in problems] == ["OT_SPLIT_MISMATCH"]
    _, problems = run({"overwork_info": {"restdays_over_sec": 3600,
                                         "restdays_over_as_money": 7200}})
    assert [p.code for p in problems] == ["OT_SPLIT_MISMATCH"]
    assert "ot_unsplit_h = -1" in problems[0].message


def test_failing_check_is_reported_not_raised(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("""\
pack: {name: p}
rules:
  - {code: BASE_SALARY, label: 基本工资, category: earning, rate: monthly_salary}
checks:
  - {code: ODD, severity: info, when: "BASE_SALARY / 0 > 1", message: never}
""", "utf-8")
    employee, problems = run({}, load_pack(path))
    assert employee.status.value == "ok"
    assert [(p.code, p.rule) for p in problems] == [("check_failed", "ODD")]


def test_unmatched_leave_is_a_warning():
    _, problems = run({"sp_items": [{"type": 1, "vacation_id": 77, "count": 1,
                                     "duration": 86400, "name": "育儿假"}]})
    assert [p.code for p in problems] == ["unmatched_leave"]
    assert "育儿假" in problems[0].message


def test_build_equals_validated_models():
    trace_values = {"rule": "R", "formula": "x", "inputs": {"x": Decimal(1)}, "parameters": {},
                    "unrounded": Decimal("1.005"), "rounding": "half_up 0.01", "notes": ()}
    trace = build(Trace, dict(trace_values))
    assert trace == Trace(**trace_values)
    values = {"userid": "u", "code": "R", "category": Category.EARNING, "label": "甲",
              "label_en": "", "quantity": Decimal(1), "unit": "h", "rate": Decimal(2),
              "multiplier": Decimal(1), "amount": Decimal("1.01"), "item": "", "trace": trace}
    line = build(LineItem, dict(values))
    assert line == LineItem(**values)
    assert line.model_dump_json() == LineItem(**values).model_dump_json()
    assert build(Totals, {"earnings": Decimal(1), "deductions": Decimal(0), "net": Decimal(1),
                          "comp_hours": Decimal(0)}) == Totals(earnings=Decimal(1),
                                                               net=Decimal(1))
