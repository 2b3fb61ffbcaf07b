"""Stage 2, compute: a compiled pack specialised for one pay period.

Built once per ``compute`` call from the ``Pack`` (``engine.rules.compiled``) and run for
every employee by ``engine.rules.apply``. Parameters and calendar counts are fixed for a
period, so they are resolved once and folded into the formulas as constants; each rule
becomes one closure (``engine.rules.closures``). The closures give the same values, in
the same decimal context, as evaluating the pack's formulas one by one.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal

from engine.errors import RulePackError
from engine.money import to_decimal
from engine.period import DayKind, Period
from engine.rules.absent import absent_checker
from engine.rules.checks import guard
from engine.rules.closures import CONTEXT, ZERO, Env, rule_step
from engine.rules.compiled import CompiledCheck, Pack
from engine.rules.formula import specialise
from engine.rules.inputs import reader, zeros
from engine.rules.params import resolve_all, resolve_day, resolve_tables

ITEMS = object()  # the gate of a per-item rule: the record has sp_items


class Program:
    """A pack for one period: base environment, variables, rule steps and checks."""

    def __init__(self, pack: Pack, period: Period) -> None:
        day = resolve_day(period, pack.header.params_at)
        try:
            uses = resolve_all(pack.parameters, day)
        except RulePackError as exc:
            raise RulePackError(exc.reason, path=pack.info.path) from exc
        fixed: dict[str, object] = {n: u.value for n, u in uses.items()}
        fixed.update(resolve_tables(pack.parameters, day))
        kinds = period.day_kinds()
        fixed.update(calendar_days=Decimal(period.calendar_days),
                     work_days=Decimal(period.work_days), holiday_days=Decimal(period.holidays),
                     rest_days=Decimal(period.calendar_days - period.work_days - period.holidays),
                     month_number=Decimal(period.first_day.month))
        self.period = period
        # 1 for a working day (shifted working weekends included), by day of the month
        self.workday_flags = tuple(int(k is DayKind.WORK) for k in kinds.values())
        self.pack = pack
        self.base: Env = dict(fixed)
        self.base.update({code: ZERO for code in pack.codes})
        self.base.update(earnings_so_far=ZERO, deductions_so_far=ZERO, gross_so_far=ZERO,
                         withholdings_so_far=ZERO)
        self.base.update({name: ZERO for rule in pack.rules for name, _ in rule.steps})
        self.base.update(zeros(pack.inputs))
        self.roster = [(n, f"has_{n}", c.required, to_decimal(c.default),
                        {k.strip().casefold(): to_decimal(v) for k, v in c.choices.items()})
                       for n, c in pack.roster.items() if c.values is None]
        self.categories = [(n, c.values, str(c.default) if c.default != "0" else "")
                           for n, c in pack.roster.items() if c.values is not None]
        self.base.update({f"{n}.{v}": ZERO for n, values, _ in self.categories for v in values})
        self.base.update({name: ZERO for key in pack.ledger for name in key.names})
        self.ledger = tuple((k.key, {part: specialise(f, fixed, CONTEXT)
                                     for part, f in k.formulas.items()}) for k in pack.ledger)
        self.expire_months = {k.key: _months(k, fixed) for k in pack.ledger
                              if k.expire_months is not None}
        self.perday = pack.header.leave_day == "perday_duration"
        self.policy = pack.header.overtime_split
        self.read_inputs = reader(pack.inputs)
        self.variables = tuple((v, specialise(f, fixed, CONTEXT)) for v, f in pack.variables)
        self.steps = tuple((r.code, ITEMS if r.select is not None else r.gate,
                            rule_step(r, fixed, {n: uses[n] for n in r.trace_params}))
                           for r in pack.rules)
        self.checks = tuple(_check(c, fixed) for c in pack.checks)
        self.absent = absent_checker(pack)
        self.any_check = _any(tuple(c.when.fn for c in self.checks))


def ledger_expiry(pack: Pack, period: Period) -> dict[str, int]:
    """Months until comp time expires, per comp-time key, for ``period`` (the ledger
    opens the month with them before compute runs)."""
    keys = [k for k in pack.ledger if k.expire_months is not None]
    if not keys:
        return {}
    uses = resolve_all(pack.parameters, resolve_day(period, pack.header.params_at))
    fixed = {n: u.value for n, u in uses.items()}
    return {k.key: _months(k, fixed) for k in keys}


def _months(key, fixed: Mapping[str, object]) -> int:
    """A comp-time key's months until expiry for this period (a whole number ≥ 0)."""
    with decimal.localcontext(CONTEXT):
        value = guard(specialise(key.expire_months, fixed, CONTEXT)({}))
    if value < 0 or value != value.to_integral_value():
        raise RulePackError(f"ledger.{key.key}.expire_months must be a whole number of months "
                            f">= 0, got {value}", path=str(key.where.doc.path))
    return int(value)


def _any(fns: tuple[Callable[[Env], object], ...]) -> Callable[[Env], bool]:
    """Whether some check fires or cannot be evaluated (then ``run_checks`` reports it)."""
    def fires(env: Env) -> bool:
        try:
            for fn in fns:
                if fn(env):
                    return True
        except Exception:  # noqa: BLE001 - run_checks reports the failure as a problem
            return True
        return False
    return fires


def _check(check: CompiledCheck, fixed: Mapping[str, object]) -> CompiledCheck:
    when = replace(check.when, fn=specialise(check.when, fixed, CONTEXT))
    return replace(check, when=when)
