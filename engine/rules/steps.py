"""Named steps of a rule: intermediate values computed in order before the line.

Part of compiling a pack (``engine.rules.pack``): a rule's ``steps`` (``{NAME: formula}``)
are evaluated after its ``when``, before its quantity, rate and amount
(``engine.rules.program``), and each is kept in the line's trace with its value, so a
computation of many steps (the cumulative income tax) is auditable on the one line it
produces. A step may read what the rule may read plus the steps before it in the same
rule; later rules, checks and ledger formulas may read it too (0 when its rule did not
run). Steps are names of the pack like rule codes: two steps or a step and any other name
cannot share a name.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.errors import FormulaError
from engine.rules.formula import Formula, compile_formula


def compile_steps(builder, rule, where, local: set[str],
                  allowed: Callable[[str], str | None]) -> tuple[tuple[str, Formula], ...]:
    """The rule's steps compiled and name-checked in order; each step's name is added to
    ``local`` once compiled, so only the steps after it (and the line) can read it."""
    out = []
    for name, text in rule.steps.items():
        at = where.at("steps", name)
        try:
            formula = compile_formula(text)
        except FormulaError as exc:
            raise at.error(f"bad formula: {exc}", rule=rule.code,
                           offset=getattr(exc, "offset", 0)) from exc
        builder.check_names(formula, at, allowed, rule.code)
        local.add(name)
        out.append((name, formula))
    return tuple(out)


def steps_text(steps: tuple[tuple[str, Formula], ...]) -> list[str]:
    return [f"{name} = {formula.source}" for name, formula in steps]
