"""Compiling a rule pack: every formula compiled once, every name checked, order fixed.

Called by ``engine.rules.loader.load_pack`` on the merged YAML; the :class:`Pack` it
builds (``engine.rules.compiled``) is used, unchanged, for every employee by
``engine.rules.apply``. Names a formula can read: parameters, declared
inputs, declared roster columns (``C`` and the flag ``has_C``; ``C.VALUE`` for a
categorical column such as ``employment_type.hourly``), variables, the period
(``calendar_days``, ``work_days``, ``holiday_days``, ``rest_days``), the employee's
employment in the month from the roster dates (``days_employed``, ``workdays_employed``,
``full_month``, ``joined_in_month``, ``left_in_month``), the ledger's opening values
(``ledger.KEY``, ``ytd.NAME`` for a yearly ``ytd_NAME``, ``expired.KEY`` for comp time),
the running totals
(``earnings_so_far``, ``deductions_so_far``: sums of rounded amounts, deductions as a
positive number), codes of earlier rules and, in a per-item rule, ``item_*``.
A rule's code stands for its rounded amount (deductions positive), or for its quantity
when it is a time-bank or info rule, summed over the items of a per-item rule; 0 when
the rule produced no line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from engine.errors import FormulaError, RulePackError
from engine.rules.compiled import (CompiledCheck, CompiledKey, CompiledRule, Pack,
                                   ledger_names, rounder)
from engine.rules.formula import Formula, compile_formula
from engine.rules.inputs import SP_TYPES, Extractor, Item, compile_source
from engine.rules.lines import PackInfo
from engine.rules.merge import Merged, Where
from engine.rules.schema import Header, LedgerKey, RosterColumn
from engine.rules.steps import compile_steps, steps_text
from engine.rules.tables import misuse

PERIOD_NAMES = ("calendar_days", "work_days", "holiday_days", "rest_days", "month_number")
# per employee, from the roster's hire_date/leave_date and the statutory calendar
EMPLOYMENT_NAMES = ("days_employed", "workdays_employed", "full_month", "joined_in_month",
                    "left_in_month")
DATE_COLUMNS = ("hire_date", "leave_date")
RUNNING = ("earnings_so_far", "deductions_so_far", "gross_so_far", "withholdings_so_far")
TOTALS = ("total_earnings", "total_deductions", "net_pay", "comp_hours", "gross_pay",
          "total_withholdings")
MONEY = ("earning", "deduction", "withholding")
ITEM_NAMES = ("item_count", "item_seconds", "item_days", "item_hours", "item_in_hours",
              "item_id", "item_day_hours")
RULE_PARTS = ("when", "quantity", "rate", "multiplier", "amount", "floor", "cap")
SYMBOL = {"quantity": "quantity", "rate": "rate", "multiplier": "multiplier"}


def _compile(text: str, where: Where, rule: str | None = None) -> Formula:
    try:
        return compile_formula(text)
    except FormulaError as exc:
        raise where.error(f"bad formula: {exc}", rule=rule,
                          offset=getattr(exc, "offset", 0)) from exc


def _name_error(formula: Formula, name: str, where: Where, reason: str,
                rule: str | None = None) -> RulePackError:
    found = re.search(rf"\b{re.escape(name)}\b", formula.source)
    return where.error(reason, rule=rule, offset=found.start() if found else 0)


class _Builder:
    def __init__(self, merged: Merged) -> None:
        self.m = merged
        self.kinds: dict[str, str] = {}  # name -> what defines it
        self.var_formulas: dict[str, Formula] = {}
        self.tables = {n: p for n, (p, _) in merged.parameters.items() if p.kind == "table"}

    def declare(self, name: str, kind: str, where: Where) -> None:
        if name in self.kinds:
            raise where.error(f"name {name!r} is already defined as {self.kinds[name]}", key=True)
        self.kinds[name] = kind

    def names(self) -> None:
        for name in (*PERIOD_NAMES, *RUNNING, *TOTALS, *ITEM_NAMES):
            self.kinds[name] = "built-in name"
        for name in EMPLOYMENT_NAMES:
            self.kinds[name] = "employment fact"
        for name, (_, where) in self.m.parameters.items():
            self.declare(name, "parameter", where)
        roster = dict(self.m.roster)
        roster.setdefault("monthly_salary", (RosterColumn(required=True), Where(self.m.chain[0])))
        self.m.roster = roster
        for name, (column, where) in roster.items():
            if name in DATE_COLUMNS:
                raise where.error(f"{name} is read by the engine itself (days employed); "
                                  "use days_employed/workdays_employed", key=True)
            if column.values is not None:
                for value, needed in column.values.items():
                    self.declare(f"{name}.{value}", "roster category", where)
                    unknown = [c for c in needed if c not in roster or roster[c][0].values]
                    if unknown:
                        raise where.at("values", value).error(
                            f"{name} = {value} needs {', '.join(unknown)}, which is not a "
                            "declared number column of the roster")
                continue
            self.declare(name, "roster column", where)
            self.declare(f"has_{name}", "roster flag", where)
        for key, (spec, where) in self.m.ledger.items():
            for name in ledger_names(key, spec):
                self.declare(name, "ledger opening", where)
        for name, (_, where) in self.m.inputs.items():
            self.declare(name, "input", where)
        for name, (_, where) in self.m.variables.items():
            self.declare(name, "variable", where)
        for rule, where in self.m.rules:
            self.declare(rule.code, "rule", where.at("code"))
            for step in rule.steps:
                self.declare(step, "rule step", where.at("steps", step))

    def inputs(self) -> tuple[tuple[str, Extractor], ...]:
        out = []
        for name, (spec, where) in self.m.inputs.items():
            try:
                out.append((name, compile_source(spec.source, spec.unit)))
            except ValueError as exc:
                raise where.at("source").error(f"input {name}: {exc}") from exc
        return tuple(out)

    def check_names(self, formula: Formula, where: Where, allowed: Callable[[str], str | None],
                    rule: str | None = None) -> None:
        wrong = misuse(formula.tree, self.tables)
        if wrong:
            raise where.error(wrong, rule=rule)
        for name in sorted(formula.names):
            reason = allowed(name)
            if reason:
                raise _name_error(formula, name, where, reason, rule)

    def variables(self) -> tuple[tuple[str, Formula], ...]:
        for name, (var, where) in self.m.variables.items():
            self.var_formulas[name] = _compile(var.formula, where.at("formula"))

        def allowed(name: str) -> str | None:
            kind = self.kinds.get(name)
            if kind is None:
                return f"undefined name {name!r}"
            if kind in ("rule", "built-in name") and name not in PERIOD_NAMES:
                return f"a variable cannot use {kind} {name!r} (variables come before rules)"
            return None
        for name, formula in self.var_formulas.items():
            self.check_names(formula, self.m.variables[name][1].at("formula"), allowed)
        return tuple((n, self.var_formulas[n]) for n in self._variable_order())

    def _variable_order(self) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = path[path.index(name):] + [name]
                formula = self.var_formulas[path[-1]]
                raise _name_error(formula, name, self.m.variables[path[-1]][1].at("formula"),
                                  f"cycle between variables: {' -> '.join(cycle)}")
            state[name] = 1
            for dep in sorted(self.var_formulas[name].names):
                if dep in self.var_formulas:
                    visit(dep, path + [name])
            state[name] = 2
            order.append(name)
        for name in self.var_formulas:  # bounded: each variable is finished once
            visit(name, [])
        return order

    def closure(self, names: set[str]) -> set[str]:
        """Names plus everything the variables among them read, transitively."""
        seen, todo = set(), list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in self.var_formulas:
                todo.extend(self.var_formulas[name].names)
        return seen


def _selector(rule, where: Where) -> Callable[[Item], bool] | None:
    spec = rule.for_each
    if spec is None:
        return None
    kind = spec.type
    if isinstance(kind, str):
        if kind not in SP_TYPES:
            raise where.at("for_each", "type").error(
                f"unknown item type {kind!r}; use one of {', '.join(SP_TYPES)}", rule=rule.code)
        kind = SP_TYPES[kind]
    names, ids, comp = frozenset(spec.names), frozenset(spec.ids), spec.comp_time

    def select(item: Item) -> bool:
        if item.type != kind or (comp is False and item.comp_time):
            return False
        if comp and item.comp_time:
            return True
        if names or ids:
            return bool(item.names & names) or item.id in ids
        return not comp
    return select


def _formula_text(rule, formulas: dict[str, Formula], steps=()) -> str:
    if rule.category in MONEY and "amount" not in formulas:
        head = "amount = quantity × rate × multiplier"
    elif "amount" in formulas:
        head = f"amount = {formulas['amount'].source}"
    else:
        head = "quantity"
    parts = [head] + [f"{k} = {formulas[k].source}" for k in ("quantity", "rate", "multiplier")
                      if k in formulas]
    parts += [f"at least {formulas['floor'].source}"] if "floor" in formulas else []
    parts += [f"at most {formulas['cap'].source}"] if "cap" in formulas else []
    parts += [f"when {formulas['when'].source}"] if "when" in formulas else []
    return "; ".join(parts + steps_text(steps))


def _gate(rule, formulas: dict[str, Formula]) -> str | None:
    """The quantity's name when a zero quantity certainly means no line."""
    quantity = formulas.get("quantity")
    if (quantity is None or rule.for_each or not rule.omit_zero or "when" in formulas
            or {"amount", "floor"} & set(formulas) or quantity.names != {quantity.source}):
        return None
    return quantity.source


