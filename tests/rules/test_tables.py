"""Table and rounding-mode parameters, band functions, rule steps (engine.rules.tables,
engine.rules.steps): validated at load with file and line, looked up exactly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import EvaluationError, RulePackError
from engine.period import parse_month
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.loader import load_pack
from engine.rules.tables import Band, Table, band_index, band_quick, band_rate, round_step
from engine.wecom.models import MonthRecord

HEAD = """\
pack:
  name: t
parameters:
  T:
    kind: table
    until: 2027-12-31
    values:
      2019-01-01:
{bands}
  MODE:
    kind: rounding_mode
    values: {{2019-01-01: {mode}}}
rules:
  - code: BASE_SALARY
    label: 基本工资
    category: earning
    rate: monthly_salary
  - code: TAX
    label: 税
    category: withholding
    omit_zero: false
    when: "table_valid(T)"
    steps:
      RATE: "band_rate(T, BASE_SALARY)"
      QUICK: "band_quick(T, BASE_SALARY)"
      BAND: "band_index(T, BASE_SALARY)"
    quantity: BASE_SALARY
    rate: RATE
    amount: "{amount}"
"""
GOOD = """\
        - {upto: "3000", rate: "0.03", quick: "0"}
        - {upto: "12000", rate: "0.10", quick: "210"}
        - {rate: "0.20", quick: "1410"}"""


def write(tmp_path: Path, bands: str = GOOD, mode: str = "up",
          amount: str = "round_step(BASE_SALARY * RATE - QUICK, 0.1, MODE)") -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD.format(bands=bands, mode=mode, amount=amount), "utf-8")
    return path


def run(path: Path, salary: str, month: str = "2026-01"):
    roster, _ = parse_rows([{"userid": "E1", "monthly_salary": salary}], "t")
    record = MonthRecord.model_validate({"base_info": {"acctid": "E1"}, "overwork_info": {}})
    result, _ = compute(load_pack(path), parse_month(month), roster, {"E1": record}, [])
    return result.employees[0]


@pytest.mark.parametrize(("salary", "tax", "band"), [
    ("3000", "90.00", "1"), ("3000.01", "90.10", "2"), ("12000", "990.00", "2"),
    ("12000.01", "990.10", "3"), ("100000", "18590.00", "3")])
def test_band_lookup_upper_bound_inclusive_and_steps_traced(tmp_path, salary, tax, band):
    emp = run(write(tmp_path), salary)
    line = next(x for x in emp.lines if x.code == "TAX")
    assert line.amount == -Decimal(tax)  # 3000.01 × 10 % − 210 = 90.001 → up to 90.1
    assert line.trace.inputs["BAND"] == Decimal(band)
    assert "RATE = band_rate(T, BASE_SALARY)" in line.trace.formula
    assert emp.totals.withholdings == -Decimal(tax)
    assert emp.totals.gross == Decimal(salary)
    assert emp.totals.net == Decimal(salary) - Decimal(tax)


def test_after_until_the_table_is_invalid_and_a_lookup_fails_clearly(tmp_path):
    emp = run(write(tmp_path), "5000", "2028-01")
    assert [x.code for x in emp.lines] == ["BASE_SALARY"]  # table_valid(T) is 0
    table = Table("T", (Band(None, Decimal(1), Decimal(0)),), "2019-01-01", "2027-12-31", False)
    with pytest.raises(EvaluationError, match="T is valid until 2027-12-31"):
        band_rate(table, Decimal(1))


@pytest.mark.parametrize(("bands", "message"), [
    ('        - {upto: "3000", rate: "0.03"}\n        - {upto: "2000", rate: "0.1"}\n'
     '        - {rate: "0.2"}', "band 2: upper bound 2000 is not above 3000"),
    ('        - {upto: "3000", rate: "0.03"}', "the last band must be open"),
    ('        - {rate: "0.03"}\n        - {rate: "0.1"}', "band 1: only the last band is open"),
    ('        - {upto: "3000", rate: "1.5"}\n        - {rate: "0.1"}', "not between 0 and 1"),
    ('        - {upto: 3000.5, rate: "0.03"}\n        - {rate: "0.1"}', "must be a quoted number"),
    ('        - {upto: "3000", rate: "0.03", kwik: "1"}\n        - {rate: "0.1"}',
     "a band has the keys upto, rate, quick"),
])
def test_bad_tables_are_load_errors_naming_the_file(tmp_path, bands, message):
    with pytest.raises(RulePackError, match=message) as caught:
        load_pack(write(tmp_path, bands))
    assert "t.yaml:" in str(caught.value)


@pytest.mark.parametrize(("amount", "message"), [
    ("T * 2", "table T can only be the first argument"),
    ("band_rate(BASE_SALARY, T)", "band_rate\\(\\) needs a table parameter"),
    ("band_rate(MODE, 1)", "band_rate\\(\\) needs a table parameter"),
])
def test_a_table_outside_a_band_function_is_a_load_error(tmp_path, amount, message):
    with pytest.raises(RulePackError, match=message):
        load_pack(write(tmp_path, amount=amount))


def test_an_unknown_rounding_mode_is_a_load_error(tmp_path):
    with pytest.raises(RulePackError, match="unknown rounding mode 'sideways'"):
        load_pack(write(tmp_path, mode="sideways"))


def test_rounding_mode_comes_from_the_parameter(tmp_path):
    # 3000.01 × 10 % − 210 = 90.001: up gives 90.1, half_up 90.0, floor 90.0
    for mode, tax in (("up", "90.10"), ("half_up", "90.00"), ("floor", "90.00"),
                      ("ceiling", "90.10")):
        emp = run(write(tmp_path, mode=mode), "3000.01")
        assert next(x for x in emp.lines if x.code == "TAX").amount == -Decimal(tax), mode


def test_band_functions_and_round_step_directly():
    table = Table("T", (Band(Decimal(10), Decimal("0.1"), Decimal(0)),
                        Band(None, Decimal("0.2"), Decimal(1))), "2019-01-01")
    assert band_index(table, Decimal(10)) == 1 and band_index(table, Decimal("10.01")) == 2
    assert band_quick(table, Decimal(-5)) == 0  # below the first bound: the first band
    assert round_step(Decimal("649.876"), Decimal("0.1"), Decimal(4)) == Decimal("649.9")
    with pytest.raises(EvaluationError, match="not a rounding mode code"):
        round_step(Decimal(1), Decimal("0.1"), Decimal(99))
    with pytest.raises(EvaluationError, match="needs a table"):
        band_rate(Decimal(1), Decimal(1))


def test_a_step_name_cannot_be_read_before_its_rule(tmp_path):
    path = write(tmp_path)
    text = path.read_text("utf-8").replace("    rate: monthly_salary\n",
                                            "    rate: monthly_salary\n    when: \"RATE >= 0\"\n", 1)
    path.write_text(text, "utf-8")
    with pytest.raises(RulePackError, match="cycle between rules: BASE_SALARY uses RATE"):
        load_pack(path)


def test_until_is_for_tables_and_an_extension_keeps_the_kind(tmp_path):
    path = write(tmp_path)
    text = path.read_text("utf-8").replace("    kind: rounding_mode\n",
                                            "    kind: rounding_mode\n    until: 2020-01-01\n")
    path.write_text(text, "utf-8")
    with pytest.raises(RulePackError, match="'until' is for table parameters only"):
        load_pack(path)
    write(tmp_path)
    child = tmp_path / "child.yaml"
    child.write_text("""\
pack:
  name: child
  extends: t.yaml
parameters:
  T:
    kind: table
    values:
      2026-01-01:
        - {upto: "5000", rate: "0.05", quick: "0"}
        - {rate: "0.5", quick: "100"}
""", "utf-8")
    emp = run(child, "6000")  # 6000 × 50 % − 100 = 2900, the 2026 bands
    assert next(x for x in emp.lines if x.code == "TAX").amount == Decimal("-2900.00")
    assert run(child, "6000", "2025-12").lines[-1].amount == Decimal("-390.00")  # 10 % − 210
    child.write_text(child.read_text("utf-8").replace("    kind: table\n", "    kind: number\n"),
                     "utf-8")
    with pytest.raises(RulePackError, match="a number parameter takes numbers"):
        load_pack(child)
