"""compute(): results per employee, traces, error isolation, and a property test against
an independent Decimal implementation of cn-default."""

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import RulePackError
from engine.money import fmt_money
from engine.period import parse_month
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.lines import Category, Status
from engine.rules.loader import load_pack
from engine.wecom.models import LeaveType, MonthRecord

from .reference import cn_default

CN = Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml"
SEPT = parse_month("2025-09")
LEAVES = [LeaveType(id=2, name="年假"), LeaveType(id=3, name="事假"),
          LeaveType(id=4, name="病假")]
ZHANGSAN = {
    "base_info": {"name": "张三", "acctid": "ZhangSan"},
    "exception_infos": [{"count": 2, "duration": 28920, "exception": 4},
                        {"count": 1, "duration": 60, "exception": 1}],
    "sp_items": [{"count": 1, "duration": 0, "time_type": 0, "type": 1, "vacation_id": 2,
                  "name": "年假"}],
    "overwork_info": {"workday_over_sec": 54000, "restdays_over_sec": 205560,
                      "workdays_over_as_money": 54000, "restdays_over_as_money": 172800},
}


@pytest.fixture(scope="module")
def cn():
    return load_pack(CN)


def roster(*rows):
    result, _ = parse_rows([dict(r) for r in rows], "roster.csv")
    return result


def test_statuses_in_roster_order(cn):
    team = roster({"userid": "ZhangSan", "monthly_salary": "8700.00", "name": "张三"},
                  {"userid": "Ghost", "monthly_salary": "5000", "name": "鬼"},
                  {"userid": "NoPay", "monthly_salary": "", "name": "无薪"})
    records = {u: MonthRecord.model_validate(ZHANGSAN) for u in ("ZhangSan", "NoPay")}
    result, problems = compute(cn, SEPT, team, records, LEAVES)
    zhang, ghost, nopay = result.employees
    assert [e.userid for e in result.employees] == ["ZhangSan", "Ghost", "NoPay"]
    assert (zhang.status, ghost.status, nopay.status) == (Status.OK, Status.MISSING, Status.ERROR)
    assert zhang.totals.net == Decimal("14223.33")
    assert ghost.lines == () and ghost.name == "鬼" and ghost.problems[0].code == "no_record"
    assert nopay.problems[0].code == "missing_salary"
    assert nopay.problems[0].field == "monthly_salary"
    assert zhang.record is records["ZhangSan"] and zhang.roster["name"] == "张三"
    assert {p.code for p in problems} >= {"no_record", "missing_salary", "OT_SPLIT_MISMATCH"}
    assert result.pack == cn.info and result.month == "2025-09"


def test_trace_names_inputs_parameters_and_rounding(cn):
    result, _ = compute(cn, SEPT, roster({"userid": "ZhangSan", "monthly_salary": "8700.00"}),
                        {"ZhangSan": MonthRecord.model_validate(ZHANGSAN)}, LEAVES)
    lines = {x.code: x for x in result.employees[0].lines}
    absent = lines["DED_ABSENT"]
    assert absent.amount == Decimal("-401.67") and absent.category is Category.DEDUCTION
    trace = absent.trace
    assert trace.rule == "DED_ABSENT"
    assert "quantity = absent_h" in trace.formula and "rate = HOURLY" in trace.formula
    assert trace.inputs["absent_h"] == Decimal(28920) / 3600
    assert trace.inputs["HOURLY"] == Decimal(50)
    assert trace.inputs["monthly_salary"] == Decimal("8700.00")
    assert trace.parameters["MONTH_PAY_DAYS"].value == Decimal("21.75")
    assert trace.parameters["MONTH_PAY_DAYS"].effective == "2008-01-01"
    assert "2008" in trace.parameters["MONTH_PAY_DAYS"].reference
    assert trace.unrounded == Decimal(28920) / 3600 * 50
    assert trace.rounding == "half_up 0.01"
    paid = lines["LEAVE_PAID"]
    assert paid.item == "年假" and paid.amount == 0 and paid.quantity == 0
    assert lines["OT_WORKDAY"].multiplier == Decimal("1.5")
    assert lines["OT_WORKDAY"].trace.parameters["OT_WORKDAY_MULT"].reference == "劳动法 §44(1)"


