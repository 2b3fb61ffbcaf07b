"""``results/payroll.xlsx``: the month as finance opens it in a spreadsheet.

Run folder stage, beside the CSV writers. Every number is written from its Decimal (the
cell holds the exact decimal text, so it reads back equal to the CSV) with a number
format (``#,##0.00`` for money, ``#,##0.00##`` for quantities, ``0`` for counts), never
as a General float. Each sheet has two header rows, the Chinese label over the column's
code, frozen, with an autofilter on the data and widths fitted to the content. A totals
row at the bottom holds sums computed here in Decimal: no cell is a formula, and a text
cell that looks like one is stored as text.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from openpyxl.utils import get_column_letter

from engine.rules.lines import Category
from engine.run import columns as spec
from engine.run.exports import pinned_workbook, write_pinned_workbook
from engine.run.sheetrows import Cell, SheetRows

MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.00##"
COUNT_FORMAT = "0"
TOTAL_LABEL = "合计 Total"
LINE_LABELS = {"userid": "账号", "code": "代码", "category": "类别", "label": "项目",
               "label_en": "Item", "item": "明细", "quantity": "数量", "unit": "单位",
               "rate": "单价", "multiplier": "倍数", "amount": "金额"}
LINE_KINDS = {"quantity": "quantity", "rate": "quantity", "multiplier": "quantity",
              "amount": "amount"}


@dataclass(frozen=True)
class Col:
    name: str
    label: str
    kind: str = "text"  # text | amount | quantity | count
    total: bool = False  # summed in the totals row


@dataclass(frozen=True)
class Sheet:
    title: str
    cols: tuple[Col, ...]
    rows: Iterable[dict[str, str]] = ()  # read once, a row at a time
    totals: bool = True


FORMATS = {"amount": MONEY_FORMAT, "quantity": QUANTITY_FORMAT, "count": COUNT_FORMAT}


def _width(value: Any) -> int:
    text = str(value)
    if text.isascii():  # numbers, codes, userids: one column a character
        return len(text)
    return _wide_width(text)


@functools.lru_cache(maxsize=1 << 14)
def _wide_width(text: str) -> int:
    # the lines' labels repeat on every employee: each measured once
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _value(text: str) -> Decimal | None:
    return Decimal(text) if text not in ("", None) else None


def _texts(values: Iterable[str]) -> list[Cell]:
    # string cells (never formulas), in their printable form, quote-prefixed when they look
    # like one, as engine.run.cells.xlsx_cell makes them
    return [(None, value or "") for value in values]


class _Plan:
    """What a sheet needs once its last row is written (column widths, the filter's
    range, the totals row), gathered while its rows are written."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.widest = [max(_width(c.label), _width(c.name)) for c in sheet.cols]
        self.count = 0
        self.sums = {c.name: Decimal(0) for c in sheet.cols if c.total}
        self._names = [c.name for c in sheet.cols]

    def see(self, row: dict[str, str]) -> None:
        self.count += 1
        widest = self.widest
        for index, name in enumerate(self._names):
            width = _width(row.get(name, "") or "") + 3
            if width > widest[index]:
                widest[index] = width
        for name in self.sums:
            if row.get(name) not in ("", None):
                self.sums[name] += Decimal(row[name])


class _Writing:
    """One sheet being written: its rows (:class:`SheetRows`) and its plan."""

    def __init__(self, book, sheet: Sheet) -> None:
        self.sheet, self.plan = sheet, _Plan(sheet)
        self.ws = book.create_sheet(title=sheet.title[:31])
        self.rows = SheetRows(self.ws)
        self.rows.append(_texts(c.label for c in sheet.cols))
        self.rows.append(_texts(c.name for c in sheet.cols))
        # (number format or None, column name, is a text column) of each cell
        self._cells = [(None, c.name, True) if c.kind == "text" else
                       (FORMATS[c.kind], c.name, False) for c in sheet.cols]

    def add(self, source: dict[str, str]) -> None:
        self.plan.see(source)
        kind_of = source.get("_kind")
        cells: list[Cell] = []
        for number_format, name, text in self._cells:
            value = source.get(name, "") or ""
            if text:
                cells.append((None, value))
            else:
                cells.append((FORMATS[kind_of] if kind_of else number_format, _value(value)))
        self.rows.append(cells)

    def finish(self) -> None:
        """Widths, panes and filter (openpyxl writes them when the sheet is closed, so
        they may follow the rows: one reading of the rows), the totals row, then close."""
        sheet, plan, ws = self.sheet, self.plan, self.ws
        for index, widest in enumerate(plan.widest, start=1):
            ws.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, 8), 48)
        ws.freeze_panes = "B3"
        if plan.count:
            ws.auto_filter.ref = f"A2:{get_column_letter(len(sheet.cols))}{plan.count + 2}"
        if sheet.totals and plan.count:
            self.rows.append([(FORMATS[c.kind], plan.sums[c.name]) if c.name in plan.sums else
                              (None, TOTAL_LABEL if i == 0 else "")
                              for i, c in enumerate(sheet.cols)])
        self.rows.close()


