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


def test_holiday_comp_time_is_paid_x3_with_a_warning_naming_the_law():
    employee, problems = run({"overwork_info": {"holidays_over_sec": 7200,
                                                "holidays_over_as_vacation": 7200}})
    (problem,) = problems
    assert problem.severity is Severity.WARNING and problem.code == "HOLIDAY_OT_AS_COMP"
    assert problem.userid == "u" and problem.rule == "HOLIDAY_OT_AS_COMP"
    assert "ot_holiday_bank_h = 2" in problem.message and "劳动法 §44(3)" in problem.message
    assert "企业微信把 2 小时法定节假日加班记为调休" in problem.message
    assert problem.audience.value == "hr"
    lines = {x.code: x for x in employee.lines}
    assert lines["OT_HOLIDAY"].quantity == 2 and lines["OT_HOLIDAY"].amount == Decimal("300.00")
    assert employee.totals.comp_hours == 0 and "COMP_HOLIDAY" not in lines
    assert employee.status.value == "ok"  # paid as the law says; HR fixes the WeCom rule


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
    assert [p.code for p in problems] == ["OT_NOT_PAID_NOR_BANKED", "OT_SPLIT_MISMATCH"]
    assert "rest day 1 h" in problems[0].message  # the hours neither paid nor banked
    _, problems = run({"overwork_info": {"restdays_over_sec": 3600,
                                         "restdays_over_as_money": 7200}})
    assert [p.code for p in problems] == ["OT_SPLIT_MISMATCH"]
    assert "ot_restday_unsplit_h = -1" in problems[0].message


def test_split_mismatch_of_two_kinds_does_not_cancel_out():
    # a workday split 1 h short and a rest-day split 1 h over sum to 0 over all kinds
    _, problems = run({"overwork_info": {"workday_over_sec": 7200, "workdays_over_as_money": 3600,
                                         "restdays_over_sec": 3600,
                                         "restdays_over_as_money": 7200}})
    assert [p.code for p in problems] == ["OT_NOT_PAID_NOR_BANKED", "OT_SPLIT_MISMATCH"]
    assert "ot_workday_unsplit_h = 1" in problems[1].message
    assert "ot_restday_unsplit_h = -1" in problems[1].message


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
    assert employee.status.value == "error"  # an error of the compute stage stops the payslip
    assert [x.code for x in employee.lines] == ["BASE_SALARY"]  # kept for HR
    assert [(p.code, p.rule) for p in problems] == [("check_failed", "ODD")]


def test_unmatched_leave_is_a_warning():
    _, problems = run({"overwork_info": {},
                       "sp_items": [{"type": 1, "vacation_id": 77, "count": 1,
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
                          "comp_hours": Decimal(0), "gross": Decimal(1),
                          "withholdings": Decimal(0)}) == Totals(earnings=Decimal(1),
                                                                 net=Decimal(1),
                                                                 gross=Decimal(1))


def test_messages_fill_placeholders_and_employee_notes_stay_plain(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("""\
pack: {name: p}
inputs:
  missing: {source: exception.missing.count, unit: count}
rules:
  - {code: BASE_SALARY, label: 基本工资, category: earning, rate: monthly_salary}
checks:
  - {code: HR_NOTE, severity: warning, when: "missing > 0", message: "缺卡 {missing} 次",
     reference: 考勤制度}
  - {code: FOR_YOU, severity: info, audience: employee, when: "missing > 0",
     message: "本月有 {missing} 次缺卡，请联系人事。"}
""", "utf-8")
    employee, problems = run({"exception_infos": [{"exception": 3, "count": 2}]},
                             load_pack(path))
    hr, note = problems
    assert hr.message == "缺卡 2 次 (missing = 2) [考勤制度]" and hr.audience.value == "hr"
    assert note.message == "本月有 2 次缺卡，请联系人事。" and note.audience.value == "employee"
    assert "audience" in note.model_fields_set and employee.status.value == "ok"


def test_a_placeholder_the_formula_does_not_read_is_a_load_error(tmp_path):
    import pytest

    from engine.errors import RulePackError

    path = tmp_path / "p.yaml"
    path.write_text("""\
pack: {name: p}
rules:
  - {code: BASE_SALARY, label: 基本工资, category: earning, rate: monthly_salary}
checks:
  - {code: ODD, severity: info, when: "BASE_SALARY > 1", message: "pay {net_pay}"}
""", "utf-8")
    with pytest.raises(RulePackError, match=r"p.yaml:5:.*message names \{net_pay\}"):
        load_pack(path)