def test_compute_is_deterministic(cn):
    args = (cn, SEPT, roster({"userid": "ZhangSan", "monthly_salary": "8700.00"}),
            {"ZhangSan": MonthRecord.model_validate(ZHANGSAN)}, LEAVES)
    assert compute(*args)[0].model_dump_json() == compute(*args)[0].model_dump_json()


DIVIDE = """\
pack:
  name: divide
roster:
  divisor: {required: false}
rules:
  - code: BASE_SALARY
    label: 基本工资
    category: earning
    rate: monthly_salary
  - code: SHARE
    label: 分成
    category: earning
    amount: BASE_SALARY / divisor
"""


def test_failure_marks_only_that_employee(tmp_path):
    path = tmp_path / "divide.yaml"
    path.write_text(DIVIDE, "utf-8")
    pack = load_pack(path)
    team = roster({"userid": "a", "monthly_salary": "100", "divisor": "4"},
                  {"userid": "b", "monthly_salary": "100", "divisor": ""},
                  {"userid": "c", "monthly_salary": "100", "divisor": "x"})
    records = {u: MonthRecord() for u in "abc"}
    result, problems = compute(pack, SEPT, team, records, [])
    a, b, c = result.employees
    assert a.status is Status.OK and a.totals.earnings == Decimal("125.00")
    assert b.status is Status.ERROR and b.lines == ()
    (problem,) = b.problems
    assert (problem.code, problem.rule, problem.field, problem.userid) == \
        ("rule_failed", "SHARE", "divisor", "b")
    assert "division by zero" in problem.message
    assert c.status is Status.ERROR and c.problems[0].code == "bad_roster_value"
    assert c.problems[0].field == "divisor"


def test_parameter_without_value_for_the_period(cn):
    with pytest.raises(RulePackError, match="MIN_WAGE has no value before 2023-07-01"):
        compute(cn, parse_month("2020-01"), roster({"userid": "a", "monthly_salary": "1"}),
                {"a": MonthRecord()}, [])


def test_name_falls_back_to_roster(cn):
    result, _ = compute(cn, SEPT, roster({"userid": "a", "monthly_salary": "1", "name": "甲"}),
                        {"a": MonthRecord()}, [])
    assert result.employees[0].name == "甲"


money = st.decimals(min_value=0, max_value=200000, places=2, allow_nan=False)
seconds = st.integers(min_value=0, max_value=400000)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(salary=money, hourly=st.none() | st.decimals(min_value="0.01", max_value=999, places=2),
       work=seconds, rest=seconds, holiday=seconds, absent=seconds,
       sick=st.integers(0, 25), personal=st.integers(0, 25))
def test_engine_matches_plain_decimal(cn, salary, hourly, work, rest, holiday, absent, sick,
                                      personal):
    row = {"userid": "p", "monthly_salary": str(salary), "hourly_rate": str(hourly or "")}
    items = [{"type": 1, "vacation_id": 4, "count": 1, "duration": sick * 86400, "name": "病假"},
             {"type": 1, "vacation_id": 3, "count": 1, "duration": personal * 86400,
              "name": "事假"}]
    record = MonthRecord.model_validate({
        "exception_infos": [{"exception": 4, "count": 1, "duration": absent}],
        "sp_items": [i for i in items if i["duration"]],
        "overwork_info": {"workday_over_sec": work, "workdays_over_as_money": work,
                          "restdays_over_sec": rest, "restdays_over_as_money": rest,
                          "holidays_over_sec": holiday, "holidays_over_as_money": holiday}})
    result, _ = compute(cn, SEPT, roster(row), {"p": record}, LEAVES)
    employee = result.employees[0]
    below_minimum = (hourly * 174 if hourly else salary) < Decimal("2740")
    assert employee.status is (Status.ERROR if below_minimum else Status.OK)
    assert ({p.code for p in employee.problems if p.severity.value == "error"}
            == ({"BELOW_MIN_WAGE"} if below_minimum else set()))
    got = {x.code: x.amount for x in employee.lines if x.amount}
    want = cn_default(salary, hourly, work, rest, holiday, absent, sick, personal,
                      Decimal("2740"))
    assert got == want
    t = employee.totals
    assert t.earnings == sum(v for v in got.values() if v > 0)
    assert t.deductions == sum(v for v in got.values() if v < 0)
    assert t.net == t.earnings + t.deductions and t.net >= 0
    printed = [Decimal(fmt_money(x.amount).replace(",", "")) for x in employee.lines]
    assert Decimal(fmt_money(t.net).replace(",", "")) == sum(printed)
