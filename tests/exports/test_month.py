"""A simulated cn-payroll month: every export against line_items.csv and employees.csv.

The oracle reads the run's own CSV results (the csv module, nothing of the engine) and
the export files as their importers would (openpyxl, the bank's encoding).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

from openpyxl import load_workbook

SI = {"基本养老保险费": ("SI_PENSION",), "基本医疗保险费": ("SI_MEDICAL",),
      "失业保险费": ("SI_UNEMPLOYMENT",), "住房公积金": ("HOUSING_FUND", "HOUSING_FUND_EXTRA")}


def rows(path: Path, encoding: str = "utf-8", skip: int = 0) -> list[dict[str, str]]:
    records = list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))
    return [dict(zip(records[skip], r)) for r in records[skip + 1:]]


def lines_by_user(run: Path) -> dict[str, dict[str, D]]:
    out: dict[str, dict[str, D]] = defaultdict(lambda: defaultdict(D))
    for r in rows(run / "results/line_items.csv"):
        out[r["userid"]][r["code"]] += D(r["amount"])
    return out


def test_bank_total_is_the_net_pay_of_employees_csv_to_the_fen(cmb_run):
    employees = [r for r in rows(cmb_run / "results/employees.csv") if r["status"] == "ok"]
    bank = rows(cmb_run / "results/bank-cmb-001.csv", "gb18030", skip=4)
    assert sum(D(r["金额"]) for r in bank) == sum(D(e["net"]) for e in employees)
    assert sorted(r["金额"] for r in bank) == sorted(e["net"] for e in employees)
    lines = lines_by_user(cmb_run)
    for e in employees:
        assert D(e["gross"]) + D(e["withholdings"]) == D(e["net"])
        withheld = sum(v for k, v in lines[e["userid"]].items()
                       if k.startswith(("SI_", "HOUSING_FUND", "IIT")))
        assert withheld == D(e["withholdings"]) < 0


def test_tax_sheet_rows_are_the_lines_of_each_employee(cmb_run):
    ws = load_workbook(cmb_run / "results/iit_wages.xlsx").worksheets[0]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    employees = {r["userid"]: r for r in rows(cmb_run / "results/employees.csv")}
    lines = lines_by_user(cmb_run)
    sheet = [dict(zip(values[0], row)) for row in values[1:]]
    assert len(sheet) == sum(e["status"] == "ok" for e in employees.values())
    for row in sheet:
        who = row["工号"]
        assert D(str(row["本期收入"])) == D(employees[who]["gross"])
        for header, codes in SI.items():
            assert D(str(row[header])) == -sum(lines[who].get(c, D(0)) for c in codes)


def test_contributions_total_every_social_insurance_and_housing_fund_line(cmb_run):
    table = rows(cmb_run / "results/contributions.csv")
    lines = lines_by_user(cmb_run)
    codes = ("SI_PENSION", "SI_MEDICAL", "SI_UNEMPLOYMENT", "HOUSING_FUND", "HOUSING_FUND_EXTRA")
    for code in codes:
        total = -sum(per.get(code, D(0)) for per in lines.values())
        found = [r for r in table if r["item"] == code and r["city"] == "合计"]
        assert D(found[0]["amount_total"]) == total if found else total == 0
    assert D(table[-1]["amount_total"]) == -sum(v for per in lines.values()
                                                for k, v in per.items() if k in codes)
