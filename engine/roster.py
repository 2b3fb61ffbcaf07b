"""The roster: who is paid and what they earn, read from CSV or XLSX.

Input edge of the compute stage. ``userid`` and ``monthly_salary`` are required columns;
every other column is kept as text and offered to the rules. A bad row does not stop the
load: it becomes a problem naming file, line and field, and the employee is kept with
``monthly_salary=None`` so the compute stage can mark them ``status=error``.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import RosterError
from engine.money import to_decimal
from engine.problems import Problem, error

REQUIRED = ("userid", "monthly_salary")


class Employee(BaseModel):
    model_config = ConfigDict(frozen=True)

    userid: str
    monthly_salary: Decimal | None
    columns: dict[str, str] = Field(default_factory=dict)
    line: int = 0


class Roster(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str = ""
    columns: tuple[str, ...] = ()
    employees: tuple[Employee, ...] = ()

    def userids(self) -> list[str]:
        return [e.userid for e in self.employees]

    def by_userid(self) -> dict[str, Employee]:
        return {e.userid: e for e in self.employees}


def _rows_from_csv(data: bytes, source: str) -> list[dict[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=source) from exc
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows_from_xlsx(path: Path) -> list[dict[str, str]]:
    from openpyxl import load_workbook  # only when an XLSX roster is given

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).active
    except Exception as exc:  # openpyxl raises many unrelated types
        raise RosterError(f"cannot open workbook: {exc}", path=str(path)) from exc
    rows = sheet.iter_rows(values_only=True)
    header = [_cell_text(h).strip() for h in next(rows, ())]
    return [dict(zip(header, (_cell_text(c) for c in row))) for row in rows]


def read_rows(path: Path) -> list[dict[str, str]]:
    """Raw header-keyed rows of a roster file (CSV or XLSX)."""
    if not path.is_file():
        raise RosterError("roster file not found", path=str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _rows_from_xlsx(path)
    return _rows_from_csv(path.read_bytes(), str(path))


def _employee(row: dict[str, str], line: int, source: str) -> tuple[Employee, list[Problem]]:
    userid = (row.get("userid") or "").strip()
    columns = {k.strip(): (v or "").strip() for k, v in row.items() if k}
    raw = columns.get("monthly_salary", "")
    salary, problems = None, []
    where = {"userid": userid, "field": "monthly_salary", "source": f"{source}:{line}"}
    if not raw:
        problems.append(error("roster", "missing_salary", "no monthly_salary", **where))
    else:
        try:
            salary = to_decimal(raw)
        except ValueError as exc:
            problems.append(error("roster", "bad_salary", str(exc), **where))
        else:
            if salary < 0:
                problems.append(error("roster", "bad_salary", f"negative salary {raw}", **where))
                salary = None
    return Employee(userid=userid, monthly_salary=salary, columns=columns, line=line), problems


def parse_rows(rows: list[dict[str, str]], source: str) -> tuple[Roster, list[Problem]]:
    """Rows → roster; pure, so tests and the simulator can feed rows directly."""
    header = tuple(rows[0].keys()) if rows else ()
    missing = [c for c in REQUIRED if c not in header]
    if rows and missing:
        raise RosterError(f"missing required column(s): {', '.join(missing)}", path=source, line=1)
    employees: list[Employee] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        employee, found = _employee(row, line, source)
        if not employee.userid:
            problems.append(error("roster", "missing_userid", "row without userid",
                                  field="userid", source=f"{source}:{line}"))
            continue
        if employee.userid in seen:
            problems.append(error("roster", "duplicate_userid",
                                  f"duplicate of line {seen[employee.userid]}; row ignored",
                                  userid=employee.userid, source=f"{source}:{line}"))
            continue
        seen[employee.userid] = line
        employees.append(employee)
        problems.extend(found)
    return Roster(source=source, columns=header, employees=tuple(employees)), problems


def load_roster(path: Path) -> tuple[Roster, list[Problem]]:
    return parse_rows(read_rows(path), str(path))
