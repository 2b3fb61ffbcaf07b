"""Contributions by city and item: every total is the sum of the rows above it and of the
withholding lines themselves."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

from engine.exports import contributions

from tests.exports.samples import WITHHELD, line, month, paid
from tests.golden import check_golden

GOLDEN = Path(__file__).parent / "golden"


def shares(userid: str, base: str, housing: str) -> list:
    """Employee shares at 8 % / 2 % / 0.5 % of ``base`` and 7 % of ``housing``."""
    out = []
    for code, label, rate, on in (("SI_PENSION", "养老保险", "0.08", base),
                                  ("SI_MEDICAL", "医疗保险", "0.02", base),
                                  ("SI_UNEMPLOYMENT", "失业保险", "0.005", base),
                                  ("HOUSING_FUND", "住房公积金", "0.07", housing)):
        amount = (D(on) * D(rate)).quantize(D("0.01"))
        out.append(line(userid, code, WITHHELD, label, f"-{amount}", on, rate, "CNY"))
    return out


def sample():
    return month(extra_lines={"zhangsan": shares("zhangsan", "12000.00", "12000.00"),
                              "lisi": shares("lisi", "8700.10", "8700.00"),
                              "wangwu": shares("wangwu", "30000.00", "30000.00"),
                              "sunqi": shares("sunqi", "9000.00", "9000.00")})


def read(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_table_matches_golden():
    check_golden(GOLDEN, "contributions.csv", contributions.build(paid(sample())))


def test_totals_are_the_sums_of_the_rows_and_of_the_lines():
    result = sample()
    rows = read(contributions.build(paid(result)))
    cities = [r for r in rows if r["city"] != "合计"]
    by_item = {r["item"]: r for r in rows if r["city"] == "合计" and r["item"] != "合计"}
    grand = rows[-1]
    sums: dict[str, list[D]] = defaultdict(lambda: [D(0), D(0), D(0)])
    for r in cities:
        acc = sums[r["item"]]
        acc[0] += D(r["employees"])
        acc[1] += D(r["base_total"])
        acc[2] += D(r["amount_total"])
    for item, (n, base, amount) in sums.items():
        assert (D(by_item[item]["employees"]), D(by_item[item]["base_total"]),
                D(by_item[item]["amount_total"])) == (n, base, amount)
    withheld = -sum(x.amount for e in result.employees if e.status.value == "ok"
                    for x in e.lines if x.code in contributions.ITEMS)
    assert D(grand["amount_total"]) == sum(D(r["amount_total"]) for r in by_item.values())
    assert D(grand["amount_total"]) == withheld
    assert {(r["city"], r["item"]) for r in cities} >= {("上海", "SI_PENSION"),
                                                        ("北京", "HOUSING_FUND")}


def test_the_held_employee_is_not_counted():
    rows = read(contributions.build(paid(sample())))
    shanghai = next(r for r in rows if (r["city"], r["item"]) == ("上海", "SI_PENSION"))
    assert shanghai["employees"] == "2" and shanghai["base_total"] == "42000.00"