def _check_rule_shape(rule, where: Where) -> None:
    money = rule.category in MONEY
    if money and rule.amount is None and rule.rate is None:
        raise where.error(f"a {rule.category} line needs 'amount' or 'rate'", rule=rule.code)
    if not money and (rule.amount or rule.floor or rule.cap):
        raise where.error(f"a {rule.category} line has no amount: remove amount/floor/cap",
                          rule=rule.code)
    if not money and rule.quantity is None and rule.for_each is None:
        raise where.error(f"a {rule.category} line needs 'quantity'", rule=rule.code)
    if rule.category == "time_bank" and rule.unit != "h":
        raise where.at("unit").error("time_bank lines are counted in hours: unit must be 'h'",
                                     rule=rule.code)
    if rule.item_values and rule.for_each is None:
        raise where.at("item_values").error("'item_values' needs 'for_each'", rule=rule.code)


def _rule_names(b: _Builder, rule, local: set[str],
                earlier: set[str]) -> Callable[[str], str | None]:
    """Which names a rule's formulas may read; the reason when one may not."""
    def allowed(name: str) -> str | None:
        kind = b.kinds.get(name)
        if name in local:
            return None
        if kind is None:
            return f"undefined name {name!r}"
        if name in ITEM_NAMES:
            return f"{name!r} exists only in a rule with 'for_each'"
        if name in TOTALS:
            return f"{name!r} is only known to checks (after all rules)"
        if kind in ("rule", "rule step") and name not in earlier:
            loop = "itself" if name == rule.code else f"{name}, which comes later"
            return f"cycle between rules: {rule.code} uses {loop} (rules see earlier rules only)"
        return None
    return allowed


