"""The compiled rule pack: what ``engine.rules.pack`` builds and the rest of the flow reads.

``load_pack`` (``engine.rules.loader``) returns a :class:`Pack`; ``engine.rules.program``
turns its rules, checks and ledger keys into the per-employee program that
``engine.rules.apply`` runs, and ``engine.ledger`` reads its keys. Kept apart from the
compiler so the types every later stage imports do not pull in the compiling code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from operator import methodcaller
from pathlib import Path

from engine.money import CENT, TIE_TOLERANCE, round_to
from engine.rules.formula import Formula
from engine.rules.inputs import Extractor, Item
from engine.rules.lines import PackInfo
from engine.rules.merge import Where
from engine.rules.schema import Header, LedgerKey, Parameter, Rounding, RosterColumn


def rounder(rounding: Rounding) -> Callable[[Decimal], Decimal]:
    step, mode = rounding.step_decimal, rounding.mode
    if step == CENT and mode == "half_up":
        return _fen_half_up
    return lambda v: round_to(v, step, mode)


_HALF_FENS, _TO_FEN = Decimal(200), methodcaller("quantize", CENT, ROUND_HALF_UP)


def _fen_half_up(value: Decimal) -> Decimal:
    """``round_to(value, 0.01, "half_up")`` (a tie within the tolerance is a tie), inlined:
    it rounds almost every line of a run."""
    halves = value * _HALF_FENS
    nearest = halves.to_integral_value()
    # also when the product itself rounded onto the boundary (8.5749…9 × 200 = 1715 in
    # 28 digits): the value then lies within the tolerance and is the tie
    if abs(halves - nearest) <= TIE_TOLERANCE:
        value = nearest / _HALF_FENS
    return _TO_FEN(value)


@dataclass(frozen=True)
class CompiledRule:
    code: str
    label: str
    label_en: str
    category: str
    unit: str
    omit_zero: bool
    formulas: dict[str, Formula]
    select: Callable[[Item], bool] | None
    item_values: dict[str, dict[str, Formula]]
    round_quantity: Callable[[Decimal], Decimal] | None
    round_amount: Callable[[Decimal], Decimal]
    rounding_text: str
    formula_text: str
    trace_inputs: tuple[str, ...]
    trace_params: tuple[str, ...]
    where: Where
    money: bool = False  # earning or deduction
    zero_when_no_quantity: bool = False  # amount is quantity × rate × multiplier, no floor
    gate: str | None = None  # a name whose 0 means "no line" (skips the rule cheaply)
    fns: dict[str, Callable] = field(default_factory=dict)  # the formulas' closures
    steps: tuple[tuple[str, Formula], ...] = ()  # named intermediate values, in order


@dataclass(frozen=True)
class CompiledCheck:
    code: str
    severity: str
    when: Formula
    message: str
    reference: str
    where: Where
    audience: str = "hr"


@dataclass(frozen=True)
class CompiledKey:
    """A ledger key with its compiled formulas (``change`` or banked/used/settled)."""

    key: str
    spec: LedgerKey
    formulas: dict[str, Formula]
    expire_months: Formula | None
    where: Where

    @property
    def names(self) -> tuple[str, ...]:
        """The names the rules read for this key: opening (and YTD alias, expired)."""
        return ledger_names(self.key, self.spec)


def ledger_names(key: str, spec: LedgerKey) -> tuple[str, ...]:
    names = [f"ledger.{key}"]
    if spec.yearly and key.startswith("ytd_"):
        names.append(f"ytd.{key.removeprefix('ytd_')}")
    if spec.kind == "comp_time":
        names.append(f"expired.{key}")
    return tuple(names)


@dataclass(frozen=True)
class Pack:
    """What ``load_pack`` returns; ``info`` identifies the pack on payslips."""

    info: PackInfo
    header: Header
    parameters: dict[str, Parameter]
    roster: dict[str, RosterColumn]
    inputs: tuple[tuple[str, Extractor], ...]
    variables: tuple[tuple[str, Formula], ...]
    rules: tuple[CompiledRule, ...]
    checks: tuple[CompiledCheck, ...]
    ledger: tuple[CompiledKey, ...] = ()
    case_files: tuple[Path, ...] = ()
    files: tuple[str, ...] = ()  # the pack file, then every file it extends (hashed in order)
    input_labels: dict[str, str] = field(default_factory=dict)
    input_sources: dict[str, str] = field(default_factory=dict)
    input_absent: dict[str, str] = field(default_factory=dict)  # warn | zero | error

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.rules)
