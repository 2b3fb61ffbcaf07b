"""A cn-payroll payslip read back as text (pypdf): gross, withholdings, net and balances are
the month's results, every one of them (line_items.csv, employees.csv, ledger.csv)."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
MONEY = r"(-?[0-9][0-9,]*\.[0-9]{2})"


@pytest.fixture(scope="module")
def netpay_run(tmp_path_factory) -> Path:
    from engine.pipeline import demo_month

    run_dir = tmp_path_factory.mktemp("netpay") / "run"
    demo_month(run_dir, employees=5, month="2026-10", seed=5, workers=1,
               rules=ROOT / "rules" / "cn-payroll.yaml")
    return run_dir


def table(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))


def text_of(pdf: Path) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(pdf).pages))


def amount(text: str, label: str) -> D:
    found = re.findall(re.escape(label) + r"¥?" + MONEY, text)
    assert len(found) == 1, (label, found)
    return D(found[0].replace(",", ""))


def test_gross_withheld_net_and_balances_printed_are_the_results(netpay_run):
    employees = {r["userid"]: r for r in table(netpay_run / "results/employees.csv")}
    lines: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in table(netpay_run / "results/line_items.csv"):
        lines[row["userid"]].append(row)
    ledger = {(r["userid"], r["key"]): r for r in table(netpay_run / "results/ledger.csv")}
    checked = 0
    for row in table(netpay_run / "manifest.csv"):
        who, text = row["userid"], text_of(netpay_run / row["file"])
        mine = lines[who]
        gross = sum(D(x["amount"]) for x in mine if x["category"] in ("earning", "deduction"))
        held = sum(D(x["amount"]) for x in mine if x["category"] == "withholding")
        assert amount(text, "应发合计") == gross == D(employees[who]["gross"])
        assert amount(text, "扣款合计") == held == D(employees[who]["withholdings"]) < 0
        assert amount(text, "实发工资") == gross + held == D(employees[who]["net"])
        for x in mine:
            if x["category"] == "withholding":
                assert x["label"] in text and f"{D(x['amount']):,.2f}" in text
        comp = ledger[(who, "comp_h")]
        closing = D(comp["closing"])
        assert re.search(rf"期初{D(comp['opening']).normalize():f}→期末{closing.normalize():f}小时",
                         text), text
        assert "未扣税" not in text
        checked += 1
    assert checked == 5
