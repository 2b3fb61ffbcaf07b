"""The strict shape of a rule-pack file, checked right after YAML parsing.

Sits between ``engine.rules.loader`` (YAML with line marks) and the compiled pack.
Every model forbids unknown keys, so a misplaced or misspelt key is a load error rather
than a silently ignored policy. Money and parameter values must be written as quoted
strings (or whole numbers): a YAML float such as ``21.75`` is refused because its binary
value is not the number a person wrote.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from engine.money import ROUNDING_MODES, to_decimal
from engine.rules.tables import parse_bands

IDENT = r"^[A-Za-z][A-Za-z0-9_]*$"
MAX_DIGITS = 28      # significant digits of a number in a pack (Decimal's default precision)
MAX_SCALE = 12       # decimals (a rounding step of 0.000000000001 is already absurd)
MAX_MAGNITUDE = 15   # 1e15: a thousand billion yuan
CODE = r"^[A-Z][A-Z0-9_]*$"


def _exact_number(value: object) -> str:
    if isinstance(value, float):
        raise ValueError(f"the float {value!r} is not exact: write it as a quoted string, "
                         f"e.g. \"{value}\"")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected a number written as a quoted string, got {value!r}")
    try:
        number = to_decimal(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    check_bounds(number, str(value).strip())
    return str(value).strip()


def check_bounds(number: Decimal, text: str) -> None:
    """Refuse numbers no pack needs and no export can hold: at most MAX_DIGITS significant
    digits, and between 10**-MAX_SCALE and 10**MAX_MAGNITUDE (``1e999999`` would be a
    million-character cell)."""
    sign, digits, exponent = number.as_tuple()
    shown = text if len(text) <= 30 else text[:27] + "..."
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"the number {shown!r} has {len(digits)} digits; at most {MAX_DIGITS}")
    if isinstance(exponent, int) and (exponent < -MAX_SCALE
                                      or number.adjusted() >= MAX_MAGNITUDE):
        raise ValueError(f"the number {shown!r} is out of range: write it with at most "
                         f"{MAX_SCALE} decimals and below 1e{MAX_MAGNITUDE}")


def _formula_text(value: object) -> str:
    if isinstance(value, float):
        raise ValueError(f"the float {value!r} is not exact: write the formula as a quoted "
                         f"string, e.g. \"{value}\"")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"a formula must be text, got {value!r}")
    return str(value)


def _rounding_mode(value: object) -> str:
    if value not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {value!r}; use one of {sorted(ROUNDING_MODES)}")
    return str(value)


def _param_value(value: object) -> object:
    """A number (checked here, where its line is known), a band list or a mode name
    (checked against the parameter's kind by ``Parameter``)."""
    if isinstance(value, list) or (isinstance(value, str) and value.strip().isidentifier()):
        return value  # a band list or a mode name
    return _exact_number(value)


Number = Annotated[str, BeforeValidator(_exact_number)]
ParamValue = Annotated[Any, BeforeValidator(_param_value)]
FormulaText = Annotated[str, BeforeValidator(_formula_text)]
Mode = Annotated[str, BeforeValidator(_rounding_mode)]
Ident = Annotated[str, Field(pattern=IDENT)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rounding(Strict):
    mode: Mode = "half_up"
    step: Number = "0.01"

    @property
    def step_decimal(self) -> Decimal:
        return to_decimal(self.step)

    def describe(self) -> str:
        return f"{self.mode} {self.step}"


class Header(Strict):
    name: str = Field(min_length=1)
    version: str = ""
    description: str = ""
    extends: str | None = None
    cases: list[str] = Field(default_factory=list)
    params_at: Literal["first_day", "last_day"] = "first_day"
    rounding: Rounding = Rounding()
    overtime_split: Literal["flag", "pay_remainder", "bank_remainder"] = "flag"
    leave_day: Literal["fixed", "perday_duration"] = "fixed"
    # what the payslip calls the employee's total: "" = the payslip's own label (实发工资);
    # a pack that withholds no tax says so (应发合计（未扣税）), never 实发工资
    net_label: str = ""
    net_label_en: str = ""


class Parameter(Strict):
    """A dated value: a number (default), a table of bands (``kind: table``, each value a
    list of ``{upto, rate, quick}``, optionally ending at ``until``) or a rounding mode
    (``kind: rounding_mode``, each value a mode name); see ``engine.rules.tables``."""

    label: str = ""
    unit: str = ""
    reference: str = ""
    kind: Literal["number", "table", "rounding_mode"] = "number"
    until: date | None = None  # tables only: no band lookup after this day
    values: dict[date, ParamValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _values_fit(self) -> "Parameter":
        if self.until is not None and self.kind != "table":
            raise ValueError("'until' is for table parameters only")
        for day, value in self.values.items():
            try:
                if self.kind == "table":
                    parse_bands(value)
                elif self.kind == "rounding_mode":
                    _rounding_mode(value)
                elif not isinstance(value, str):
                    raise ValueError("a number parameter takes numbers (kind: table for bands)")
                else:
                    _exact_number(value)
            except ValueError as exc:
                raise ValueError(f"value of {day.isoformat()}: {exc}") from None
        return self


class RosterColumn(Strict):
    """A roster column the rules read: a number (``C`` and ``has_C``), or, with ``values``,
    a category (``C.VALUE`` is 1 for the employee's value, 0 for the others).

    ``values`` maps each allowed value to the number columns an employee of that kind
    must have (``{salaried: [monthly_salary], hourly: [hourly_rate]}``); a value outside
    the list, or a missing column of the kind, is an error for that employee.
    """

    required: bool = False
    default: str | int = "0"
    label: str = ""
    # a text column read through a table (城市 上海 -> 1); any other text is refused
    choices: dict[str, Number] = Field(default_factory=dict)
    values: dict[Ident, list[Ident]] | None = None

    @model_validator(mode="after")
    def _default_fits(self) -> "RosterColumn":
        if self.values is None:
            _exact_number(self.default)
        elif self.default not in ("", "0") and self.default not in self.values:
            raise ValueError(f"default {self.default!r} is not one of the values "
                             f"{', '.join(self.values)}")
        return self


class InputSpec(Strict):
    source: str = Field(min_length=1)
    unit: Literal["sec", "min", "h", "day", "count"]
    label: str = ""
    # what a value WeCom left out of the record means: counted as 0 with a warning to HR
    # (warn), silently 0 (zero), or the employee is not computed (error)
    absent: Literal["warn", "zero", "error"] = "warn"


class Variable(Strict):
    formula: FormulaText
    label: str = ""
    unit: str = ""


class ForEach(Strict):
    type: str | int = "leave"
    names: list[str] = Field(default_factory=list)
    ids: list[int] = Field(default_factory=list)
    # true: also every leave type flagged is_newovertime (comp time); false: never those
    comp_time: bool | None = None


class Rule(Strict):
    code: Annotated[str, Field(pattern=CODE)]
    label: str = Field(min_length=1)
    label_en: str = ""
    category: Literal["earning", "deduction", "withholding", "time_bank", "info"]
    # named intermediate values, evaluated in order before the line (traced on it)
    steps: dict[Ident, FormulaText] = Field(default_factory=dict)
    after: str | None = None  # only in an extending pack: place a new rule after this code
    when: FormulaText | None = None
    for_each: ForEach | None = None
    item_values: dict[Ident, dict[str, FormulaText]] = Field(default_factory=dict)
    quantity: FormulaText | None = None
    unit: str = ""
    quantity_rounding: Rounding | None = None
    rate: FormulaText | None = None
    multiplier: FormulaText | None = None
    amount: FormulaText | None = None
    floor: FormulaText | None = None
    cap: FormulaText | None = None
    rounding: Rounding | None = None
    omit_zero: bool = True  # no line when the amount (money) or quantity (others) is 0
    note: str = ""


class LedgerKey(Strict):
    """A balance the ledger carries from month to month (``engine.ledger``).

    ``balance``: closing = opening + ``change`` (a formula seen after the rules, like a
    check, plus rule codes). ``comp_time``: hours kept by the month they were banked in;
    closing = opening − expired − ``used`` − ``settled`` + ``banked``, used first-in,
    first-out; hours older than ``expire_months`` months (a formula of parameters; 0 =
    never) expire at the start of a month. ``yearly`` keys restart at 0 each January.
    """

    label: str = ""
    label_en: str = ""
    unit: str = Field(min_length=1)
    kind: Literal["balance", "comp_time"] = "balance"
    yearly: bool = False
    change: FormulaText | None = None
    banked: FormulaText | None = None
    used: FormulaText | None = None
    settled: FormulaText | None = None
    expire_months: FormulaText | None = None
    payslip: bool = False  # print the balance on the payslip

    @model_validator(mode="after")
    def _parts_fit(self) -> "LedgerKey":
        comp = ("banked", "used", "settled", "expire_months")
        if self.kind == "balance":
            given = [k for k in comp if getattr(self, k) is not None]
            if given or self.change is None:
                raise ValueError("a balance key needs 'change' (and none of "
                                 "banked/used/settled/expire_months)")
        elif self.change is not None or self.banked is None or self.used is None:
            raise ValueError("a comp_time key needs 'banked' and 'used' (not 'change')")
        if self.kind == "comp_time" and self.unit != "h":
            raise ValueError("a comp_time key is counted in hours: unit must be 'h'")
        return self


LEDGER_KEY = r"^[a-z][a-z0-9_]*$"


class Check(Strict):
    code: Annotated[str, Field(pattern=CODE)]
    severity: Literal["error", "warning", "info"]
    when: FormulaText
    message: str = Field(min_length=1)
    reference: str = ""
    # hr: for the payroll team's reports only; employee: a plain note that may be printed
    # on the employee's payslip (write it without codes, names or legal references)
    audience: Literal["hr", "employee"] = "hr"


class PackFile(Strict):
    pack: Header
    parameters: dict[Ident, Parameter] = Field(default_factory=dict)
    roster: dict[Ident, RosterColumn] = Field(default_factory=dict)
    inputs: dict[Ident, InputSpec] = Field(default_factory=dict)
    variables: dict[Ident, Variable] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    ledger: dict[Annotated[str, Field(pattern=LEDGER_KEY)], LedgerKey] = Field(
        default_factory=dict)
    remove: list[str] = Field(default_factory=list)  # parent rule/check codes to drop
