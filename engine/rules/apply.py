"""Stage 2, compute: a compiled pack applied to the month's records and the roster.

Pure: ``compute(pack, period, roster, records, leave_types)`` returns the
``PayrollResult`` and the problems; no I/O, no clock. Per employee: roster values and
record inputs go into one environment, variables are evaluated, then the rules in their
order, each line rounded on its own (intermediate values stay unrounded) so the printed
lines add up to the printed totals. A failing rule marks only that employee
``status=error`` with the rule code, the variable and the reason. The pack is first
specialised for the period (``engine.rules.program``). Result models are built without
validation (``build``): every value here is produced by the engine itself from validated
inputs, and validation per line would dominate the run time.
"""

from __future__ import annotations

import decimal
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal

from engine.money import to_decimal
from engine.period import Period
from engine.problems import Problem, Severity
from engine.roster import Employee, Roster
from engine.rules.checks import (ARITH_ERRORS, guard, has_negative, negative_values, run_checks,
                                 unmatched_leave)
from engine.rules.closures import CONTEXT, ZERO, Sheet, build, build_all
from engine.rules.compiled import Pack
from engine.rules.inputs import Facts, leave_index
from engine.rules.lines import EmployeeResult, PayrollResult, Status, Totals
from engine.rules.params import resolve_day
from engine.rules.program import ITEMS, Program
from engine.wecom.models import LeaveType, MonthRecord

STAGE = "compute"
ONE = Decimal(1)
__all__ = ["RuleFailure", "build", "compute"]


class RuleFailure(Exception):
    """One employee cannot be computed; carries what the problem must name."""

    def __init__(self, code: str, message: str, rule: str = "", field: str = "") -> None:
        super().__init__(message)
        self.code, self.rule, self.field = code, rule, field


def _roster_values(prog: Program, emp: Employee, env: dict[str, object]) -> None:
    for name, flag, required, default, choices in prog.roster:
        if name == "monthly_salary":
            value, raw = emp.monthly_salary, emp.columns.get(name, "")
        else:
            raw = emp.columns.get(name, "").strip()
            value = None
            if raw and choices:
                value = _choice(name, raw, choices)
            elif raw:
                try:
                    value = to_decimal(raw)
                except ValueError as exc:
                    raise RuleFailure("bad_roster_value", f"roster column {name}: {exc}",
                                      field=name) from exc
        if value is None and required:
            code = "missing_salary" if name == "monthly_salary" else "missing_roster_value"
            why = "not a valid amount" if raw else "empty"
            raise RuleFailure(code, f"roster column {name} is {why}", field=name)
        env[name] = default if value is None else value
        env[flag] = ZERO if value is None else ONE


def _choice(name: str, raw: str, choices: Mapping[str, Decimal]) -> Decimal:
    found = choices.get(raw.casefold())
    if found is None:
        known = ", ".join(sorted(choices))
        raise RuleFailure("bad_roster_value", f"roster column {name}: {raw!r} is not one of "
                          f"the pack's values ({known})", field=name)
    return found


def _categories(prog: Program, emp: Employee, env: dict[str, object]) -> None:
    """``C.VALUE`` flags of categorical columns; an employee the pack cannot classify
    (a value outside the list, or a column the kind needs left empty) cannot be paid."""
    for name, values, default in prog.categories:
        value = emp.columns.get(name, "").strip() or default
        if value not in values:
            shown = f"{value!r}" if value else "empty"
            raise RuleFailure("unclassified", f"roster column {name} is {shown}: the pack "
                              f"pays only {', '.join(values)}", field=name)
        for needed in values[value]:
            if not emp.columns.get(needed, "").strip():
                code = "missing_salary" if needed == "monthly_salary" else "missing_roster_value"
                raise RuleFailure(code, f"roster column {needed} is empty (a {value} employee "
                                  f"needs it: {name} = {value})", field=needed)
        env[f"{name}.{value}"] = ONE


def _date(emp: Employee, name: str) -> date | None:
    raw = emp.columns.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.replace("/", "-"))
    except ValueError as exc:
        raise RuleFailure("bad_roster_value", f"roster column {name}: {raw!r} is not a date "
                          "(YYYY-MM-DD)", field=name) from exc


