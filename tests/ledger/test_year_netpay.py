"""Acceptance: the simulated year (tests/ledger/year.py, 12 chained runs of the default
pack cn-payroll) against the independent net-pay oracle (tests/rules/netpay_oracle.py).

For every employee and every month paid: the social insurance and housing fund lines
equal the oracle's from the roster (city, salary or hourly rate × 174); the month's income
tax equals the oracle's cumulative withholding fed with the month's gross pay
(employees.csv: earnings + deductions) and the roster's special additional deductions;
the closing ``ytd_tax_withheld`` of the last month equals the oracle's year, and, for
everyone whose cumulative tax never fell (no month clamped at 0), the tax computed once
on the year's totals.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction as F

from tests.ledger import year
from tests.rules import netpay_oracle as oracle

CITY = {"": 1, "上海": 1, "北京": 2, "深圳": 3, "广州": 4}


def dec(x) -> Decimal:
    x = F(x)
    return Decimal(x.numerator) / Decimal(x.denominator)


def base_of(row: dict[str, str]) -> F:
    if row.get("employment_type") == "hourly":
        return F(row["hourly_rate"]) * 174
    return F(row["monthly_salary"])


def walk(full_year, rows):
    """Per userid: the oracle's Year, the months paid, and what the engine printed."""
    by_id = {r["userid"]: r for r in rows}
    people: dict[str, oracle.Year] = {}
    checked = defaultdict(int)
    for month, run in full_year.items():
        if month.endswith("-01"):
            people = {u: oracle.Year() for u in people}
        employees = {r["userid"]: r for r in year.read_csv(run / "results" / "employees.csv")}
        lines = defaultdict(dict)
        for line in year.read_csv(run / "results" / "line_items.csv"):
            if line["category"] == "withholding":
                lines[line["userid"]][line["code"]] = -Decimal(line["amount"])
        for userid, emp in employees.items():
            if emp["status"] != "ok":
                continue
            row = by_id[userid]
            city = CITY[row.get("city", "").strip()]
            held = oracle.withholdings(city, base_of(row))
            got = {k: v for k, v in lines[userid].items() if k != "IIT"}
            assert got == {k: dec(v) for k, v in held.items()}, (month, userid)
            gross = F(emp["earnings"]) + F(emp["deductions"])
            sad = sum(F(row.get(k) or 0) for k in oracle.SAD_KEYS)
            person = people.setdefault(userid, oracle.Year())
            tax = person.month(int(month[5:]), gross, sum(held.values()), sad)
            assert lines[userid].get("IIT", Decimal(0)) == dec(tax), (month, userid)
            assert Decimal(emp["net"]) == dec(gross - sum(held.values()) - tax), (month, userid)
            checked["months"] += 1
    return people, checked


def test_every_month_and_the_years_tax_equal_the_independent_computation(full_year, rows):
    people, checked = walk(full_year, rows)
    last = {}
    for month, run in full_year.items():
        for r in year.read_csv(run / "results" / "ledger.csv"):
            if r["key"] == "ytd_tax_withheld":
                last[r["userid"]] = Decimal(r["closing"])
    steady = 0
    for userid, person in people.items():
        assert last[userid] == dec(person.withheld), userid
        annual = oracle.annual_tax(person.income, person.special, person.additional,
                                   basic_months=person.months)
        # the year's withholding is the largest cumulative tax of its months: the tax of
        # the year's totals unless a later month's cumulative tax fell (clamped at 0)
        assert person.withheld >= annual, userid
        steady += person.withheld == annual
    assert checked["months"] > 400 and len(people) >= 50
    assert steady >= len(people) * 3 // 4
