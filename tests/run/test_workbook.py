"""payroll.xlsx of a real demo run read back with openpyxl: number formats, values equal
to the CSV to the last digit, Chinese labels over the codes, frozen headers, autofilter,
widths, and an engine-computed totals row with no formula anywhere."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from engine.run.workbook import COUNT_FORMAT, MONEY_FORMAT, QUANTITY_FORMAT, TOTAL_LABEL

FORMATS = {MONEY_FORMAT, QUANTITY_FORMAT, COUNT_FORMAT}


@pytest.fixture(scope="module")
def book(demo_run):
    return load_workbook(demo_run / "results" / "payroll.xlsx")


def csv_rows(demo_run, name):
    with (demo_run / "results" / name).open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def test_headers_are_chinese_labels_over_the_codes(book, demo_run):
    header, _ = csv_rows(demo_run, "employees.csv")
    sheet = book["employees"]
    assert [c.value for c in sheet[2]] == header
    labels = dict(zip(header, (c.value for c in sheet[1])))
    assert labels["net"] == "实发" and labels["userid"] == "账号"
    assert labels["OT_WORKDAY"] == "工作日加班费" and labels["OT_WORKDAY_h"] == "工作日加班费 h"
    assert sheet.freeze_panes == "B3"
    assert sheet.auto_filter.ref.startswith("A2:")
    assert all(sheet.column_dimensions[c].width >= 8 for c in ("A", "B", "F"))


def test_every_number_has_a_format_and_equals_the_csv(book, demo_run):
    header, rows = csv_rows(demo_run, "employees.csv")
    sheet = book["employees"]
    cells = list(sheet.iter_rows(min_row=3, max_row=len(rows) + 2))
    checked = 0
    for row, found in zip(rows, cells):
        for name, cell in zip(header, found):
            assert cell.data_type != "f"
            if isinstance(cell.value, (int, float)):
                assert cell.number_format in FORMATS, (name, cell.number_format)
                # no float rounding difference: the cell reads back as the CSV's number
                assert Decimal(str(cell.value)) == Decimal(row[name]), (row["userid"], name)
                checked += 1
            else:
                assert (cell.value or "") == row[name]
    assert checked > len(rows) * 10
    money = [c for c in cells[0] if c.number_format == MONEY_FORMAT]
    assert len(money) >= 4  # earnings, deductions, net, codes


def test_line_sheets_equal_line_items_csv(book, demo_run):
    header, rows = csv_rows(demo_run, "line_items.csv")
    for category in ("earning", "deduction", "time_bank", "info"):
        sheet = book[category]
        assert [c.value for c in sheet[2]] == header
        mine = [r for r in rows if r["category"] == category]
        found = list(sheet.iter_rows(min_row=3, max_row=len(mine) + 2, values_only=True))
        for row, values in zip(mine, found):
            for name, value in zip(header, values):
                if isinstance(value, (int, float)):
                    assert Decimal(str(value)) == Decimal(row[name])
        if mine:
            assert sheet.cell(3, header.index("amount") + 1).number_format == MONEY_FORMAT
            assert sheet.cell(len(mine) + 3, 1).value == TOTAL_LABEL


def test_the_totals_row_is_computed_not_a_formula(book, demo_run):
    header, rows = csv_rows(demo_run, "employees.csv")
    sheet = book["employees"]
    last = list(sheet.iter_rows(min_row=len(rows) + 3, max_row=len(rows) + 3))[0]
    assert last[0].value == TOTAL_LABEL
    totals = dict(zip(header, last))
    for name in ("earnings", "deductions", "net", "BASE_SALARY", "OT_WORKDAY_h"):
        want = sum((Decimal(r[name]) for r in rows), Decimal(0))
        assert Decimal(str(totals[name].value)) == want, name
        assert totals[name].data_type == "n"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_summary_sheet_formats_money_and_counts(book, demo_run):
    import json

    summary = json.loads((demo_run / "results" / "summary.json").read_text(encoding="utf-8"))
    rows = {r[0].value: r[1] for r in book["summary"].iter_rows(min_row=3)}
    assert Decimal(str(rows["total.net"].value)) == Decimal(summary["totals"]["net"])
    assert rows["total.net"].number_format == MONEY_FORMAT
    assert rows["status.ok"].number_format == COUNT_FORMAT
    assert rows["status.ok"].value == summary["by_status"]["ok"]
