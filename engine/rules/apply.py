"""Stage 2, compute: a compiled pack applied to the month's records and the roster.

Pure: ``compute(pack, period, roster, records, leave_types)`` returns the
``PayrollResult`` and the problems; no I/O, no clock. Per employee: roster values and
record inputs go into one environment, variables are evaluated, then the rules in their
order, each line rounded on its own (intermediate values stay unrounded) so the printed
lines add up to the printed totals. A failing rule marks only that employee
``status=error`` with the rule code, the variable and the reason. Result models are
built without validation (``build``): every value here is produced by the engine itself
from validated inputs, and validation per line would dominate the run time.
"""

from __future__ import annotations

import decimal
import gc
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from engine.errors import EvaluationError, RulePackError
from engine.money import to_decimal
from engine.period import Period
from engine.problems import Problem, Severity
from engine.roster import Employee, Roster
from engine.rules.checks import ARITH_ERRORS, guard, run_checks, unmatched_leave
from engine.rules.inputs import Facts, Item, leave_index
from engine.rules.lines import (Category, EmployeeResult, LineItem, PayrollResult, Status,
                                Totals, Trace)
from engine.rules.pack import CompiledRule, Pack
from engine.rules.params import resolve_all, resolve_day
from engine.wecom.models import LeaveType, MonthRecord

STAGE = "compute"
_M = TypeVar("_M")
ZERO, ONE, ZERO_FEN = Decimal(0), Decimal(1), Decimal("0.00")
_CATEGORY = {c.value: c for c in Category}
_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6,
                           traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                  decimal.Overflow])


class RuleFailure(Exception):
    """One employee cannot be computed; carries what the problem must name."""

    def __init__(self, code: str, message: str, rule: str = "", field: str = "") -> None:
        super().__init__(message)
        self.code, self.rule, self.field = code, rule, field


class Plan:
    """Per-period constants of a pack: resolved parameters and the base environment."""

    def __init__(self, pack: Pack, period: Period) -> None:
        try:
            uses = resolve_all(pack.parameters, resolve_day(period, pack.header.params_at))
        except RulePackError as exc:
            raise RulePackError(exc.reason, path=pack.info.path) from exc
        self.pack = pack
        self.base: dict[str, object] = {n: u.value for n, u in uses.items()}
        self.base.update(calendar_days=Decimal(period.calendar_days),
                         work_days=Decimal(period.work_days),
                         holiday_days=Decimal(period.holidays))
        self.base.update({code: ZERO for code in pack.codes})
        self.params = {r.code: {n: uses[n] for n in r.trace_params} for r in pack.rules}
        self.base.update(earnings_so_far=ZERO, deductions_so_far=ZERO)
        self.roster = [(n, f"has_{n}", c.required, to_decimal(c.default))
                       for n, c in pack.roster.items()]
        self.perday = pack.header.leave_day == "perday_duration"


def _roster_values(plan: Plan, emp: Employee, env: dict[str, object]) -> None:
    for name, flag, required, default in plan.roster:
        if name == "monthly_salary":
            value, raw = emp.monthly_salary, emp.columns.get(name, "")
        else:
            raw = emp.columns.get(name, "").strip()
            value = None
            if raw:
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


