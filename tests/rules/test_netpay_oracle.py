"""cn-payroll against the independent net-pay oracle (tests/rules/netpay_oracle.py).

The oracle computes social insurance, housing fund and the cumulative income tax from
the law in exact fractions; here the engine runs the real pack month by month, carrying
its year to date the way the ledger does (the month's opening = the previous closings),
and every withholding line, the net pay and the year's tax must equal the oracle to the
fen: crafted months, the pack's own twelve-month cases, and random years (salaries in
fen, cities, declared bases, special additional deductions, joiners in mid-year).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.period import parse_month
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.cases import load_cases
from engine.rules.loader import load_pack
from engine.wecom.models import MonthRecord
from tests.rules import netpay_oracle as oracle

PACK_PATH = Path(__file__).resolve().parents[2] / "rules" / "cn-payroll.yaml"
CASES = PACK_PATH.with_name("cn-payroll.cases.yaml")
YTD = ("income", "tax_free", "special_deductions", "tax_withheld", "months", "bonus_tax",
       *oracle.SAD_KEYS, "other_deductions")
_PACK = []


def pack():
    if not _PACK:
        _PACK.append(load_pack(PACK_PATH))
    return _PACK[0]


def dec(x) -> Decimal:
    x = F(x)
    return Decimal(x.numerator) / Decimal(x.denominator)


def text(x) -> str:
    return f"{dec(x):.2f}"


def run_month(month: str, row: dict[str, str], ytd: dict[str, Decimal]):
    """One employee's month through the engine; returns the result and the next ytd."""
    row = {"userid": "E1", **row}
    roster, problems = parse_rows([row], "test")
    assert not problems
    record = MonthRecord.model_validate({"base_info": {"acctid": "E1"}, "overwork_info": {}})
    opening = {"E1": {f"ytd.{k}": v for k, v in ytd.items()}}
    result, _ = compute(pack(), parse_month(month), roster, {"E1": record}, [], opening)
    emp = result.employees[0]
    after = {k: ytd.get(k, Decimal(0)) + emp.ledger.get(f"ytd_{k}", Decimal(0)) for k in YTD}
    return emp, after


def amounts(emp) -> dict[str, Decimal]:
    return {line.code: -line.amount for line in emp.lines if line.category.value == "withholding"}


@pytest.mark.parametrize("city,salary", [(1, "10000"), (1, "50000"), (1, "5000"),
                                         (2, "20000"), (2, "3000.01"), (3, "15000.55"),
                                         (4, "30000"), (1, "7384"), (1, "36921.01")])
def test_contributions_of_a_month_equal_the_oracle(city, salary):
    row = {"monthly_salary": salary, "city": oracle.CITY_NAMES[city]}
    emp, _ = run_month("2026-01", row, {})
    want = oracle.withholdings(city, F(salary))
    got = {k: v for k, v in amounts(emp).items() if k not in ("IIT", "IIT_BONUS")}
    assert got == {k: dec(v) for k, v in want.items()}
    tax = oracle.Year().month(1, F(salary), sum(want.values()))
    assert amounts(emp).get("IIT", Decimal(0)) == dec(tax)
    assert emp.totals.net == dec(F(salary) - sum(want.values()) - tax)


def test_the_packs_twelve_month_cases_add_up_to_the_annual_computation():
    """Each month of the two twelve-month sequences is a pack case; their IIT lines sum to
    the year's tax computed once on the year's totals (the band changes included)."""
    cases = load_cases(CASES).cases
    for label, salary, want in (("10000 a month", 10000, None), ("30000 a month", 30000, None)):
        months = [c for c in cases if c.name.startswith(label)]
        assert len(months) == 12, label
        total = -sum(Decimal(c.expect.lines["IIT"]) for c in months)
        special = 12 * sum(oracle.withholdings(1, F(salary)).values())
        assert total == dec(oracle.annual_tax(12 * salary, special, 12 * 2000)), label


def year(rows: list[tuple[str, dict[str, str]]]):
    """Run months in order, carrying the year to date; the engine's taxes per month."""
    ytd: dict[str, Decimal] = {}
    taxes = []
    for month, row in rows:
        emp, ytd = run_month(month, row, ytd)
        assert emp.status.value == "ok", emp.problems
        taxes.append((emp, amounts(emp).get("IIT", Decimal(0))))
    return taxes, ytd


def test_a_crafted_year_with_a_negative_month_and_a_late_deduction():
    """A raise in April, a 子女教育 declared in September for the whole year (18000 at
    once): that month's cumulative tax is below what was withheld, so it is 0, not a
    refund; December's cumulative figures still equal the oracle's."""
    rows, y = [], oracle.Year()
    for m in range(1, 13):
        salary = "12000" if m < 4 else "25000"
        sad = "18000" if m == 9 else "2000" if m > 9 else "0"
        rows.append((f"2026-{m:02d}", {"monthly_salary": salary, "child_education": sad}))
    taxes, ytd = year(rows)
    for (m, (month, row)), (emp, tax) in zip(enumerate(rows, 1), taxes):
        special = sum(oracle.withholdings(1, F(row["monthly_salary"])).values())
        want = y.month(m, F(row["monthly_salary"]), special, F(row["child_education"]))
        assert tax == dec(want), month
    assert taxes[8][1] == 0
    assert ytd["tax_withheld"] == dec(y.withheld)
    assert ytd["child_education"] == 18000 + 3 * 2000


