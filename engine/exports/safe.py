"""The cell writer of this room: the run's one formula-safe writer (``engine.run.cells``)
with what bank files and the tax sheet add to it.

Every rule is ``engine.run.cells``'s, so a cell is written the same way in every file of
the run: a text cell that a spreadsheet would take for a formula (first character ``=``,
``+``, ``-``, ``@``, tab, carriage return, or their full-width forms) gets a leading
``'``; numbers of numeric columns are left alone; XLSX strings are always string cells in
their printable form, never formulas. Added here: control records before a bank file's
header (``head``), a reader of every record (not only rows under a header), and the money
number format of the tax sheet.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any, Collection, Iterable, Sequence

from engine.run.cells import TRIGGERS, is_live, neutralise, restore, xlsx_cell as _cell
from engine.run.cells import csv_text as _csv_text
from engine.run.cells import record

__all__ = ["TRIGGERS", "is_live", "neutralise", "restore", "record", "csv_text",
           "parse_csv", "sheet_cell", "xlsx_cell", "MONEY_FORMAT"]

MONEY_FORMAT = "0.00"


def csv_text(rows: Iterable[dict[str, str]], columns: Sequence[str],
             numeric: Collection[str] = (), head: Sequence[Sequence[str]] = ()) -> str:
    """CSV: ``head`` records first (a bank's control lines), then the header and rows;
    every text cell neutralised, plain numbers of ``numeric`` columns kept."""
    lines = "".join(record(neutralise(c) for c in line) for line in head)
    return lines + _csv_text(rows, columns, numeric)


def parse_csv(text: str) -> list[list[str]]:
    """Every record of a CSV written by :func:`csv_text`, with original values."""
    return [[restore(v) for v in rec] for rec in csv.reader(io.StringIO(text, newline=""))
            if rec]


def sheet_cell(value: Any) -> tuple[str | None, Any]:
    """The cell :func:`xlsx_cell` makes, as :class:`engine.run.sheetrows.SheetRows` takes
    it: ``(number format, Decimal)`` or ``(None, text)``."""
    return (MONEY_FORMAT, value) if isinstance(value, Decimal) else (None, str(value))


def xlsx_cell(sheet, value: Any):
    """A typed write-only XLSX cell (``engine.run.cells.xlsx_cell``); a Decimal is an exact
    number in the money format (openpyxl writes the shortest text that reads back as the
    same double: the exact decimal up to 15 significant digits, all Excel holds)."""
    cell = _cell(sheet, value if isinstance(value, Decimal) else str(value))
    if isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    return cell