def build(cls: type[_M], values: dict[str, object]) -> _M:
    """A frozen model from already-valid values, without validation.

    What ``model_construct`` does, minus its per-field default and alias handling (the
    caller passes every field), which made it the largest cost of a run. The test suite
    checks that the result equals a validated instance.
    """
    obj = cls.__new__(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


_set = object.__setattr__


def _money(rule: CompiledRule, env: dict[str, object], qty: Decimal, rate: Decimal,
           mult: Decimal) -> tuple[Decimal, Decimal, tuple[str, ...]]:
    f, notes = rule.fns, ()
    raw = guard(f["amount"](env)) if "amount" in f else qty * rate * mult
    if "floor" in f:
        low = guard(f["floor"](env))
        if raw < low:
            raw, notes = low, notes + (f"raised to floor {low}",)
    if "cap" in f:
        high = guard(f["cap"](env))
        if raw > high:
            raw, notes = high, notes + (f"capped at {high}",)
    return raw, rule.round_amount(raw), notes


def _line(rule: CompiledRule, env: dict[str, object], userid: str, item: Item | None,
          params: Mapping[str, dict]) -> tuple[LineItem | None, Decimal]:
    """One line, or ``None`` when the rule omits zero lines and this one is zero."""
    f = rule.fns
    if "quantity" in f:
        qty = guard(f["quantity"](env))
    elif item is not None:
        qty = item.hours if item.in_hours else item.days
    else:
        qty = ONE
    if rule.round_quantity is not None:
        qty = rule.round_quantity(qty)
    if not qty and item is None and rule.omit_zero and rule.zero_when_no_quantity:
        return None, ZERO  # the amount would be 0 × rate × multiplier
    rate = guard(f["rate"](env)) if "rate" in f else ZERO
    mult = guard(f["multiplier"](env)) if "multiplier" in f else ONE
    raw = amount = ZERO
    notes: tuple[str, ...] = ()
    if rule.money:
        raw, amount, notes = _money(rule, env, qty, rate, mult)
    if item is None and rule.omit_zero and not (amount if rule.money else qty):
        return None, ZERO
    if item is not None:
        notes = (f"item {item.name} (vacation_id {item.id})",) + notes
    unit = rule.unit or ("" if item is None else "h" if item.in_hours else "day")
    trace = build(Trace, {
        "rule": rule.code, "formula": rule.formula_text,
        "inputs": {n: env[n] for n in rule.trace_inputs}, "parameters": params[rule.code],
        "unrounded": raw, "rounding": rule.rounding_text if rule.money else "", "notes": notes})
    line = build(LineItem, {
        "userid": userid, "code": rule.code, "category": _CATEGORY[rule.category],
        "label": rule.label, "label_en": rule.label_en, "quantity": qty, "unit": unit,
        "rate": rate, "multiplier": mult,
        "amount": -amount if rule.category == "deduction" else amount,
        "item": item.name if item is not None else "", "trace": trace})
    return line, (amount if rule.money else qty)


def _apply_rule(rule: CompiledRule, env: dict[str, object], facts: Facts, userid: str,
                params: Mapping[str, dict]) -> tuple[list[LineItem], Decimal]:
    when = rule.fns.get("when")
    if rule.select is None:
        if when is not None and not when(env):
            return [], ZERO
        line, value = _line(rule, env, userid, None, params)
        return ([line], value) if line is not None else ([], ZERO)
    lines, total = [], ZERO
    for item in facts.items():
        if not rule.select(item):
            continue
        env.update(item.variables())
        for name, table in rule.item_values.items():
            formula = table.get(item.name) or table.get(str(item.id)) or table.get("default")
            if formula is None:
                raise EvaluationError(f"item_values.{name} has no entry for {item.name!r} "
                                      "and no 'default'")
            env[name] = guard(formula(env))
        if when is not None and not when(env):
            continue
        line, value = _line(rule, env, userid, item, params)
        lines.append(line)
        total += value
    return lines, total


def _rules(plan: Plan, env: dict[str, object], facts: Facts, userid: str) -> list[LineItem]:
    pack = plan.pack
    lines: list[LineItem] = []
    earned = deducted = ZERO
    params = plan.params
    for rule in pack.rules:
        if rule.gate is not None and not env[rule.gate]:
            env[rule.code] = ZERO
            continue
        try:
            produced, value = _apply_rule(rule, env, facts, userid, params)
        except ARITH_ERRORS as exc:
            raise RuleFailure("rule_failed", f"rule {rule.code}: {_reason(exc)}",
                              rule=rule.code, field=_field(exc)) from exc
        env[rule.code] = value
        if produced and rule.money:
            for line in produced:
                if line.category is Category.EARNING:
                    earned += line.amount
                else:
                    deducted -= line.amount
            env["earnings_so_far"], env["deductions_so_far"] = earned, deducted
        lines.extend(produced)
    return lines


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


def _totals(lines: list[LineItem]) -> Totals:
    # money totals start at 0.00 so an employee without deductions prints "0.00"
    earnings = sum((x.amount for x in lines if x.category is Category.EARNING), ZERO_FEN)
    deductions = sum((x.amount for x in lines if x.category is Category.DEDUCTION), ZERO_FEN)
    comp = sum((x.quantity for x in lines if x.category is Category.TIME_BANK), ZERO)
    return build(Totals, {"earnings": earnings, "deductions": deductions,
                          "net": earnings + deductions, "comp_hours": comp})


def _employee(plan: Plan, emp: Employee, record: MonthRecord,
              leaves: Mapping[int, LeaveType]) -> EmployeeResult:
    pack = plan.pack
    name = record.base_info.name or emp.columns.get("name", "")
    env = dict(plan.base)
    facts = Facts(record, leaves, plan.perday, pack.header.overtime_split)
    try:
        _roster_values(plan, emp, env)
        for var, extract in pack.inputs:
            env[var] = extract(facts)
        for var, formula in pack.variables:
            try:
                env[var] = guard(formula(env))
            except ARITH_ERRORS as exc:
                raise RuleFailure("rule_failed", f"variable {var}: {_reason(exc)}",
                                  field=_field(exc) or var) from exc
        lines = _rules(plan, env, facts, emp.userid)
    except RuleFailure as fail:
        problem = Problem(severity=Severity.ERROR, stage=STAGE, code=fail.code,
                          message=str(fail), userid=emp.userid, rule=fail.rule, field=fail.field)
        return build(EmployeeResult, {
            "userid": emp.userid, "name": name, "status": Status.ERROR, "lines": (),
            "totals": Totals(), "problems": (problem,), "record": record,
            "roster": emp.columns})
    totals = _totals(lines)
    env.update(total_earnings=totals.earnings, total_deductions=-totals.deductions,
               net_pay=totals.net, comp_hours=totals.comp_hours)
    problems = run_checks(pack.checks, env, emp.userid)
    problems += unmatched_leave(facts.items(), pack.rules, emp.userid)
    return build(EmployeeResult, {
        "userid": emp.userid, "name": name, "status": Status.OK, "lines": tuple(lines),
        "totals": totals, "problems": tuple(problems), "record": record, "roster": emp.columns})


def _missing(emp: Employee) -> EmployeeResult:
    problem = Problem(severity=Severity.ERROR, stage=STAGE, code="no_record",
                      message="WeCom returned no attendance record for this month",
                      userid=emp.userid, field="record")
    return build(EmployeeResult, {
        "userid": emp.userid, "name": emp.columns.get("name", ""), "status": Status.MISSING,
        "lines": (), "totals": Totals(), "problems": (problem,), "record": None,
        "roster": emp.columns})


def compute(pack: Pack, period: Period, roster: Roster, records: Mapping[str, MonthRecord],
            leave_types: Sequence[LeaveType]) -> tuple[PayrollResult, list[Problem]]:
    """One result per roster employee, in roster order, and every problem found.

    Raises ``RulePackError`` only when a parameter has no value for the period (a pack
    problem that concerns every employee alike).
    """
    plan = Plan(pack, period)
    leaves = leave_index(leave_types)
    results: list[EmployeeResult] = []
    collecting = gc.isenabled()
    # The results hold no reference cycles, so the cyclic collector finds nothing to free,
    # yet its passes over the growing result set cost about a third of the run time.
    gc.disable()
    try:
        with decimal.localcontext(_CONTEXT):
            for emp in roster.employees:
                record = records.get(emp.userid)
                results.append(_missing(emp) if record is None
                               else _employee(plan, emp, record, leaves))
    finally:
        if collecting:
            gc.enable()
    problems = [p for r in results for p in r.problems]
    result = PayrollResult(month=period.month, pack=pack.info, employees=tuple(results),
                           meta={"params_at": resolve_day(period, pack.header.params_at)
                                 .isoformat()})
    return result, problems
