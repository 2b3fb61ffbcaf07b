"""Exports of a small fixed month against golden files, and XLSX/Parquet against the CSV.

``UPDATE_GOLDEN=1 pytest tests/run/test_exports.py`` rewrites the golden files after an
intended change; review the diff before committing them.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from engine.rules.lines import Category
from engine.run import exports, tables

from run_samples import RUN_ID, write_tables

from tests import golden

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, data: bytes) -> None:
    golden.check_golden(GOLDEN, name, data)


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


SMALL_FILES = ("line_items.csv", "employees.csv", "problems.csv", "summary.json")


@pytest.mark.parametrize("name", SMALL_FILES)
def test_small_month_matches_golden(sample, tmp_path, name):
    write_tables(tmp_path, *sample)
    check_golden(f"small/{name}", (tmp_path / "results" / name).read_bytes())


def test_writers_are_deterministic(sample, tmp_path):
    write_tables(tmp_path / "a", *sample)
    write_tables(tmp_path / "b", *sample)
    for name in SMALL_FILES:
        assert (tmp_path / "a/results" / name).read_bytes() == \
            (tmp_path / "b/results" / name).read_bytes()


def test_csv_amounts_add_up_to_the_summary(sample, tmp_path):
    summary = write_tables(tmp_path, *sample)
    lines = rows_of((tmp_path / "results/line_items.csv").read_bytes())
    for category in (Category.EARNING, Category.DEDUCTION):
        total = sum((Decimal(r["amount"]) for r in lines if r["category"] == category.value),
                    Decimal(0))
        assert Decimal(summary["by_category"][category.value]) == total
    employees = rows_of((tmp_path / "results/employees.csv").read_bytes())
    net = sum((Decimal(r["net"]) for r in employees), Decimal(0))
    assert Decimal(summary["totals"]["net"]) == net


def xlsx_of(result, problems) -> bytes:
    from engine.run import columns, workbook

    lines, employees = tables.line_rows(result), tables.employee_rows(result)
    summary = tables.summary(result, problems, RUN_ID)
    return workbook.payroll_xlsx(columns.employee_columns(result), employees, lines,
                                 tables.LINE_COLUMNS, summary, created="2026-10-31T00:00:00")


def sheet_rows(sheet) -> list[dict]:
    """Data rows of a payroll.xlsx sheet keyed by the codes in header row 2 (row 1 holds
    the Chinese labels; a last row labelled 合计 holds the totals)."""
    header = [c.value for c in sheet[2]]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=3, values_only=True)]
    return [r for r in rows if r.get(header[0]) != "合计 Total"]


def test_xlsx_opens_and_its_totals_equal_the_csv(sample, tmp_path):
    from openpyxl import load_workbook

    result, problems = sample
    write_tables(tmp_path, result, problems)
    path = tmp_path / "payroll.xlsx"
    path.write_bytes(xlsx_of(result, problems))
    book = load_workbook(path, data_only=True)
    lines = rows_of((tmp_path / "results/line_items.csv").read_bytes())
    for category in Category:
        amounts = [Decimal(str(row["amount"])) for row in sheet_rows(book[category.value])]
        csv_amounts = [Decimal(r["amount"]) for r in lines if r["category"] == category.value]
        assert sorted(amounts) == sorted(csv_amounts)
    summary = {r["key"]: r["value"] for r in sheet_rows(book["summary"])}
    employees = rows_of((tmp_path / "results/employees.csv").read_bytes())
    for key in ("earnings", "deductions", "net"):
        csv_total = sum((Decimal(r[key]) for r in employees if r["paid"] == "true"), Decimal(0))
        assert Decimal(str(summary[f"total.{key}"])) == csv_total
    nets = [Decimal(str(r["net"])) for r in sheet_rows(book["employees"])]
    assert sum(nets, Decimal(0)) == sum((Decimal(r["net"]) for r in employees), Decimal(0))


def test_xlsx_bytes_are_deterministic(sample):
    assert xlsx_of(*sample) == xlsx_of(*sample)


def test_parquet_holds_the_csv_rows_as_text(sample):
    import pyarrow.parquet as pq

    result, _ = sample
    rows = tables.line_rows(result)
    table = pq.read_table(io.BytesIO(exports.parquet_bytes(rows, tables.LINE_COLUMNS)))
    assert table.column_names == list(tables.LINE_COLUMNS)
    assert table.to_pylist() == rows


DEMO_FILES = ("line_items.csv", "employees.csv", "problems.csv", "summary.json")


@pytest.mark.parametrize("name", DEMO_FILES)
def test_simulated_month_matches_golden(demo_run, name):
    check_golden(f"demo5/{name}", ((demo_run / "results" / name).read_bytes()))


def test_simulated_month_xlsx_totals_equal_csv(demo_run):
    from openpyxl import load_workbook

    book = load_workbook(demo_run / "results/payroll.xlsx", data_only=True)
    summary = {r["key"]: r["value"] for r in sheet_rows(book["summary"])}
    employees = rows_of((demo_run / "results/employees.csv").read_bytes())
    for key in ("earnings", "deductions", "net"):
        assert Decimal(str(summary[f"total.{key}"])) == sum(
            (Decimal(r[key]) for r in employees), Decimal(0))
    data = json.loads((demo_run / "results/summary.json").read_text("utf-8"))
    assert {k: Decimal(str(v)) for k, v in summary.items() if k.startswith("total.")} == {
        f"total.{k}": Decimal(v) for k, v in data["totals"].items()}


def test_days_and_hours_of_one_code_stay_in_their_own_columns(tmp_path):
    # 14.5 days of 年假 and 30 h of 调休 (7.5 h working day): days and hours apart, never "44.5"
    from engine.period import parse_month
    from engine.roster import parse_rows
    from engine.rules.apply import compute
    from engine.rules.loader import load_pack
    from engine.wecom.models import LeaveType, MonthRecord

    pack = load_pack(Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml")
    leaves = [LeaveType(id=2, name="年假"),
              LeaveType(id=6, name="调休", time_attr=1, perday_duration=27000)]
    record = MonthRecord.model_validate({"overwork_info": {}, "sp_items": [
        {"type": 1, "vacation_id": 2, "count": 1, "duration": 14 * 86400 + 43200},
        {"type": 1, "vacation_id": 6, "count": 1, "duration": 30 * 3600, "time_type": 1}]})
    roster, _ = parse_rows([{"userid": "u", "monthly_salary": "8700"}], "r")
    result, _ = compute(pack, parse_month("2025-09"), roster, {"u": record}, leaves)
    assert tables.code_units(result) == {"LEAVE_PAID": "day"}
    (row,) = tables.employee_rows(result, pack)  # each unit in its own column, never added
    assert row["LEAVE_PAID_day"] == "14.5" and row["LEAVE_PAID_h"] == "30"
    assert {"LEAVE_PAID_day", "LEAVE_PAID_h"} <= set(tables.employee_columns(result, pack))
    units = {line.item: line.unit for line in result.employees[0].lines if line.item}
    assert units == {"年假": "day", "调休": "h"}  # each line keeps WeCom's own unit
