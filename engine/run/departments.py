"""``results/departments.csv``: every department's figures, and the summary's share of them.

Run folder stage, written with the other results tables (:func:`write_departments`, from
``engine.run.results``) and checked by ``payroll verify`` against the recomputed month
(:func:`check_departments`). One row per department, in name order: the paid employees'
headcount and money totals (the ``by_department`` groups of ``summary.json``) and the
overtime hours of every employee with an attendance record (workday, rest day, holiday,
total; the finance summary's chart, 0.01 h as it prints them).

A large company has thousands of departments, and the finance summary's PDF cannot lay
out a row and a bar for each of them (at 4,000 it took 0.7 GB more): the summary prints
the :data:`LISTED` largest (:func:`largest`) and one row carrying the others' sums, so
its columns still add up to its totals; this file keeps every one of them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

from engine.rules.lines import MONEY_TOTALS, EmployeeResult
from engine.run import cells, exports, tables
from engine.run.compare import Difference, difference
from engine.run.folder import RESULTS

DEPARTMENTS_CSV = "departments.csv"
OT_KINDS = (("workday", "workday_over_sec"), ("restday", "restdays_over_sec"),
            ("holiday", "holidays_over_sec"))
HOURS = tuple(f"{kind}_hours" for kind, _field in OT_KINDS) + ("overtime_hours",)
COLUMNS = ("department", "employees", *MONEY_TOTALS, *HOURS)
NUMERIC = frozenset(COLUMNS[1:])
# departments the finance summary prints one by one (each table: by headcount, by hours)
LISTED = 100
NO_DEPARTMENT = "—"
_HOUR = Decimal(3600)
_CENT_HOUR = Decimal("0.01")

T = TypeVar("T")


def overtime_by_department(employees: Iterable[EmployeeResult]) -> dict[str, list[Decimal]]:
    """Overtime hours per department from the attendance records: workday, rest day,
    holiday; in department name order."""
    hours: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(OT_KINDS))
    for emp in employees:
        if emp.record is None:
            continue
        info = emp.record.overwork_info
        dept = tables.department(emp) or NO_DEPARTMENT
        for index, (_kind, field) in enumerate(OT_KINDS):
            hours[dept][index] += Decimal(getattr(info, field)) / _HOUR
    return dict(sorted(hours.items()))


def largest(groups: Mapping[str, T], size: Callable[[T], Any], limit: int = LISTED
            ) -> tuple[list[str], list[str]]:
    """The ``limit`` largest groups by ``size`` (ties by name) and the others, each list
    in the order of ``groups``: the printed rows keep their order, whatever is left out."""
    ranked = sorted(groups, key=lambda name: (-size(groups[name]), name))
    kept = set(ranked[:limit])
    return [n for n in groups if n in kept], [n for n in groups if n not in kept]


def fmt_hours(value: Decimal) -> str:
    """Hours as the summary prints them: 0.01 h, thousands separated."""
    return f"{value.quantize(_CENT_HOUR):,}"


def department_rows(by_department: Mapping[str, Mapping[str, Any]],
                    hours: Mapping[str, list[Decimal]]) -> list[dict[str, str]]:
    """One row per department of either table (``summary.json``'s ``by_department``,
    :func:`overtime_by_department`), in name order; a department with no paid employee
    has 0 and 0.00, one without a record 0.00 hours."""
    rows = []
    for name in sorted({*by_department, *hours}):
        group = by_department.get(name)
        spent = hours.get(name, [Decimal(0)] * len(OT_KINDS))
        rows.append({
            "department": name,
            "employees": str(group["employees"]) if group else "0",
            **{k: str(group[k]) if group else "0.00" for k in MONEY_TOTALS},
            **{k: tables.dec(v.quantize(_CENT_HOUR))
               for k, v in zip(HOURS, (*spent, sum(spent, Decimal(0))))},
        })
    return rows


def month_rows(employees: Iterable[EmployeeResult], summary: Mapping[str, Any]
               ) -> list[dict[str, str]]:
    """The rows of a computed month (one more walk over it) and its ``summary.json``."""
    return department_rows(summary.get("by_department", {}), overtime_by_department(employees))


def write_departments(results: Path, employees: Iterable[EmployeeResult],
                      summary: Mapping[str, Any]) -> Path:
    return exports.write_csv(results / DEPARTMENTS_CSV, month_rows(employees, summary),
                             COLUMNS, NUMERIC)


def check_departments(run_dir: Path, employees: Iterable[EmployeeResult],
                      summary: Mapping[str, Any]) -> list[Difference]:
    """``results/departments.csv`` is, row for row, the one the recomputed month gives."""
    rel = f"{RESULTS}/{DEPARTMENTS_CSV}"
    path = run_dir / rel
    if not path.is_file():
        return [difference("missing_file", rel, "every run writes its departments")]
    try:
        header, found = cells.read_csv(path)
    except (OSError, ValueError, csv.Error) as exc:
        return [difference("unreadable", rel, f"cannot read: {exc}")]
    if tuple(header) != COLUMNS:
        return [difference("departments", rel, "columns differ", expected=",".join(COLUMNS),
                           found=",".join(header))]
    want = month_rows(employees, summary)
    got = {row.get("department", ""): row for row in found}
    out = []
    for row in want:
        seen = got.pop(row["department"], None)
        if seen != row:
            out.append(difference("departments", rel, f"department {row['department']} "
                                  "differs from the recomputed month",
                                  expected=",".join(row.values()),
                                  found=",".join(seen.values()) if seen else ""))
    out += [difference("departments", rel, f"department {name} is not in the recomputed month")
            for name in sorted(got)]
    if len({row.get("department", "") for row in found}) != len(found):
        out.append(difference("departments", rel, "a department is listed twice"))
    return out
