"""Tables of a computed month: the rows every export is made from.

Pure functions from the compute stage's :class:`PayrollResult` and the run's problems to
lists of plain rows (text cells, Decimal written in plain notation), so CSV, JSON,
Parquet and XLSX all show the same numbers and column names stay stable for importers.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Sequence

from engine.problems import Problem
from engine.rules.lines import (MONEY_TOTALS, Category, EmployeeResult, LineItem, PayrollResult,
                                Status)
from engine.run import columns

LINE_COLUMNS = ("userid", "code", "category", "label", "label_en", "item", "quantity", "unit",
                "rate", "multiplier", "amount")
EMPLOYEE_COLUMNS = tuple(c.name for c in columns.FIXED)
PROBLEM_COLUMNS = ("severity", "stage", "code", "userid", "rule", "field", "source", "audience",
                   "message")


def dec(value: Decimal) -> str:
    """Plain decimal text: never exponent notation, trailing zeros of rounded amounts kept."""
    text = format(value, "f")
    return "0" if text in ("-0", "-0.00") and value == 0 else text


def line_row(line: LineItem, precise: bool = False) -> dict[str, str]:
    """A line as exported: quantity, rate and multiplier at the display precision
    (``columns.DISPLAY_PLACES``) unless ``precise`` (Parquet keeps every digit)."""
    show = dec if precise else (lambda v: dec(columns.shown(v)))
    return {
        "userid": line.userid, "code": line.code, "category": line.category.value,
        "label": line.label, "label_en": line.label_en, "item": line.item,
        "quantity": show(line.quantity), "unit": line.unit, "rate": show(line.rate),
        "multiplier": show(line.multiplier), "amount": dec(line.amount),
    }


def line_row_stream(result: PayrollResult, precise: bool = False) -> Iterator[dict[str, str]]:
    """The rows of ``line_rows`` one at a time (an export written as it is made)."""
    return (line_row(line, precise) for emp in result.employees for line in emp.lines)


def line_rows(result: PayrollResult, precise: bool = False) -> list[dict[str, str]]:
    return list(line_row_stream(result, precise))


def codes_in_order(result: PayrollResult) -> list[str]:
    """Every line code, in order of first appearance (which follows the pack's rule order)."""
    seen: dict[str, None] = {}
    for emp in result.employees:
        for line in emp.lines:
            seen.setdefault(line.code, None)
    return list(seen)


QUANTITY_CATEGORIES = (Category.TIME_BANK, Category.INFO)
DAY_UNITS, HOUR_UNITS = ("day",), ("h",)
DEFAULT_DAY_HOURS = Decimal(8)


def code_units(result: PayrollResult) -> dict[str, str]:
    """The one unit each time-bank or info code is totalled in.

    A code whose lines all share a unit keeps it; a per-item code whose lines mix days and
    hours (年假 in days, 调休 in hours) is totalled in days, each hour-unit line converted
    through its leave type's working day (``item_day_hours`` in the line's trace).
    """
    seen: dict[str, set[str]] = defaultdict(set)
    for emp in result.employees:
        for line in emp.lines:
            if line.category in QUANTITY_CATEGORIES:
                seen[line.code].add(line.unit)
    return {code: units.pop() if len(units) == 1 else "day" for code, units in seen.items()}


def in_unit(line: LineItem, unit: str) -> Decimal:
    """A line's quantity in ``unit`` (its own, or days <-> hours via its working day)."""
    if line.unit == unit:
        return line.quantity
    day_hours = line.trace.inputs.get("item_day_hours")
    if not isinstance(day_hours, Decimal) or not day_hours:
        day_hours = DEFAULT_DAY_HOURS  # the engine's working day when the trace has none
    if line.unit in HOUR_UNITS and unit in DAY_UNITS:
        return line.quantity / day_hours
    if line.unit in DAY_UNITS and unit in HOUR_UNITS:
        return line.quantity * day_hours
    return line.quantity  # units that do not convert (times, month) never mix in one code


def department(emp: EmployeeResult) -> str:
    """The employee's first WeCom department path, else the roster's ``department`` column."""
    return emp.departments[0] if emp.departments else emp.roster.get("department", "")


def employee_columns(result: PayrollResult, pack=None) -> tuple[str, ...]:
    """Column names of employees.csv (see :mod:`engine.run.columns`)."""
    return tuple(c.name for c in columns.employee_columns(result, pack))


def _code_values(emp: EmployeeResult) -> dict[str, Decimal]:
    """Per column name: the amount of a code, the quantity of a code in one unit."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in emp.lines:
        if line.category.value in columns.MONEY:
            sums[line.code] += line.amount
        if line.unit:
            sums[f"{line.code}_{columns.suffix(line.unit)}"] += line.quantity
    return sums


def employee_rows(result: PayrollResult, pack=None) -> list[dict[str, str]]:
    """One row per roster employee; every column of ``employee_columns`` filled (``0.00``
    for an amount, ``0`` for a quantity the employee has no line of)."""
    return list(employee_row_stream(result, columns.employee_columns(result, pack)))


def employee_row_stream(result: PayrollResult, spec: Sequence[columns.Column]
                        ) -> Iterator[dict[str, str]]:
    """The rows of ``employee_rows`` one at a time, for the columns ``spec`` (what
    ``columns.employee_columns`` gives, worked out once by the caller)."""
    spec = spec[len(columns.FIXED):]
    for emp in result.employees:
        sums = _code_values(emp)
        row = {
            "userid": emp.userid, "name": emp.name, "status": emp.status.value,
            "paid": "true" if emp.status is Status.OK else "false",
            "department": department(emp), "cost_centre": emp.roster.get("cost_centre", ""),
            "earnings": dec(emp.totals.earnings), "deductions": dec(emp.totals.deductions),
            "gross": dec(emp.totals.gross), "withholdings": dec(emp.totals.withholdings),
            "net": dec(emp.totals.net), "comp_hours": dec(columns.shown(emp.totals.comp_hours)),
            "problems": str(len(emp.problems)),
        }
        for column in spec:
            value = sums.get(column.name)
            if column.kind == "amount":
                row[column.name] = dec(value) if value is not None else "0.00"
            else:
                row[column.name] = dec(columns.shown(value)) if value is not None else "0"
        yield row


class Rows:
    """A table made again at each reading (``make(*args)`` gives its rows): an export
    that reads its rows twice without holding them (``workbook.payroll_xlsx``)."""

    def __init__(self, make: Callable[..., Iterable[dict[str, str]]], *args: Any) -> None:
        self.make, self.args = make, args

    def __iter__(self) -> Iterator[dict[str, str]]:
        return iter(self.make(*self.args))


def problem_rows(problems: Iterable[Problem]) -> list[dict[str, str]]:
    return [{"severity": p.severity.value, "stage": p.stage, "code": p.code, "userid": p.userid,
             "rule": p.rule, "field": p.field, "source": p.source,
             "audience": p.audience.value, "message": p.message}
            for p in problems]


class _Sums:
    """Headcount and money totals of some employees, added up as they come: a walk over
    a packed month keeps no employee past its batch (a list of 100,000 employees' totals
    and their pandas frame took some 160 MB)."""

    __slots__ = ("employees", "money")

    def __init__(self) -> None:
        self.employees = 0
        self.money = [Decimal(0)] * len(MONEY_TOTALS)

    def add(self, emp: EmployeeResult) -> None:
        self.employees += 1
        for index, key in enumerate(MONEY_TOTALS):
            self.money[index] += getattr(emp.totals, key)

    def texts(self) -> dict[str, str]:
        return {k: dec(v) for k, v in zip(MONEY_TOTALS, self.money)}


GROUPS = ("department", "cost_centre")


def _group_keys(emp: EmployeeResult) -> tuple[str, str]:
    """The employee's department and cost centre (the roster's ``cost_centre`` column),
    ``—`` for none."""
    return department(emp) or "—", emp.roster.get("cost_centre", "") or "—"


def summary(result: PayrollResult, problems: list[Problem], run_id: str) -> dict[str, Any]:
    """Totals by status, category and code of the *paid* employees (status ok: the ones
    with a payslip), every number the sum of their line items; the unpaid ones (error,
    missing) are counted apart under ``unpaid`` with what was computed for them."""
    by_status: dict[str, int] = defaultdict(int)
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    by_code: dict[str, Decimal] = defaultdict(Decimal)
    paid, unpaid = _Sums(), _Sums()
    unpaid_ids: list[str] = []
    groups: tuple[dict[str, _Sums], ...] = tuple(defaultdict(_Sums) for _ in GROUPS)
    # one walk over the month (it may be packed), every sum added up as it goes
    for emp in result.employees:
        by_status[emp.status.value] += 1
        if emp.status is not Status.OK:
            unpaid.add(emp)
            unpaid_ids.append(emp.userid)
            continue
        paid.add(emp)
        for group, key in zip(groups, _group_keys(emp)):
            group[key].add(emp)
        for line in emp.lines:
            by_category[line.category.value] += line.amount
            by_code[line.code] += line.amount
    severities: dict[str, int] = defaultdict(int)
    for problem in problems:
        severities[problem.severity.value] += 1
    return {
        "month": result.month, "run_id": run_id,
        "pack": result.pack.model_dump(mode="json", exclude={"path"}),
        "employees": len(result.employees), "by_status": dict(sorted(by_status.items())),
        "paid": paid.employees,
        "totals": paid.texts(),
        "unpaid": {"employees": unpaid.employees, "userids": unpaid_ids,
                   "computed": unpaid.texts()},
        "by_category": {k: dec(v) for k, v in sorted(by_category.items())},
        "by_code": {k: dec(v) for k, v in by_code.items()},
        **{f"by_{by}": {key: {"employees": sums.employees, **sums.texts()}
                        for key, sums in sorted(group.items())}
           for by, group in zip(GROUPS, groups)},
        "problems": dict(sorted(severities.items())),
    }


NUMERIC = frozenset({"quantity", "rate", "multiplier", "amount", "earnings", "deductions",
                     "net", "comp_hours", "problems", "value"})


def numeric_columns(result: PayrollResult, pack=None, spec=None) -> frozenset[str]:
    """Columns holding numbers (the schema the CSV writer keeps plain numbers by); ``spec``
    is ``columns.employee_columns(result, pack)`` when the caller has it already."""
    spec = spec if spec is not None else columns.employee_columns(result, pack)
    return NUMERIC | {c.name for c in spec if c.kind != "field"}
