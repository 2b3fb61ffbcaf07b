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
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from engine.errors import EvaluationError
from engine.problems import Audience, Problem, Severity
from engine.rules.compiled import CompiledCheck, CompiledRule
from engine.rules.inputs import Item
from engine.wecom.models import MonthRecord

STAGE = "compute"


def _show(value: object) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value == value.to_integral() else str(value)
        return text if len(text) < 24 else f"{value:.6f}…"
    return str(value)


def _problem(severity: Severity, code: str, message: str, userid: str, rule: str,
             field: str | None, audience: Audience = Audience.HR) -> Problem:
    # every value is a str or a Severity made here: validation would only repeat that
    obj = _new(Problem)
    _set(obj, "__dict__", {"severity": severity, "stage": STAGE, "code": code,
                           "message": message, "userid": userid, "rule": rule,
                           "field": field or "", "source": "", "audience": audience})
    given = set(_GIVEN if field is None else _GIVEN_FIELD)
    if audience is not Audience.HR:
        given.add("audience")
    _set(obj, "__pydantic_fields_set__", given)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


make_problem = _problem  # for the other compute checks (engine.rules.absent)
_new, _set = object.__new__, object.__setattr__
_GIVEN = ("severity", "stage", "code", "message", "userid", "rule")
_GIVEN_FIELD = (*_GIVEN, "field")
_SEVERITY = {s.value: s for s in Severity}


def run_checks(checks: Iterable[CompiledCheck], env: Mapping[str, object],
               userid: str) -> list[Problem]:
    """Evaluate every check against a finished employee environment."""
    problems = []
    for check in checks:
        try:
            hit = check.when(env)
        except (EvaluationError, ArithmeticError, TypeError) as exc:
            problems.append(_problem(Severity.ERROR, "check_failed",
                                     f"check {check.code} could not be evaluated: {exc}",
                                     userid, check.code, None))
            continue
        if not hit:
            continue
        names = sorted(check.when.names)
        message = _fill(check.message, env, check.when.names)
        if check.audience == "employee":
            audience = Audience.EMPLOYEE  # a plain note: no names, values or references
        else:
            audience = Audience.HR
            values = ", ".join(f"{n} = {_show(env[n])}" for n in names)
            ref = f" [{check.reference}]" if check.reference else ""
            message = f"{message} ({values}){ref}"
        problems.append(_problem(_SEVERITY[check.severity], check.code, message, userid,
                                 check.code, ",".join(names), audience))
    return problems


_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


def _fill(message: str, env: Mapping[str, object], names: frozenset[str]) -> str:
    """``{name}`` in a check's message replaced by the value of a name its formula reads
    (plain text substitution, no format mini-language)."""
    if "{" not in message:
        return message
    return _PLACEHOLDER.sub(
        lambda m: _show(env[m.group(1)]) if m.group(1) in names else m.group(0), message)


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


_SECTIONS = ("summary_info", "overwork_info")
_LISTS = (("exception_infos", ("count", "duration")), ("sp_items", ("count", "duration")))


def negative_values(record: MonthRecord, userid: str) -> list[Problem]:
    """Seconds and counts below zero in WeCom's answer: errors naming the field.

    No duration or count can be negative; a negative one would silently lower overtime pay
    or raise it through a deduction's sign, so the employee is stopped. (A value that is
    not a whole number never gets here: loading the snapshot refuses the record and names
    the field.)
    """
    bad: list[tuple[str, int]] = []
    for section in _SECTIONS:
        values = getattr(record, section).__dict__
        bad += [(f"{section}.{k}", v) for k, v in values.items()
                if type(v) is int and v < 0]
    for name, fields in _LISTS:
        for n, entry in enumerate(getattr(record, name)):
            values = entry.__dict__
            bad += [(f"{name}[{n}].{k}", values[k]) for k in fields if values[k] < 0]
    return [_problem(Severity.ERROR, "negative_value",
                     f"WeCom answered {field} = {value}: seconds and counts cannot be "
                     "negative; correct the attendance record in WeCom and fetch again",
                     userid, "", field) for field, value in bad]


def has_negative(record: MonthRecord) -> bool:
    """Cheap test before ``negative_values``: almost every record has none."""
    for values in (record.summary_info.__dict__.values(), record.overwork_info.__dict__.values()):
        try:
            if min(values) < 0:
                return True
        except TypeError:  # an unknown extra field that is not a number: look field by field
            if any(type(v) is int and v < 0 for v in values):
                return True
    for e in record.exception_infos:
        if e.count < 0 or e.duration < 0:
            return True
    for e in record.sp_items:
        if e.count < 0 or e.duration < 0:
            return True
    return False