def _employment(prog: Program, emp: Employee, env: dict[str, object]) -> None:
    """Days and workdays employed in the month from ``hire_date``/``leave_date`` (both
    inclusive) and the statutory calendar (shifted working weekends count as workdays)."""
    period, hire, leave = prog.period, _date(emp, "hire_date"), _date(emp, "leave_date")
    if hire and leave and leave < hire:
        raise RuleFailure("bad_roster_value", f"leave_date {leave} is before hire_date {hire}",
                          field="leave_date")
    first = max(period.first_day, hire) if hire else period.first_day
    last = min(period.last_day, leave) if leave else period.last_day
    if last < first:
        which = "hire_date" if hire and hire > period.last_day else "leave_date"
        raise RuleFailure("not_employed", f"{which} {hire if which == 'hire_date' else leave} "
                          f"leaves no day of {period.month} employed", field=which)
    start, end = (first - period.first_day).days, (last - period.first_day).days
    env["days_employed"] = Decimal(end - start + 1)
    env["workdays_employed"] = Decimal(sum(prog.workday_flags[start:end + 1]))
    env["joined_in_month"] = ONE if first > period.first_day else ZERO
    env["left_in_month"] = ONE if last < period.last_day else ZERO
    env["full_month"] = ONE if first == period.first_day and last == period.last_day else ZERO


def _ledger(prog: Program, env: dict[str, object]) -> dict[str, Decimal]:
    """The month's ledger movements: ``KEY`` for a balance, ``KEY.banked`` … for comp time."""
    out: dict[str, Decimal] = {}
    for key, parts in prog.ledger:
        for part, fn in parts.items():
            try:
                value = guard(fn(env))
            except ARITH_ERRORS as exc:
                raise RuleFailure("rule_failed", f"ledger {key}.{part}: {_reason(exc)}",
                                  rule=key, field=_field(exc) or key) from exc
            out[key if part == "change" else f"{key}.{part}"] = value
    return out


def _variables(prog: Program, env: dict[str, object], facts: Facts) -> None:
    prog.read_inputs(facts, env)
    for var, formula in prog.variables:
        try:
            env[var] = guard(formula(env))
        except ARITH_ERRORS as exc:
            raise RuleFailure("rule_failed", f"variable {var}: {_reason(exc)}",
                              field=_field(exc) or var) from exc


def _rules(prog: Program, env: dict[str, object], facts: Facts, sheet: Sheet) -> None:
    code = ""
    has_items = bool(facts.record.sp_items)
    try:
        for code, gate, step in prog.steps:
            # a closed gate certainly means no line: the code keeps its base value 0
            if gate is None:
                step(env, facts, sheet)
            elif gate is ITEMS:
                if has_items:
                    step(env, facts, sheet)
            elif env[gate]:
                step(env, facts, sheet)
    except KeyError as exc:  # a name read directly, without the formula's own check
        raise RuleFailure("rule_failed", f"rule {code}: no value for {exc.args[0]!r}",
                          rule=code, field=str(exc.args[0])) from exc
    except ARITH_ERRORS as exc:
        raise RuleFailure("rule_failed", f"rule {code}: {_reason(exc)}",
                          rule=code, field=_field(exc)) from exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, decimal.DivisionByZero):
        return "division by zero"
    return str(exc) or type(exc).__name__


