"""``results/``: every table of a computed month, written as it is made.

The run folder stage after the exports (``engine.pipeline.compute_run`` calls
:func:`write_results`, then :func:`write_ledger` for a pack with balances; ``payroll
verify`` rebuilds the same rows with
:mod:`engine.run.tables`). The month may be packed (:mod:`engine.rules.packed`): each
file is written from a walk over the employees, row by row, so no month-sized table of
rows is ever held; the workbook reads its rows once through ``tables.Rows`` (its
column widths and totals follow its last row), and only the Parquet file holds its column strings, in Arrow's compact
form, until it is written. Every file is byte for byte what the whole-month writers of
:mod:`engine.run.exports` make of the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Sequence

from engine.period import Period
from engine.problems import Problem
from engine.rules.lines import PayrollResult
from engine.run import columns, departments, exports, tables, workbook
from engine.run.chain import LEDGER_CSV, LEDGER_PARQUET
from engine.run.folder import RESULTS, atomic_write

TRACES_JSONL = "traces.jsonl"


def trace_items(result: PayrollResult) -> Iterator[dict[str, Any]]:
    """One ``traces.jsonl`` object per line, in line order."""
    for emp in result.employees:
        for line in emp.lines:
            yield {"userid": line.userid, "code": line.code, "item": line.item,
                   "trace": line.trace.model_dump(mode="json")}


def write_lines(results: Path, result: PayrollResult) -> None:
    """The line items three ways: their traces, every digit (Parquet), as displayed (CSV)."""
    exports.write_jsonl(results / TRACES_JSONL, trace_items(result))
    atomic_write(results / "line_items.parquet",  # every digit, unlike the CSV's display
                 exports.parquet_bytes(tables.line_row_stream(result, precise=True),
                                       tables.LINE_COLUMNS))
    exports.write_csv(results / "line_items.csv", tables.line_row_stream(result),
                      tables.LINE_COLUMNS, tables.NUMERIC)


def write_employees(results: Path, result: PayrollResult, spec: Sequence[columns.Column]
                    ) -> None:
    """``columns.csv`` (the data dictionary) and ``employees.csv``, one row per employee."""
    exports.write_csv(results / "columns.csv", columns.dictionary_rows(spec),
                      columns.DICTIONARY_COLUMNS)
    exports.write_csv(results / "employees.csv", tables.employee_row_stream(result, spec),
                      tuple(c.name for c in spec), tables.numeric_columns(result, spec=spec))


def write_ledger(run_dir: Path, ledger) -> None:
    """``results/ledger.csv`` and ``.parquet``: the month's closing, the next one's opening."""
    from engine.ledger.files import export_row_stream
    from engine.ledger.models import COLUMNS

    rows = tables.Rows(export_row_stream, ledger)  # read twice, never held
    exports.write_csv(run_dir / LEDGER_CSV, rows, COLUMNS, COLUMNS[3:])  # amounts
    atomic_write(run_dir / LEDGER_PARQUET, exports.parquet_bytes(rows, COLUMNS))


def write_results(run_dir: Path, result: PayrollResult, problems: Sequence[Problem],
                  run_id: str, period: Period, pack=None) -> dict[str, Any]:
    """``results/``: every export of the month; returns ``summary.json``'s content."""
    results = run_dir / RESULTS
    summary = tables.summary(result, list(problems), run_id)
    exports.write_csv(results / "problems.csv", tables.problem_rows(problems),
                      tables.PROBLEM_COLUMNS)
    exports.write_json(results / "summary.json", summary)
    departments.write_departments(results, result.employees, summary)
    write_lines(results, result)
    spec = columns.employee_columns(result, pack)  # the month's extra codes: one walk
    write_employees(results, result, spec)
    workbook.write_payroll_xlsx(
        results / "payroll.xlsx", spec, tables.Rows(tables.employee_row_stream, result, spec),
        tables.Rows(tables.line_row_stream, result), tables.LINE_COLUMNS, summary,
        created=f"{period.last_day.isoformat()}T00:00:00")
    return summary
