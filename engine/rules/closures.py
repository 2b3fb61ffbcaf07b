"""Stage 2, compute: one rule of a pack as one closure for a pay period.

``engine.rules.program`` builds a ``Program`` for the period and asks :func:`rule_step`
for each rule's step; ``engine.rules.apply`` runs the steps for every employee, writing
a :class:`Sheet` (lines and totals). A step knows at build time which of its rule's parts
exist (quantity, rate, multiplier, amount, floor, cap, per-item selection), so the
per-employee work is only the arithmetic and the result lines, in :data:`CONTEXT`. The
models are made with :func:`build_all` (no validation: the values are already valid).
"""

from __future__ import annotations

import ast
import decimal
from collections.abc import Callable, Mapping
from decimal import Decimal
from operator import itemgetter

from pydantic import BaseModel

from engine.errors import EvaluationError
from engine.rules.checks import guard
from engine.rules.compiled import CompiledRule
from engine.rules.formula import Formula, specialise
from engine.rules.inputs import Facts, Item
from engine.rules.lines import Category, EmployeeResult, LineItem, ParamUse, Totals, Trace

ZERO, ONE, ZERO_FEN = Decimal(0), Decimal(1), Decimal("0.00")
CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero,
                                 decimal.Overflow])
_CATEGORY = {c.value: c for c in Category}
_SLOTS = {name: BaseModel.__dict__[name].__set__ for name in (
    "__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")}
_SET_DICT, _SET_FIELDS = _SLOTS["__dict__"], _SLOTS["__pydantic_fields_set__"]
_SET_EXTRA, _SET_PRIVATE = _SLOTS["__pydantic_extra__"], _SLOTS["__pydantic_private__"]
_new = object.__new__
# One "fields set" per model class, shared by the instances ``build_all`` makes: pydantic
# only reads it (a copy is made before ``model_copy`` updates one); the models are frozen.
_ALL_FIELDS = {cls: set(cls.model_fields) for cls in (Trace, LineItem, Totals, EmployeeResult)}


def build_all(cls: type, values: dict[str, object]):
    """``build`` for the models made for every employee, which always get every field."""
    obj = _new(cls)
    _SET_DICT(obj, values)
    _SET_FIELDS(obj, _ALL_FIELDS[cls])
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


def build(cls: type, values: dict[str, object]):
    """A frozen model from already-valid values, without validation.

    What ``model_construct`` does, minus its per-field default and alias handling (the
    caller passes every field), which made it the largest cost of a run. The slots are
    written through their descriptors, the cheapest way Python offers. The test suite
    checks that the result equals a validated instance.
    """
    obj = _new(cls)
    _SET_DICT(obj, values)
    _SET_FIELDS(obj, set(values))
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


class Sheet:
    """One employee's lines and sums while the rules run."""

    __slots__ = ("userid", "lines", "earnings", "deductions", "withholdings", "comp")

    def __init__(self, userid: str) -> None:
        self.userid = userid
        self.lines: list[LineItem] = []
        # totals start at 0.00 so an employee without deductions prints "0.00"
        self.earnings = self.deductions = self.withholdings = ZERO_FEN
        self.comp = ZERO
NEGATIVE = ("deduction", "withholding")  # printed negative; their formulas give a positive amount
Env = dict[str, object]
Step = Callable[[Env, Facts, Sheet], None]


def _fn(formula: Formula | None, fixed: Mapping[str, object]):
    """``(closure, None)`` giving the guarded number, or ``(None, value)`` for a constant.

    A formula that is one name reads the environment directly: every value stored there
    is already a finite ``Decimal`` (roster values, inputs, guarded variables and lines).
    """
    if formula is None:
        return None, None
    fn = specialise(formula, fixed, CONTEXT)
    if not formula.names - fixed.keys():
        try:
            with decimal.localcontext(CONTEXT):
                return None, guard(fn({}))
        except Exception:  # noqa: BLE001 - left to fail per employee, with the rule named
            pass
    if isinstance(formula.tree, ast.Name):
        return itemgetter(formula.tree.id), None
    return (lambda env: guard(fn(env))), None


class _Parts:
    """A rule's formulas as closures (or constants) for one period."""

    def __init__(self, rule: CompiledRule, fixed: Mapping[str, object],
                 params: dict[str, ParamUse]) -> None:
        get = rule.formulas.get
        self.quantity, self.quantity_value = _fn(get("quantity"), fixed)
        self.rate, self.rate_value = _fn(get("rate"), fixed)
        self.mult, self.mult_value = _fn(get("multiplier"), fixed)
        if self.rate is None and self.rate_value is None:
            self.rate_value = ZERO
        if self.mult is None and self.mult_value is None:
            self.mult_value = ONE
        self.amount = _special(get("amount"), fixed)
        self.floor = _special(get("floor"), fixed)
        self.cap = _special(get("cap"), fixed)
        self.when = _special(get("when"), fixed)
        self.item_values = {name: {key: specialise(f, fixed, CONTEXT) for key, f in t.items()}
                            for name, t in rule.item_values.items()}
        self.steps = tuple((name, specialise(f, fixed, CONTEXT)) for name, f in rule.steps)
        self.params = params