def _field(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("division by zero: "):
        return text.removeprefix("division by zero: ").split(" = ")[0]
    if text.startswith("no value for "):
        return text.removeprefix("no value for ").strip("'")
    return ""


def _failed(emp: Employee, name: str, record: MonthRecord, fail: RuleFailure) -> EmployeeResult:
    problem = Problem(severity=Severity.ERROR, stage=STAGE, code=fail.code, message=str(fail),
                      userid=emp.userid, rule=fail.rule, field=fail.field)
    return build(EmployeeResult, {
        "userid": emp.userid, "name": name, "status": Status.ERROR, "lines": (),
        "totals": Totals(), "problems": (problem,), "record": record, "roster": emp.columns,
        "ledger": {}, "balances": ()})


def _employee(prog: Program, emp: Employee, record: MonthRecord,
              leaves: Mapping[int, LeaveType],
              opening: Mapping[str, Decimal] | None) -> EmployeeResult:
    name = record.base_info.name or emp.columns.get("name", "")
    env = prog.base.copy()
    if opening:
        env.update(opening)
    facts = Facts(record, leaves, prog.perday, prog.policy)
    sheet = Sheet(emp.userid)
    try:
        _roster_values(prog, emp, env)
        _categories(prog, emp, env)
        _employment(prog, emp, env)
        _variables(prog, env, facts)
        _rules(prog, env, facts, sheet)
        earnings, deductions, comp = sheet.earnings, sheet.deductions, sheet.comp
        withholdings = sheet.withholdings
        gross = earnings + deductions  # 应发合计: attendance deductions reduce it
        net = gross + withholdings  # 实发: after social insurance, housing fund and tax
        env["total_earnings"], env["total_deductions"] = earnings, -deductions
        env["gross_pay"], env["total_withholdings"] = gross, -withholdings
        env["net_pay"], env["comp_hours"] = net, comp
        ledger = _ledger(prog, env) if prog.ledger else {}
    except RuleFailure as fail:
        return _failed(emp, name, record, fail)
    totals = build_all(Totals, {"earnings": earnings, "deductions": deductions, "net": net,
                                "comp_hours": comp, "gross": gross,
                                "withholdings": withholdings})
    problems = []
    if prog.checks:
        if prog.any_check(env):
            problems = run_checks(prog.checks, env, emp.userid)
    if record.sp_items:
        problems += unmatched_leave(facts.items(), prog.pack.rules, emp.userid)
    if has_negative(record):
        problems += negative_values(record, emp.userid)
    if prog.absent:
        problems += prog.absent(record, emp.userid)
    # an error (a pack check of severity error, a bad value) stops this employee's payslip;
    # the lines stay for HR to see what was computed
    status = Status.ERROR if any(p.severity is Severity.ERROR for p in problems) else Status.OK
    return build_all(EmployeeResult, {
        "userid": emp.userid, "name": name, "status": status, "lines": tuple(sheet.lines),
        "totals": totals, "problems": tuple(problems), "record": record, "roster": emp.columns,
        "ledger": ledger, "balances": ()})


def _missing(emp: Employee) -> EmployeeResult:
    problem = Problem(severity=Severity.ERROR, stage=STAGE, code="no_record",
                      message="WeCom returned no attendance record for this month",
                      userid=emp.userid, field="record")
    return build(EmployeeResult, {
        "userid": emp.userid, "name": emp.columns.get("name", ""), "status": Status.MISSING,
        "lines": (), "totals": Totals(), "problems": (problem,), "record": None,
        "roster": emp.columns, "ledger": {}, "balances": ()})


def compute(pack: Pack, period: Period, roster: Roster, records: Mapping[str, MonthRecord],
            leave_types: Sequence[LeaveType],
            opening: Mapping[str, Mapping[str, Decimal]] | None = None,
            collect: Callable[[Iterable[EmployeeResult]], Sequence[EmployeeResult]] = tuple,
            program: Program | None = None) -> tuple[PayrollResult, list[Problem]]:
    """One result per roster employee, in roster order, and every problem found.

    ``opening`` gives, per userid, the ledger names of the month (``ledger.KEY``,
    ``ytd.NAME``, ``expired.KEY``) as ``engine.ledger`` opened them; absent = all 0.
    ``collect`` keeps the employees as they are made (a tuple; the run packs them,
    :func:`engine.rules.packed.collect`, so a large month is never whole in memory).
    ``program`` is ``Program(pack, period)`` when already built (the streaming month
    computes one batch at a time: one program for all of them).

    Raises ``RulePackError`` only when a parameter has no value for the period (a pack
    problem that concerns every employee alike).
    """
    prog = program if program is not None else Program(pack, period)
    leaves = leave_index(leave_types)
    problems: list[Problem] = []

    def employees() -> Iterator[EmployeeResult]:
        for emp in roster.employees:
            record = records.get(emp.userid)
            result = (_missing(emp) if record is None
                      else _employee(prog, emp, record, leaves,
                                     opening.get(emp.userid) if opening else None))
            problems.extend(result.problems)
            yield result

    collecting = gc.isenabled()
    # The results hold no reference cycles, so the cyclic collector finds nothing to free,
    # yet its passes over the growing result set cost about a third of the run time.
    gc.disable()
    try:
        with decimal.localcontext(CONTEXT):
            results = collect(employees())
    finally:
        if collecting:
            gc.enable()
    result = build(PayrollResult, {
        "month": period.month, "pack": pack.info, "employees": results,
        "meta": {"params_at": resolve_day(period, pack.header.params_at).isoformat()}})
    return result, problems