def _rule_formulas(b: _Builder, rule, where: Where, earlier: set[str]):
    """Compile and name-check every formula of a rule; returns them and the names used."""
    formulas = {part: _compile(getattr(rule, part), where.at(part), rule.code)
                for part in RULE_PARTS if getattr(rule, part) is not None}
    item_values = {name: {item: _compile(text, where.at("item_values", name, item), rule.code)
                          for item, text in table.items()}
                   for name, table in rule.item_values.items()}
    for name in item_values:
        if name in b.kinds:
            raise where.at("item_values", name).error(
                f"item value {name!r} hides the {b.kinds[name]} of that name", rule=rule.code)
    local = set(item_values) | (set(ITEM_NAMES) if rule.for_each else set())
    allowed = _rule_names(b, rule, local, earlier)
    steps = compile_steps(b, rule, where, local, allowed)
    for part, formula in formulas.items():
        b.check_names(formula, where.at(part), allowed, rule.code)
    for name, table in item_values.items():
        for item, formula in table.items():
            b.check_names(formula, where.at("item_values", name, item), allowed, rule.code)
    used = set().union(*(f.names for f in formulas.values()),
                       *(f.names for t in item_values.values() for f in t.values()))
    if rule.for_each and "quantity" not in formulas:
        # the trace keeps the working day, which converts the item's days and hours
        used |= {"item_days", "item_hours", "item_day_hours"}
    used |= {n for name, f in steps for n in (name, *f.names)}
    return formulas, item_values, steps, b.closure(used)


