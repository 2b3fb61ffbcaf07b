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

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from engine.rules.lines import Category
from engine.run import cells
from engine.run import columns as spec
from engine.run.exports import pinned_workbook

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
    rows: list[dict[str, str]]
    totals: bool = True


FORMATS = {"amount": MONEY_FORMAT, "quantity": QUANTITY_FORMAT, "count": COUNT_FORMAT}


def _width(value: Any) -> int:
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text(sheet, value: str) -> WriteOnlyCell:
    # the shared writer: a string cell even when it starts with "=" (never a formula),
    # quote-prefixed so editing it does not make one, control characters shown as [U+XXXX]
    return cells.xlsx_cell(sheet, value or "")


def _number(sheet, value: Decimal | None, kind: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = FORMATS[kind]
    return cell


def _value(text: str, kind: str) -> Decimal | None:
    return Decimal(text) if text not in ("", None) else None


def _totals(sheet: Sheet) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for col in sheet.cols:
        if col.total:
            sums[col.name] = sum((Decimal(r[col.name]) for r in sheet.rows
                                  if r.get(col.name) not in ("", None)), Decimal(0))
    return sums


def _write(book, sheet: Sheet) -> None:
    ws = book.create_sheet(title=sheet.title[:31])
    body = [[(row.get(c.name, "") or "") for c in sheet.cols] for row in sheet.rows]
    for index, col in enumerate(sheet.cols, start=1):
        widest = max([_width(col.label), _width(col.name), *(_width(r[index - 1]) + 3 for r in body)])
        ws.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, 8), 48)
    ws.freeze_panes = "B3"
    if sheet.rows:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(sheet.cols))}{len(sheet.rows) + 2}"
    ws.append([_text(ws, c.label) for c in sheet.cols])
    ws.append([_text(ws, c.name) for c in sheet.cols])
    for source, row in zip(sheet.rows, body):
        kinds = [source.get("_kind", c.kind) if c.kind != "text" else "text" for c in sheet.cols]
        ws.append([_text(ws, v) if kind == "text" else _number(ws, _value(v, kind), kind)
                   for kind, v in zip(kinds, row)])
    if sheet.totals and sheet.rows:
        sums = _totals(sheet)
        ws.append([_number(ws, sums[c.name], c.kind) if c.name in sums else
                   _text(ws, TOTAL_LABEL if i == 0 else "") for i, c in enumerate(sheet.cols)])


def employee_sheet(columns: Sequence[spec.Column], rows: list[dict[str, str]]) -> Sheet:
    cols = []
    for c in columns:
        kind = "count" if c.name == "problems" else ("text" if c.kind == "field" else c.kind)
        label = f"{c.label} {c.unit}".strip() if c.kind == "quantity" else c.label
        cols.append(Col(c.name, label, kind, total=kind in ("amount", "quantity")))
    return Sheet("employees", tuple(cols), rows)


def line_sheet(category: str, rows: list[dict[str, str]], columns: Sequence[str]) -> Sheet:
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


def payroll_xlsx(employee_columns: Sequence[spec.Column], employees: list[dict[str, str]],
                 lines: list[dict[str, str]], line_columns: Sequence[str],
                 summary: dict[str, Any], created: str) -> bytes:
    """The workbook: summary, employees, then one sheet of lines per category."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheets = [summary_sheet(summary), employee_sheet(employee_columns, employees)]
    sheets += [line_sheet(c.value, [r for r in lines if r["category"] == c.value], line_columns)
               for c in Category]
    for sheet in sheets:
        _write(book, sheet)
    return pinned_workbook(book, created)
