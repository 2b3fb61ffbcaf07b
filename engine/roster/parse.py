"""From a roster table to the :class:`Roster`: headers, userids, amounts, every error at once.

Second step of the roster edge, after :mod:`engine.roster.read`. Pure: ``parse_rows`` takes
header-keyed rows (tests, pack cases and the simulator feed it directly) and returns the
roster and its problems. ``userid`` and ``monthly_salary`` are required columns; every
other column is kept as text and offered to the rules, amount columns (``amounts``: the
pack's declared roster columns) rewritten to plain decimal text once parsed.

Two kinds of problem: a row the engine cannot read (no userid, a duplicate userid, an
amount that is not an amount, a negative amount, cells beyond the header) is *invalid*:
:func:`engine.roster.load.load_roster` refuses the whole roster and lists every one of
them, so the file is fixed once. An *empty* ``monthly_salary`` is not invalid: the
employee is kept with ``monthly_salary=None`` and the pack decides: cn-default marks a
salaried employee without one ``status=error`` (no payslip), hourly staff need none.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from engine.problems import Problem, error
from engine.roster.amounts import AmountError, canonical, parse_amount
from engine.roster.model import Employee, Roster

REQUIRED = ("userid", "monthly_salary")
AMOUNTS = ("monthly_salary", "hourly_rate")  # read as amounts when the pack names none
INVALID = frozenset({"missing_userid", "duplicate_userid", "bad_salary", "bad_amount",
                     "extra_cells"})


def userid_key(userid: str) -> str:
    """Two userids with the same key would collide as payslip file names on a
    case-insensitive disk (Windows, macOS): the roster refuses them."""
    return unicodedata.normalize("NFC", userid).casefold()


def _where(source: str, line: int, column: str, header: str) -> str:
    named = column if header in ("", column) else f"{column} ({header})"
    return f"{source}:{line} column {named}"


def _amount(columns: dict[str, str], column: str, *, userid: str, source: str, line: int,
            header: str) -> tuple[Decimal | None, list[Problem]]:
    raw = columns.get(column, "")
    if not raw:
        return None, []
    code = "bad_salary" if column == "monthly_salary" else "bad_amount"
    at = {"userid": userid, "field": column, "source": f"{source}:{line}"}
    try:
        value = parse_amount(raw)
    except AmountError as exc:
        return None, [error("roster", code, f"{_where(source, line, column, header)}: "
                            f"{raw!r} is not an amount: {exc.reason}", **at)]
    if value < 0:
        return None, [error("roster", code, f"{_where(source, line, column, header)}: "
                            f"{raw!r} is negative", **at)]
    columns[column] = canonical(value)
    return value, []


def _employee(row: Mapping[str, str], line: int, source: str, amounts: Sequence[str],
              headers: Mapping[str, str]) -> tuple[Employee, list[Problem]]:
    columns = {k.strip(): (v or "").strip() for k, v in row.items() if k}
    userid = columns.get("userid", "")
    problems: list[Problem] = []
    values: dict[str, Decimal | None] = {}
    for column in dict.fromkeys(("monthly_salary", *amounts)):
        values[column], found = _amount(columns, column, userid=userid, source=source,
                                        line=line, header=headers.get(column, ""))
        problems += found
    salary = values["monthly_salary"]
    return Employee(userid=userid, monthly_salary=salary, columns=columns, line=line), problems


def _duplicate(userid: str, line: int, first: tuple[str, int], source: str) -> Problem:
    other, other_line = first
    how = "repeats" if other == userid else f"differs only in case from {other!r} on"
    return error("roster", "duplicate_userid",
                 f"{source}:{line} column userid: {userid!r} {how} line {other_line}"
                 + ("" if other == userid else " (payslip file names would collide on a "
                    "case-insensitive disk)"),
                 userid=userid, field="userid", source=f"{source}:{line}")


def parse_rows(rows: Iterable[Mapping[str, str]], source: str, *,
               lines: Sequence[int] | None = None, amounts: Sequence[str] = AMOUNTS,
               headers: Mapping[str, str] | None = None) -> tuple[Roster, list[Problem]]:
    """Rows → roster and problems; pure. ``lines`` are the rows' line numbers in the file
    (default: 2, 3, … after one header line); ``headers`` the header each column had."""
    rows = list(rows)
    lines = list(lines) if lines is not None else list(range(2, len(rows) + 2))
    headers = dict(headers or {})
    header = tuple(rows[0].keys()) if rows else ()
    employees: list[Employee] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    for line, row in zip(lines, rows):
        employee, found = _employee(row, line, source, amounts, headers)
        problems += found
        if not employee.userid:
            problems.append(error("roster", "missing_userid",
                                  f"{source}:{line} column userid: the row has no userid",
                                  field="userid", source=f"{source}:{line}"))
            continue
        key = userid_key(employee.userid)
        if key in seen:
            problems.append(_duplicate(employee.userid, line, seen[key], source))
            continue
        seen[key] = (employee.userid, line)
        employees.append(employee)
    return Roster(source=source, columns=header, employees=tuple(employees),
                  headers=headers), problems


def invalid(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that make a roster unusable as a whole (see the module docstring)."""
    return [p for p in problems if p.code in INVALID]
