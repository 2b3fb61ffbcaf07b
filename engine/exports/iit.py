"""``results/iit_wages.xlsx``: the tax client's import sheet for 正常工资薪金所得.

Exports stage. One row per paid employee (status ok) in the column map's order
(``templates/exports/iit-wages.yaml``, the version chosen); amounts are number cells
holding the exact Decimal, text cells are string cells (never formulas), an employee
without an id number is an error for that row (reported, the row still written so the
sheet matches the payslips). The workbook's dates are pinned, so the bytes are the same
for the same month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from engine.exports import figures, safe
from engine.exports.maps import Column, IitMap
from engine.problems import Problem, warning
from engine.rules.lines import EmployeeResult

EXPORT = "iit_wages.xlsx"
Row = list[str | Decimal]


def employee_row(emp: EmployeeResult, columns: Sequence[Column]
                 ) -> tuple[Row, list[Problem]]:
    row: Row = []
    problems: list[Problem] = []
    for column in columns:
        if column.is_amount:
            value, found = figures.amount_of(emp, column.source, EXPORT)
            problems += found
            row.append(value if value is not None else "")
        else:
            row.append(figures.text_of(emp, column.source, {}))
    if any(c.source == "id_number" for c in columns) and not figures.text_of(
            emp, "id_number", {}):
        problems.append(warning("exports", "iit_id_missing",
                              f"{EXPORT}: no id number (roster column id_number): the tax "
                              "client refuses the row until it is filled in",
                              userid=emp.userid, field="id_number"))
    return row, problems


def sheet_rows(paid: Sequence[EmployeeResult], columns: Sequence[Column]
               ) -> tuple[list[Row], list[Problem]]:
    """The header row, then one row per employee, and the problems found."""
    rows: list[Row] = [[c.header for c in columns]]
    problems: list[Problem] = []
    for emp in paid:
        row, found = employee_row(emp, columns)
        rows.append(row)
        problems += found
    return rows, problems


def workbook_bytes(sheet: str, rows: Sequence[Row], created: str) -> bytes:
    from openpyxl import Workbook

    from engine.run.exports import pinned_workbook
    from engine.run.sheetrows import SheetRows

    book = Workbook(write_only=True)
    cells = SheetRows(book.create_sheet(title=sheet))
    for row in rows:  # the cells safe.xlsx_cell makes, a tenth of the time (see SheetRows)
        cells.append([safe.sheet_cell(value) for value in row])
    cells.close()
    return pinned_workbook(book, created)


def build(paid: Sequence[EmployeeResult], iit_map: IitMap, version: str | None,
          created: str) -> tuple[str, bytes, list[Problem]]:
    """The version used, the workbook's bytes and the rows' problems."""
    chosen, columns = iit_map.version(version)
    rows, problems = sheet_rows(paid, columns)
    return chosen, workbook_bytes(iit_map.sheet, rows, created), problems


def read_sheet(data: bytes) -> tuple[list[str], list[list[object]], bool]:
    """Sheet names, cell values and whether any cell is a formula (for verify and tests)."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=False)
    ws = book.worksheets[0]
    values = [[cell.value for cell in row] for row in ws.iter_rows()]
    formulas = any(cell.data_type == "f" for row in ws.iter_rows() for cell in row)
    return book.sheetnames, values, formulas