def _special(formula: Formula | None, fixed: Mapping[str, object]):
    return None if formula is None else specialise(formula, fixed, CONTEXT)


def _money(p: _Parts, rule: CompiledRule):
    """The function giving a money line's ``(unrounded, rounded, notes)``."""
    amount_fn, floor, cap, round_amount = p.amount, p.floor, p.cap, rule.round_amount

    def money(env: Env, qty: Decimal, rate: Decimal, mult: Decimal):
        raw = qty * rate * mult if amount_fn is None else guard(amount_fn(env))
        if floor is None and cap is None:
            return raw, round_amount(raw), ()
        notes: tuple[str, ...] = ()
        if floor is not None:
            low = guard(floor(env))
            if raw < low:
                raw, notes = low, notes + (f"raised to floor {low}",)
        if cap is not None:
            high = guard(cap(env))
            if raw > high:
                raw, notes = high, notes + (f"capped at {high}",)
        return raw, round_amount(raw), notes
    return money


def _picker(names: tuple[str, ...]) -> Callable[[Env], dict[str, object]]:
    """The trace's inputs taken from the environment; short lists without a loop."""
    if len(names) == 1:
        (a,) = names
        return lambda env: {a: env[a]}
    if len(names) == 2:
        a, b = names
        return lambda env: {a: env[a], b: env[b]}
    if len(names) == 3:
        a, b, c = names
        return lambda env: {a: env[a], b: env[b], c: env[c]}
    return lambda env: {n: env[n] for n in names}


def _liner(rule: CompiledRule, p: _Parts):
    """The function making one line: ``(line, signed amount, value)`` or ``None``."""
    money = _money(p, rule) if rule.money else None
    omit, skip_zero = rule.omit_zero, rule.omit_zero and rule.zero_when_no_quantity
    round_qty, deduction = rule.round_quantity, rule.category in NEGATIVE
    inputs, params, code, text = _picker(rule.trace_inputs), p.params, rule.code, rule.formula_text
    rounding = rule.rounding_text if money else ""
    category, label, label_en, unit = (_CATEGORY[rule.category], rule.label, rule.label_en,
                                       rule.unit)
    qty_fn, qty_value, rate_fn, rate_value = p.quantity, p.quantity_value, p.rate, p.rate_value
    mult_fn, mult_value = p.mult, p.mult_value

    def make(env: Env, userid: str, item: Item | None):
        if qty_fn is not None:
            qty = qty_fn(env)
        elif qty_value is not None:
            qty = qty_value
        elif item is None:
            qty = ONE
        elif unit == "h":  # a declared unit: every item in it, through the working day
            qty = item.as_hours
        elif unit == "day":
            qty = item.as_days
        else:
            qty = item.hours if item.in_hours else item.days
        if round_qty is not None:
            qty = round_qty(qty)
        if not qty and item is None and skip_zero:
            return None  # the amount would be 0 × rate × multiplier
        rate = rate_value if rate_fn is None else rate_fn(env)
        mult = mult_value if mult_fn is None else mult_fn(env)
        if money is None:
            raw = amount = ZERO
            notes: tuple[str, ...] = ()
            if item is None and omit and not qty:
                return None
        else:
            raw, amount, notes = money(env, qty, rate, mult)
            if item is None and omit and not amount:
                return None
        if item is not None:
            notes = (f"item {item.name} (vacation_id {item.id})",) + notes
        trace = build_all(Trace, {
            "rule": code, "formula": text, "inputs": inputs(env),
            "parameters": params, "unrounded": raw, "rounding": rounding, "notes": notes})
        signed = -amount if deduction else amount
        line = build_all(LineItem, {
            "userid": userid, "code": code, "category": category, "label": label,
            "label_en": label_en, "quantity": qty,
            "unit": unit or ("" if item is None else "h" if item.in_hours else "day"),
            "rate": rate, "multiplier": mult, "amount": signed,
            "item": "" if item is None else item.name, "trace": trace})
        if money is not None:
            return line, signed, amount
        # the code stands for one unit: the declared one, else days (hours ÷ working day)
        return line, signed, (qty if unit or qty_fn is not None or qty_value is not None
                              or item is None or not item.in_hours else item.as_days)
    return make