CITIES = st.sampled_from([1, 2, 3, 4])
FEN = st.integers(min_value=300_000, max_value=8_000_000).map(lambda c: F(c, 100))
SAD = st.sampled_from([0, 400, 1000, 1500, 2000, 3000, 4000, 6500])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(city=CITIES, salaries=st.lists(FEN, min_size=1, max_size=12), sad=SAD,
       declared=st.one_of(st.none(), st.integers(50, 100)), start=st.integers(1, 12),
       low_income=st.booleans())
def test_random_years_equal_the_oracle_to_the_fen(city, salaries, sad, declared, start,
                                                  low_income):
    months = list(range(start, min(12, start + len(salaries) - 1) + 1))
    if declared is not None:  # a declared base up to the lowest salary (net pay stays >= 0)
        declared = F(int(min(salaries) * declared), 100)
    rows, y = [], oracle.Year(low_income=low_income)
    for m, salary in zip(months, salaries):
        row = {"monthly_salary": text(salary), "city": oracle.CITY_NAMES[city],
               "child_education": str(sad), "prior_year_low_income": "1" if low_income else "0"}
        if declared is not None:
            row["social_base"] = text(declared)
        rows.append((f"2026-{m:02d}", row))
    taxes, ytd = year(rows)
    for (month, row), (emp, tax), salary in zip(rows, taxes, salaries):
        base = declared if declared is not None else salary
        held = oracle.withholdings(city, base)
        got = {k: v for k, v in amounts(emp).items() if k != "IIT"}
        assert got == {k: dec(v) for k, v in held.items()}, month
        want = y.month(int(month[5:]), salary, sum(held.values()), sad)
        assert tax == dec(want), month
        assert emp.totals.net == dec(salary - sum(held.values()) - want), month
    assert ytd["tax_withheld"] == dec(y.withheld)
    assert ytd["income"] == dec(y.income)
    assert ytd["special_deductions"] == dec(y.special)


@settings(max_examples=30, deadline=None)
@given(bonus=st.integers(min_value=100, max_value=200_000_000).map(lambda c: F(c, 100)))
def test_separately_taxed_bonus_equals_the_oracle(bonus):
    row = {"monthly_salary": "10000", "annual_bonus": text(bonus), "bonus_separate": "1"}
    emp, ytd = run_month("2026-01", row, {})
    assert amounts(emp)["IIT_BONUS"] == dec(oracle.bonus_tax(bonus))
    # the bonus is paid but not in the cumulative wage income
    assert ytd["income"] == 10000 and ytd["bonus_tax"] == dec(oracle.bonus_tax(bonus))
    special = sum(oracle.withholdings(1, F(10000)).values())
    assert amounts(emp)["IIT"] == dec(oracle.Year().month(1, F(10000), special))


def test_first_job_of_the_year_counts_the_basic_deduction_from_january():
    row = {"monthly_salary": "20000", "first_job_of_year": "是"}
    emp, _ = run_month("2026-06", row, {})
    special = sum(oracle.withholdings(1, F(20000)).values())
    want = oracle.Year(first_job=True).month(6, F(20000), special)
    assert amounts(emp)["IIT"] == dec(want) == 0  # 20000 − 3500 − 30000 < 0
    plain, _ = run_month("2026-06", {"monthly_salary": "20000"}, {})
    assert amounts(plain)["IIT"] == dec(oracle.Year().month(6, F(20000), special)) > 0


def test_every_step_of_the_tax_is_on_the_iit_line():
    opening = {"income": Decimal("20000"), "special_deductions": Decimal("3500"),
               "months": Decimal(2), "tax_withheld": Decimal("75.00"),
               "child_education": Decimal("4000")}
    emp, _ = run_month("2026-03", {"monthly_salary": "10000", "child_education": "2000"},
                       opening)
    line = next(x for x in emp.lines if x.code == "IIT")
    want = {"IIT_INCOME": "10000.00", "IIT_CUM_INCOME": "30000.00", "IIT_CUM_TAX_FREE": "0",
            "IIT_MONTHS": "3", "IIT_CUM_BASIC": "15000", "IIT_CUM_SPECIAL": "5250.00",
            "IIT_CUM_SPECIAL_ADDITIONAL": "6000", "IIT_CUM_OTHER": "0",
            "IIT_CUM_TAXABLE": "3750.00", "IIT_BAND": "1", "IIT_RATE": "0.03",
            "IIT_QUICK": "0", "IIT_CUM_TAX": "112.5000", "IIT_WITHHELD_BEFORE": "75.00"}
    for name, value in want.items():
        assert line.trace.inputs[name] == Decimal(value), name
        assert f"{name} = " in line.trace.formula, name
    assert line.amount == Decimal("-37.50")
    assert line.trace.parameters["IIT_TABLE"].reference.startswith("国家税务总局公告2018年第61号")


@settings(max_examples=25, deadline=None)
@given(salary=FEN, rate=st.integers(5, 12), extra=st.integers(0, 5),
       housing=st.one_of(st.none(), FEN))
def test_random_housing_fund_rates_and_bases_in_shanghai(salary, rate, extra, housing):
    row = {"monthly_salary": text(salary), "housing_fund_rate": f"0.{rate:02d}"}
    if extra:
        row["housing_fund_extra_rate"] = f"0.0{extra}"
    if housing is not None:
        row["housing_base"] = text(housing)
    emp, _ = run_month("2026-02", row, {})
    held = oracle.withholdings(1, salary, housing, F(rate, 100), F(extra, 100))
    assert {k: v for k, v in amounts(emp).items() if k != "IIT"} == \
        {k: dec(v) for k, v in held.items()}
