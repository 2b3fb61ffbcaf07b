"""Results of the compute stage: line items with their trace, and per-employee results.

These frozen models are the boundary between compute (``engine.rules``) and everything
after it: payslips, exports, verification. Money is ``Decimal`` (serialised as strings
in JSON); ``quantity`` and ``rate`` stay unrounded, ``amount`` is the rounded line amount.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.problems import Problem
from engine.wecom.models import MonthRecord


class Category(str, Enum):
    EARNING = "earning"
    DEDUCTION = "deduction"  # attendance deductions: reduce the gross pay (应发)
    WITHHOLDING = "withholding"  # 代扣: social insurance, housing fund, income tax
    TIME_BANK = "time_bank"
    INFO = "info"


class Status(str, Enum):
    OK = "ok"  # computed, payslip rendered
    ERROR = "error"  # a rule failed or a required roster value is missing: not paid by us
    MISSING = "missing"  # on the roster but WeCom returned no record for the month


class ParamUse(BaseModel):
    """A parameter value as resolved for the period, with its provenance."""

    model_config = ConfigDict(frozen=True)

    value: Decimal
    effective: str  # ISO date the value took effect
    unit: str = ""
    reference: str = ""


class Trace(BaseModel):
    """How one line was produced, for auditors."""

    model_config = ConfigDict(frozen=True)

    rule: str
    formula: str = ""
    inputs: dict[str, Decimal | str] = Field(default_factory=dict)
    parameters: dict[str, ParamUse] = Field(default_factory=dict)
    unrounded: Decimal = Decimal(0)
    rounding: str = ""  # e.g. "half_up 0.01"
    notes: tuple[str, ...] = ()


class LineItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    userid: str
    code: str
    category: Category
    label: str  # zh-CN
    label_en: str = ""
    quantity: Decimal = Decimal(0)
    unit: str = ""  # "h", "day", "times", "CNY", "month" …
    rate: Decimal = Decimal(0)
    multiplier: Decimal = Decimal(1)
    amount: Decimal = Decimal(0)  # deductions, withholdings negative; time_bank/info 0
    item: str = ""  # for per-item rules: the matched item (e.g. leave type name)
    trace: Trace


class Totals(BaseModel):
    """gross (应发合计) = earnings + deductions; net (实发) = gross + withholdings (扣款合计
    of social insurance, housing fund and tax); deductions and withholdings are negative."""

    model_config = ConfigDict(frozen=True)

    earnings: Decimal = Decimal(0)
    deductions: Decimal = Decimal(0)  # negative or zero
    net: Decimal = Decimal(0)
    comp_hours: Decimal = Decimal(0)  # time_bank hours banked this month
    gross: Decimal = Decimal(0)
    withholdings: Decimal = Decimal(0)  # negative or zero


# the money totals every export sums, in print order
MONEY_TOTALS = ("earnings", "deductions", "gross", "withholdings", "net")


class Balance(BaseModel):
    """One ledger balance of an employee for the month (set by ``engine.ledger``);
    ``parts`` breaks a comp-time change down (banked, used, settled, expired)."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str = ""
    label_en: str = ""
    unit: str = ""
    opening: Decimal = Decimal(0)
    change: Decimal = Decimal(0)
    closing: Decimal = Decimal(0)
    parts: dict[str, Decimal] = Field(default_factory=dict)


class EmployeeResult(BaseModel):
    """Everything known about one roster employee after compute."""

    model_config = ConfigDict(frozen=True)

    userid: str
    name: str = ""
    status: Status
    lines: tuple[LineItem, ...] = ()
    totals: Totals = Totals()
    problems: tuple[Problem, ...] = ()
    record: MonthRecord | None = None
    roster: dict[str, str] = Field(default_factory=dict)
    # the month's ledger movements the pack's formulas give (``KEY`` or ``KEY.banked`` …)
    ledger: dict[str, Decimal] = Field(default_factory=dict)
    balances: tuple[Balance, ...] = ()  # opening → closing, added by the ledger stage

    @property
    def departments(self) -> list[str]:
        return self.record.base_info.departments if self.record else []


class PackInfo(BaseModel):
    """Identity of the rule pack a run used (printed on payslips, checked by verify)."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str = ""
    sha256: str
    path: str = ""


class PayrollResult(BaseModel):
    """Output of the compute stage for a whole month."""

    model_config = ConfigDict(frozen=True)

    month: str
    pack: PackInfo
    employees: tuple[EmployeeResult, ...]
    meta: dict[str, Any] = Field(default_factory=dict)
