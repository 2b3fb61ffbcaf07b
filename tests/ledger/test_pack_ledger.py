"""The rule language's new names: ledger openings, categories, dates; pack-level errors."""

from __future__ import annotations

import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest

from engine.errors import FormulaError, RulePackError
from engine.period import parse_month
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.formula import compile_formula
from engine.rules.loader import load_pack
from engine.wecom.models import MonthRecord

CN = Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml"


def child(tmp_path: Path, body: str) -> Path:
    shutil.copy(CN, tmp_path / "cn-default.yaml")
    path = tmp_path / "child.yaml"
    path.write_text("pack:\n  name: child\n  extends: cn-default.yaml\n" + body, "utf-8")
    return path


def one(pack, month: str, row: dict[str, str], opening=None, record=None):
    roster, _ = parse_rows([{"userid": "E1", "monthly_salary": "", **row}], "t")
    records = {"E1": MonthRecord.model_validate(record or {"base_info": {"acctid": "E1"}})}
    result, _ = compute(pack, parse_month(month), roster, records, (),
                        {"E1": opening} if opening else None)
    return result.employees[0]


def test_dotted_names_are_names_not_attributes():
    formula = compile_formula("ledger.comp_h + employment_type.hourly * 2")
    assert formula.names == {"ledger.comp_h", "employment_type.hourly"}
    assert formula({"ledger.comp_h": D(3), "employment_type.hourly": D(1)}) == 5
    for bad in ("a.b.c", "f(x).y", "min.x", "x._y", "(1).real"):
        with pytest.raises(FormulaError):
            compile_formula(bad)


def test_calendar_day_proration_chosen_by_the_pack(tmp_path):
    pack = load_pack(child(tmp_path, "parameters:\n  PRORATE_BY_CALENDAR_DAYS:"
                                     " {values: {2008-01-01: \"1\"}}\n"))
    emp = one(pack, "2026-03", {"monthly_salary": "8700", "hire_date": "2026-03-17"})
    line = {x.code: x for x in emp.lines}["BASE_SALARY_PRORATED"]
    assert line.quantity == 15 and line.amount == D("4209.68")  # 8700 ÷ 31 × 15


def test_expired_comp_time_lapses_when_the_pack_says_so(tmp_path):
    pack = load_pack(child(tmp_path, "parameters:\n  COMP_EXPIRED_PAID:"
                                     " {values: {2008-01-01: \"0\"}}\n"))
    emp = one(pack, "2026-03", {"monthly_salary": "8700"},
              {"ledger.comp_h": D(10), "expired.comp_h": D(4)})
    codes = {x.code: x for x in emp.lines}
    assert "COMP_EXPIRED_PAY" not in codes and codes["COMP_EXPIRED_LAPSED"].quantity == 4
    assert emp.totals.net == D("8700.00")


def test_ytd_names_read_the_opening(tmp_path):
    pack = load_pack(child(tmp_path, """rules:
  - code: INFO_YTD
    label: 累计收入（上月止）
    category: info
    quantity: "ytd.income + ledger.ytd_months"
    unit: CNY
"""))
    emp = one(pack, "2026-05", {"monthly_salary": "8700"},
              {"ledger.ytd_income": D(34800), "ytd.income": D(34800), "ledger.ytd_months": D(4),
               "ytd.months": D(4)})
    assert {x.code: x for x in emp.lines}["INFO_YTD"].quantity == 34804
    assert emp.ledger["ytd_income"] == D("8700.00") and emp.ledger["ytd_months"] == 1


@pytest.mark.parametrize("body, message", [
    ("ledger:\n  x_h: {unit: h}\n", "a balance key needs 'change'"),
    ("ledger:\n  x_h: {unit: h, kind: comp_time, banked: '1'}\n", "needs 'banked' and 'used'"),
    ("ledger:\n  x_h: {unit: CNY, kind: comp_time, banked: '1', used: '1'}\n", "unit must be 'h'"),
    ("ledger:\n  x: {unit: CNY, change: nope}\n", "undefined name 'nope'"),
    ("ledger:\n  Bad: {unit: CNY, change: '1'}\n", "should match pattern"),
    ("ledger:\n  x_h: {unit: h, kind: comp_time, banked: '1', used: '1',"
     " expire_months: monthly_salary}\n", "parameters only"),
    ("roster:\n  kind: {values: {a: [nope_col]}, default: b}\n", "default 'b' is not one of"),
    ("roster:\n  hire_date: {label: x}\n", "read by the engine itself"),
    ("roster:\n  kind: {values: {a: [nope_col]}}\n", "a needs nope_col, which is not a"),
])
def test_ledger_and_roster_mistakes_are_load_errors(tmp_path, body, message):
    with pytest.raises(RulePackError) as caught:
        load_pack(child(tmp_path, body))
    assert message in str(caught.value)
