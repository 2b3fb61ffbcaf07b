"""The exports' cell writer: no text cell a spreadsheet would run, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.exports import safe


@given(st.text())
def test_every_text_round_trips_and_never_starts_live(value):
    text = safe.csv_text([{"a": value, "b": "x"}], ["a", "b"])
    cell = list(csv.reader(io.StringIO(text, newline="")))[1][0]
    assert not safe.is_live(cell)
    assert safe.parse_csv(text)[1] == [value, "x"]


def test_numbers_of_numeric_columns_stay_numbers_and_others_are_quoted():
    text = safe.csv_text([{"n": "-401.67", "t": "-401.67"}], ["n", "t"], numeric={"n"})
    assert text.splitlines()[1] == "-401.67,'-401.67"
    assert safe.neutralise("＝1+1") == "'＝1+1" and safe.neutralise("'=x") == "''=x"


def test_head_lines_come_before_the_header():
    text = safe.csv_text([], ["a"], head=[["总金额", "=1"]])
    assert text == "总金额,'=1\na\n"


def test_xlsx_cells_are_typed():
    from openpyxl import Workbook

    sheet = Workbook(write_only=True).create_sheet()
    number, text, empty = (safe.xlsx_cell(sheet, v) for v in (Decimal("1.10"), "=SUM(A1)", ""))
    assert number.value == Decimal("1.10") and number.data_type == "n"
    assert text.data_type == "s" and text.quotePrefix
    assert empty.value is None