def _write(book, sheet: Sheet) -> None:
    writing = _Writing(book, sheet)
    for row in sheet.rows:
        writing.add(row)
    writing.finish()


def employee_sheet(columns: Sequence[spec.Column], rows: Iterable[dict[str, str]]) -> Sheet:
    cols = []
    for c in columns:
        kind = "count" if c.name == "problems" else ("text" if c.kind == "field" else c.kind)
        label = f"{c.label} {c.unit}".strip() if c.kind == "quantity" else c.label
        cols.append(Col(c.name, label, kind, total=kind in ("amount", "quantity")))
    return Sheet("employees", tuple(cols), rows)


def line_sheet(category: str, rows: Iterable[dict[str, str]], columns: Sequence[str]) -> Sheet:
    # quantities of one category may mix units (days, hours): only amounts are totalled
    cols = tuple(Col(c, LINE_LABELS.get(c, c), LINE_KINDS.get(c, "text"), total=c == "amount")
                 for c in columns)
    return Sheet(category, cols, rows)


def summary_sheet(summary: dict[str, Any]) -> Sheet:
    """Totals by category, code, department and cost centre (CNY), and the headcounts."""
    money = [{"key": f"total.{k}", "value": v} for k, v in summary["totals"].items()]
    money += [{"key": f"category.{k}", "value": v} for k, v in summary["by_category"].items()]
    money += [{"key": f"code.{k}", "value": v} for k, v in summary["by_code"].items()]
    for by in ("by_department", "by_cost_centre"):
        money += [{"key": f"{by[3:]}.{name}", "value": g["net"]}
                  for name, g in summary.get(by, {}).items()]
    counts = [{"key": f"status.{k}", "value": str(v)} for k, v in summary["by_status"].items()]
    counts += [{"key": f"{by[3:]}.{name}.employees", "value": str(g["employees"])}
               for by in ("by_department", "by_cost_centre") for name, g in summary.get(by, {}).items()]
    if "paid" in summary:
        counts.append({"key": "paid.employees", "value": str(summary["paid"])})
    unpaid = summary.get("unpaid") or {}
    if unpaid:
        counts.append({"key": "unpaid.employees", "value": str(unpaid["employees"])})
        money += [{"key": f"unpaid.computed.{k}", "value": v}
                  for k, v in unpaid["computed"].items()]
    rows = money + [{**row, "_kind": "count"} for row in counts]
    return Sheet("summary", (Col("key", "项目 item"), Col("value", "金额 CNY / 人数", "amount")),
                 rows, totals=False)


def _line_sheets(book, lines: Iterable[dict[str, str]], columns: Sequence[str]) -> None:
    """One sheet per category, in category order, from one reading of all the lines."""
    sheets = {c.value: _Writing(book, line_sheet(c.value, (), columns)) for c in Category}
    for row in lines:
        sheets[row["category"]].add(row)
    for writing in sheets.values():
        writing.finish()


def payroll_xlsx(employee_columns: Sequence[spec.Column], employees: Iterable[dict[str, str]],
                 lines: Iterable[dict[str, str]], line_columns: Sequence[str],
                 summary: dict[str, Any], created: str) -> bytes:
    """The workbook: summary, employees, then one sheet of lines per category.

    ``employees`` and ``lines`` are read once each, one row at a time: lists, or streams
    (``tables.Rows``) of a month too large to hold."""
    return pinned_workbook(_book(employee_columns, employees, lines, line_columns, summary),
                           created)


def write_payroll_xlsx(path: Path, employee_columns: Sequence[spec.Column],
                       employees: Iterable[dict[str, str]], lines: Iterable[dict[str, str]],
                       line_columns: Sequence[str], summary: dict[str, Any], created: str
                       ) -> Path:
    """:func:`payroll_xlsx` written to ``path`` without holding the workbook's bytes (a
    large month's are some hundred megabytes, held several times over when zipped)."""
    return write_pinned_workbook(
        path, _book(employee_columns, employees, lines, line_columns, summary), created)


def _book(employee_columns: Sequence[spec.Column], employees: Iterable[dict[str, str]],
          lines: Iterable[dict[str, str]], line_columns: Sequence[str],
          summary: dict[str, Any]):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _write(book, summary_sheet(summary))
    _write(book, employee_sheet(employee_columns, employees))
    _line_sheets(book, lines, line_columns)
    return book
