"""Checks of a rule pack and the engine's own sanity checks, as problems.

Runs in ``engine.rules.apply`` after an employee's lines are computed. Pack checks are
formulas with a severity (e.g. statutory-holiday overtime taken as comp time is an
error: it must be paid at 300%); each true check becomes a problem whose message shows
the values it looked at, so the payroll team can act without opening the pack. The
engine adds one check of its own: a leave item no per-item rule handles is a warning,
because it would otherwise vanish from the payslip silently.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from decimal import Decimal

from engine.errors import EvaluationError
from engine.problems import Problem, Severity
from engine.rules.inputs import Item
from engine.rules.pack import CompiledCheck, CompiledRule

STAGE = "compute"


def _show(value: object) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral() else str(value)
        return text if len(text) < 24 else f"{value:.6f}…"
    return str(value)


def run_checks(checks: Iterable[CompiledCheck], env: Mapping[str, object],
               userid: str) -> list[Problem]:
    """Evaluate every check against a finished employee environment."""
    problems = []
    for check in checks:
        try:
            hit = check.when(env)
        except (EvaluationError, ArithmeticError, TypeError) as exc:
            problems.append(Problem(severity=Severity.ERROR, stage=STAGE, code="check_failed",
                                    message=f"check {check.code} could not be evaluated: {exc}",
                                    userid=userid, rule=check.code))
            continue
        if not hit:
            continue
        values = ", ".join(f"{n} = {_show(env[n])}" for n in sorted(check.when.names))
        ref = f" [{check.reference}]" if check.reference else ""
        problems.append(Problem(severity=Severity(check.severity), stage=STAGE, code=check.code,
                                message=f"{check.message} ({values}){ref}", userid=userid,
                                rule=check.code, field=",".join(sorted(check.when.names))))
    return problems


def unmatched_leave(items: Iterable[Item], rules: Iterable[CompiledRule],
                    userid: str) -> list[Problem]:
    """Leave items (sp type 1) that no per-item rule selected."""
    selectors = [r.select for r in rules if r.select is not None]
    problems = []
    for item in items:
        if item.type != 1 or any(sel(item) for sel in selectors):
            continue
        problems.append(Problem(
            severity=Severity.WARNING, stage=STAGE, code="unmatched_leave",
            message=(f"leave {item.name!r} (vacation_id {item.id}, count {item.count}, "
                     f"{item.seconds} s) is handled by no rule of the pack"),
            userid=userid, field="sp_items"))
    return problems


def guard(value: object) -> Decimal:
    """Formula results used as numbers: booleans count as 0/1, anything else is an error."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise EvaluationError(f"result is not a finite number: {value}")
        return value
    if isinstance(value, bool | int):
        return Decimal(int(value))
    raise EvaluationError(f"result is not a number: {value!r}")


ARITH_ERRORS = (EvaluationError, ArithmeticError, decimal.InvalidOperation, TypeError)
