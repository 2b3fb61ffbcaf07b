"""`engine.open_run` on a real demo run: pandas tables whose totals equal summary.json
to the fen, computed here with pandas independently of the engine's own sums."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import pandas as pd
import pytest

import engine
from engine.errors import RunFolderError


@pytest.fixture(scope="module")
def opened(demo_run):
    return engine.open_run(demo_run)


def written(demo_run) -> dict:
    return json.loads((demo_run / "results" / "summary.json").read_text(encoding="utf-8"))


def test_amounts_are_exact_decimals(opened):
    for frame, column in ((opened.lines, "amount"), (opened.lines, "quantity"),
                          (opened.employees, "net"), (opened.employees, "earnings")):
        assert frame[column].dtype == object
        assert all(isinstance(v, Decimal) for v in frame[column])
    assert opened.employees["problems"].dtype.kind == "i"


def test_dataframe_totals_equal_summary_json_to_the_fen(opened, demo_run):
    summary = written(demo_run)
    assert opened.summary == summary
    lines = opened.lines
    by_category = lines.groupby("category")["amount"].sum()
    assert {k: Decimal(v) for k, v in summary["by_category"].items()} == \
        {k: by_category[k] for k in summary["by_category"]}
    by_code = lines.groupby("code")["amount"].sum()
    assert {k: Decimal(v) for k, v in summary["by_code"].items()} == by_code.to_dict()
    employees = opened.employees
    for key in ("earnings", "deductions", "net"):
        assert employees[key].sum() == Decimal(summary["totals"][key])
    assert len(employees) == summary["employees"]


def test_department_and_cost_centre_totals_equal_the_employee_rows(opened, demo_run):
    summary = written(demo_run)
    employees = opened.employees
    assert sum(g["employees"] for g in summary["by_department"].values()) == len(employees)
    for name, group in summary["by_department"].items():
        rows = employees[employees["department"].replace("", "—") == name]
        assert rows["net"].sum() == Decimal(group["net"]), name
    assert sum(Decimal(g["net"]) for g in summary["by_cost_centre"].values()) == \
        Decimal(summary["totals"]["net"])
    assert len(summary["by_cost_centre"]) > 1  # the demo roster has cost centres


def test_lines_join_employees_like_any_dataframe(opened):
    joined = opened.lines.merge(opened.employees[["userid", "department"]], on="userid")
    assert len(joined) == len(opened.lines)
    assert isinstance(joined, pd.DataFrame)


def test_payslip_bytes_and_problems(opened, demo_run):
    userid = opened.lines["userid"].iloc[0]
    pdf = opened.payslip(userid)
    assert pdf.startswith(b"%PDF")
    assert opened.payslips == len(list((demo_run / "payslips").glob("*.pdf")))
    with pytest.raises(KeyError):
        opened.payslip("nobody-here")
    assert list(opened.problems.columns)[:3] == ["severity", "stage", "code"]
    ledger = opened.ledger  # cn-default carries comp time and year-to-date figures
    assert list(ledger.columns) == ["userid", "key", "unit", "opening", "change", "closing"]
    rows = list(csv.DictReader((demo_run / "results" / "ledger.csv").open(encoding="utf-8")))
    assert len(ledger) == len(rows) > 0
    for (_, got), want in zip(ledger.iterrows(), rows):
        assert isinstance(got["closing"], Decimal) and got["closing"] == Decimal(want["closing"])
        assert got["opening"] + got["change"] == got["closing"]


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(RunFolderError, match="not a finished run folder"):
        engine.open_run(tmp_path)


def test_run_month_returns_the_same_object(demo_run, tmp_path):
    outcome = engine.demo_month(tmp_path / "again", employees=3, month="2026-10", workers=1)
    assert isinstance(outcome, type(engine.open_run(demo_run)))
    assert outcome.lines["amount"].sum() == sum(
        (Decimal(v) for v in outcome.summary["by_category"].values()), Decimal(0))
    assert outcome.payslips >= 1 and outcome.run_id and outcome.month == "2026-10"
    assert all(hasattr(p, "severity") for p in outcome.problem_items)
