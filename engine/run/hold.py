"""Who is paid: an error that names an employee holds their payslip.

Applied by the pipeline twice, after compute (roster, snapshot and rule problems) and after
the payslip stage (a payslip that could not be made or delivered: a missing delivery
password, a character no font has, a template failure), and by ``payroll verify`` the same
way, so both agree on every employee's status. Pure: results and problems in, results out.

An employee is *paid* when their status is ``ok``: they get a payslip and count in the
totals. ``error`` and ``missing`` employees are *unpaid*: no payslip is issued (none is
written, so nothing can be delivered by mistake), they are counted apart in
``summary.json`` (``unpaid``), the finance summary and ``employees.csv`` (``paid`` false),
and the run exits 1 unless ``--allow-errors``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from engine.problems import Problem, Severity
from engine.rules.lines import EmployeeResult, PayrollResult, Status
from engine.rules.packed import remap

PAYSLIP_STAGE = "payslip"


def is_paid(employee: EmployeeResult) -> bool:
    return employee.status is Status.OK


def _errors_by_user(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.severity is Severity.ERROR and problem.userid:
            found.setdefault(problem.userid, []).append(problem)
    return found


def _held(employee: EmployeeResult, errors: Sequence[Problem]) -> EmployeeResult:
    own = [p for p in employee.problems if p.severity is Severity.ERROR]
    if employee.status is not Status.OK or not (errors or own):
        return employee
    extra = tuple(p for p in errors if p not in employee.problems)
    return employee.model_copy(update={"status": Status.ERROR,
                                       "problems": (*employee.problems, *extra)})


def hold_errors(result: PayrollResult, problems: Iterable[Problem]) -> PayrollResult:
    """``result`` with every ``ok`` employee named by an error (in ``problems`` or their
    own) turned to ``error``, the blocking problems added to theirs."""
    errors = _errors_by_user(problems)

    def held(emp: EmployeeResult) -> EmployeeResult:
        return _held(emp, errors.get(emp.userid, ()))

    # a first pass only looks: most months hold nobody, and the result is kept as it is
    if all(held(e) is e for e in result.employees):
        return result
    return result.model_copy(update={"employees": remap(result.employees, held)})


def payslip_errors(rows: Iterable[dict[str, str]]) -> list[Problem]:
    """The payslip stage's errors as listed in ``results/problems.csv`` (verify cannot
    re-render a payslip, so it takes them from the run's own problem list)."""
    return [Problem.model_validate(row) for row in rows
            if row.get("stage") == PAYSLIP_STAGE and row.get("severity") == Severity.ERROR.value]