def _book(category: str, sheet: Sheet, env: Env, line: LineItem, signed: Decimal) -> None:
    """Add a line to the sheet, its amount to the totals and to the running totals."""
    sheet.lines.append(line)
    if category == "earning":
        sheet.earnings += signed
        env["earnings_so_far"] += signed
        env["gross_so_far"] += signed
    elif category == "deduction":
        sheet.deductions += signed
        env["deductions_so_far"] -= signed
        env["gross_so_far"] += signed
    elif category == "withholding":
        sheet.withholdings += signed
        env["withholdings_so_far"] -= signed
    elif category == "time_bank":
        sheet.comp += line.quantity


def _plain(rule: CompiledRule, p: _Parts) -> Step:
    """The most common rule, one line of quantity × rate × multiplier, in one function.

    Does what ``_liner`` and ``_book`` do for such a rule, without their calls.
    """
    money, omit = rule.money, rule.omit_zero
    skip_zero = omit and rule.zero_when_no_quantity
    round_qty, round_amount = rule.round_quantity, rule.round_amount
    inputs, params, code, text = _picker(rule.trace_inputs), p.params, rule.code, rule.formula_text
    rounding = rule.rounding_text if money else ""
    category, label, label_en, unit = (_CATEGORY[rule.category], rule.label, rule.label_en,
                                       rule.unit)
    earning, deduction = rule.category == "earning", rule.category == "deduction"
    banked, negative = rule.category == "time_bank", rule.category in NEGATIVE
    qty_fn, rate_fn, mult_fn, when = p.quantity, p.rate, p.mult, p.when
    qty_value = ONE if p.quantity_value is None else p.quantity_value
    rate_value, mult_value = p.rate_value, p.mult_value

    def plain(env: Env, facts: Facts, sheet: Sheet) -> None:
        if when is not None and not when(env):
            return  # the code keeps its base value 0
        qty = qty_value if qty_fn is None else qty_fn(env)
        if round_qty is not None:
            qty = round_qty(qty)
        if not qty and skip_zero:
            return  # the amount would be 0 × rate × multiplier
        rate = rate_value if rate_fn is None else rate_fn(env)
        mult = mult_value if mult_fn is None else mult_fn(env)
        if money:
            raw = qty * rate * mult
            amount = round_amount(raw)
            if omit and not amount:
                return
        else:
            raw = amount = ZERO
            if omit and not qty:
                return
        trace = build_all(Trace, {
            "rule": code, "formula": text, "inputs": inputs(env),
            "parameters": params, "unrounded": raw, "rounding": rounding, "notes": ()})
        signed = -amount if negative else amount
        sheet.lines.append(build_all(LineItem, {
            "userid": sheet.userid, "code": code, "category": category, "label": label,
            "label_en": label_en, "quantity": qty, "unit": unit, "rate": rate,
            "multiplier": mult, "amount": signed, "item": "", "trace": trace}))
        if earning:
            sheet.earnings += signed
            env["earnings_so_far"] += signed
            env["gross_so_far"] += signed
        elif deduction:
            sheet.deductions += signed
            env["deductions_so_far"] -= signed
            env["gross_so_far"] += signed
        elif negative:
            sheet.withholdings += signed
            env["withholdings_so_far"] -= signed
        elif banked:
            sheet.comp += qty
        env[code] = amount if money else qty
    return plain


def rule_step(rule: CompiledRule, fixed: Mapping[str, object], params: dict[str, ParamUse]) -> Step:
    """The rule as one function of (environment, facts, sheet); its gate is tested before."""
    p = _Parts(rule, fixed, params)
    if (rule.select is None and p.amount is None and p.floor is None and p.cap is None
            and not p.steps):
        return _plain(rule, p)
    make, code, when, category = _liner(rule, p), rule.code, p.when, rule.category
    steps = p.steps
    if rule.select is None:
        def single(env: Env, facts: Facts, sheet: Sheet) -> None:
            if when is not None and not when(env):
                return  # the code keeps its base value 0
            for name, fn in steps:
                env[name] = guard(fn(env))
            made = make(env, sheet.userid, None)
            if made is not None:
                _book(category, sheet, env, made[0], made[1])
                env[code] = made[2]
        return single
    select, values = rule.select, p.item_values

    def per_item(env: Env, facts: Facts, sheet: Sheet) -> None:
        total = ZERO
        for item in facts.items():
            if not select(item):
                continue
            env.update(item.variables())
            for name, table in values.items():
                fn = table.get(item.name) or table.get(str(item.id)) or table.get("default")
                if fn is None:
                    raise EvaluationError(f"item_values.{name} has no entry for "
                                          f"{item.name!r} and no 'default'")
                env[name] = guard(fn(env))
            if when is not None and not when(env):
                continue
            for name, fn in steps:
                env[name] = guard(fn(env))
            line, signed, value = make(env, sheet.userid, item)
            # booked at once: the next item's cap sees this item's deduction, as the next
            # rule's would (two leave items of one rule must not share one allowance)
            _book(category, sheet, env, line, signed)
            total += value
        env[code] = total
    return per_item