def _rule(b: _Builder, rule, where: Where, earlier: set[str], header: Header) -> CompiledRule:
    _check_rule_shape(rule, where)
    formulas, item_values, steps, used = _rule_formulas(b, rule, where, earlier)
    rounding = rule.rounding or header.rounding
    qround = rule.quantity_rounding
    return CompiledRule(
        code=rule.code, label=rule.label, label_en=rule.label_en, category=rule.category,
        unit=rule.unit, omit_zero=rule.omit_zero, formulas=formulas,
        select=_selector(rule, where), item_values=item_values,
        round_quantity=rounder(qround) if qround else None,
        round_amount=rounder(rounding), rounding_text=rounding.describe(),
        formula_text=_formula_text(rule, formulas, steps),
        trace_inputs=tuple(sorted(n for n in used if b.kinds.get(n) != "parameter")),
        trace_params=tuple(sorted(n for n in used if b.kinds.get(n) == "parameter")),
        where=where, money=rule.category in MONEY, steps=steps,
        fns={part: formula.fn for part, formula in formulas.items()},
        zero_when_no_quantity=not ({"amount", "floor"} & set(formulas)),
        gate=_gate(rule, formulas))


def _whole_month_names(b: _Builder, who: str):
    """The names formulas that run after all rules may read: any defined name but the
    per-item and running ones, which only exist while the rules run."""
    def allowed(name: str) -> str | None:
        if b.kinds.get(name) is None:
            return f"undefined name {name!r}"
        if name in ITEM_NAMES or name in RUNNING:
            return f"{name!r} is not known to {who}"
        return None
    return allowed


def _check(b: _Builder, check, where: Where) -> CompiledCheck:
    formula = _compile(check.when, where.at("when"), check.code)

    b.check_names(formula, where.at("when"), _whole_month_names(b, "checks"), check.code)
    for name in re.findall(r"\{([A-Za-z][A-Za-z0-9_]*)\}", check.message):
        if name not in formula.names:
            raise where.at("message").error(
                f"message names {{{name}}}, which the check's formula does not read",
                rule=check.code)
    return CompiledCheck(code=check.code, severity=check.severity, when=formula,
                         message=check.message, reference=check.reference, where=where,
                         audience=check.audience)


def _ledger_key(b: _Builder, key: str, spec: LedgerKey, where: Where) -> CompiledKey:
    """Ledger formulas see what checks see, rule codes included; ``expire_months`` only
    parameters (it is fixed for a period)."""
    allowed = _whole_month_names(b, "ledger formulas")
    formulas = {}
    for part in ("change", "banked", "used", "settled"):
        text = getattr(spec, part)
        if text is not None:
            formulas[part] = _compile(text, where.at(part))
            b.check_names(formulas[part], where.at(part), allowed)
    expire = None
    if spec.expire_months is not None:
        expire = _compile(spec.expire_months, where.at("expire_months"))
        b.check_names(expire, where.at("expire_months"), lambda n: None
                      if b.kinds.get(n) == "parameter" else
                      f"expire_months may use parameters only, not {n!r}")
    return CompiledKey(key=key, spec=spec, formulas=formulas, expire_months=expire, where=where)


def build(merged: Merged, sha256: str, path: Path) -> Pack:
    """Compile a merged pack; every error names the file, line and column."""
    b = _Builder(merged)
    b.names()
    inputs, variables = b.inputs(), b.variables()
    rules, earlier = [], set()
    for rule, where in merged.rules:
        rules.append(_rule(b, rule, where, earlier, merged.header))
        earlier.update((rule.code, *rule.steps))
    codes = {r.code for r in rules}
    checks = []
    for check, where in merged.checks:
        if check.code in codes:
            raise where.at("code").error(f"check code {check.code} is also a rule code")
        checks.append(_check(b, check, where))
    ledger = tuple(_ledger_key(b, key, spec, where)
                   for key, (spec, where) in merged.ledger.items())
    if sum(k.spec.kind == "comp_time" for k in ledger) > 1:
        raise Where(merged.chain[0], ("ledger",)).error("at most one comp_time key")
    header, top = merged.header, merged.chain[0]
    info = PackInfo(name=header.name, version=header.version, sha256=sha256, path=str(path))
    cases = tuple((top.path.parent / c).resolve() for c in header.cases)
    if not cases:
        sibling = top.path.with_name(top.path.name.removesuffix(".yaml") + ".cases.yaml")
        cases = (sibling,) if sibling.is_file() else ()
    return Pack(info=info, header=header,
                parameters={n: p for n, (p, _) in merged.parameters.items()},
                roster={n: c for n, (c, _) in merged.roster.items()},
                inputs=inputs, variables=variables, rules=tuple(rules), checks=tuple(checks),
                ledger=ledger, case_files=cases, files=tuple(str(d.path) for d in merged.chain),
                input_labels={n: s.label for n, (s, _) in merged.inputs.items()},
                input_sources={n: s.source for n, (s, _) in merged.inputs.items()},
                input_absent={n: s.absent for n, (s, _) in merged.inputs.items()})
