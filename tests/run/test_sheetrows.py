"""SheetRows against openpyxl itself: the same cells appended through openpyxl's own
write-only path (``ws.append`` of cells made as ``engine.run.cells.xlsx_cell`` makes them)
give the same workbook, byte for byte, on crafted, random and whole-month cells."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from engine.run import cells, sheetrows, workbook
from engine.run.sheetrows import SheetRows

from run_samples import RUN_ID

FORMATS = (workbook.MONEY_FORMAT, workbook.QUANTITY_FORMAT, workbook.COUNT_FORMAT)


class OpenpyxlRows:
    """The oracle: every cell an openpyxl cell, appended with ``ws.append``. The rows are
    appended when the sheet is closed, as SheetRows puts them in: openpyxl writes a
    sheet's widths, panes and filter with its first row, and the workbook sets them
    after its last."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.rows: list = []

    def append(self, row) -> None:
        made = []
        for number_format, value in row:
            if number_format is None:
                made.append(cells.xlsx_cell(self.ws, value or ""))
            else:
                cell = WriteOnlyCell(self.ws, value=value)
                cell.number_format = number_format
                made.append(cell)
        self.rows.append(made)

    def close(self) -> None:
        for row in self.rows:
            self.ws.append(row)
        self.ws.close()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {name: book.read(name) for name in book.namelist()}


def book_of(writer, sheets) -> dict[str, bytes]:
    book = Workbook(write_only=True)
    opened = []
    for index, _rows in enumerate(sheets):  # sheets open together, rows interleaved
        ws = book.create_sheet(f"s{index}")
        ws.freeze_panes = "B3"
        opened.append(writer(ws))
    for index, rows in enumerate(sheets):
        for row in rows:
            opened[index].append(row)
    for rows in opened:
        rows.close()
    out = io.BytesIO()
    book.save(out)
    found = members(out.getvalue())
    found.pop("docProps/core.xml")  # the wall clock of the save
    return found


TRICKY = ["", " ", "plain", " lead", "trail ", "\u3000全角空格", "=1+2", "+cmd|' /C calc'!A0",
          "-2+3", "@SUM(1)", "'=quoted", "＝全角", "a&b<c>d\"e'f", "tab\there", "cr\rlf\n",
          "\x00nul\x1f", "\u202eRTL override", "emoji 😀", "张伟", "&amp;", "]]>"]


def test_crafted_cells_are_openpyxls_bytes():
    rows = [[(None, text), (FORMATS[i % 3], None), (FORMATS[(i + 1) % 3], Decimal(i) / 7)]
            for i, text in enumerate(TRICKY)]
    rows += [[], [(None, "")], [(workbook.MONEY_FORMAT, Decimal("-0.00"))],
             [(workbook.MONEY_FORMAT, Decimal("12345678901234.56")), (None, "x" * 40)]]
    assert book_of(SheetRows, [rows, rows[::-1]]) == book_of(OpenpyxlRows, [rows, rows[::-1]])


cell_st = st.one_of(
    st.tuples(st.none(), st.one_of(st.text(max_size=12), st.sampled_from(TRICKY))),
    st.tuples(st.sampled_from(FORMATS),
              st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False,
                                               min_value=-10**12, max_value=10**12))))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.lists(cell_st, max_size=30), max_size=8), min_size=1, max_size=3))
def test_random_cells_are_openpyxls_bytes(sheets):
    assert book_of(SheetRows, sheets) == book_of(OpenpyxlRows, sheets)


def test_the_months_workbook_is_openpyxls(sample, monkeypatch):
    from engine.run import columns, tables

    result, problems = sample
    lines, employees = tables.line_rows(result), tables.employee_rows(result)
    summary = tables.summary(result, problems, RUN_ID)

    def made() -> bytes:
        return workbook.payroll_xlsx(columns.employee_columns(result), employees, lines,
                                     tables.LINE_COLUMNS, summary, created="2026-10-31T00:00:00")

    fast = made()
    monkeypatch.setattr(workbook, "SheetRows", OpenpyxlRows)
    assert fast == made()


def test_an_openpyxl_that_writes_sheets_otherwise_is_refused(monkeypatch):
    monkeypatch.setattr(sheetrows, "_EMPTY_DATA", b"<sheetData/>")
    book = Workbook(write_only=True)
    rows = SheetRows(book.create_sheet("s"))
    rows.append([(None, "x")])
    with pytest.raises(RuntimeError, match="unexpected sheet"):
        rows.close()
