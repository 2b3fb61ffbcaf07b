"""The columns of ``employees.csv`` and their data dictionary ``results/columns.csv``.

Part of the run folder stage. The per-code columns come from the rule pack, not from the
month: every code the pack can produce, in the pack's rule order, is a column every month
(``0.00`` / ``0`` when an employee has no line of it), so an importer maps columns once.
Money and quantities never share a column: a code's amount (CNY) is the column named by
the code, each unit its quantity can be counted in is a column of its own, suffixed with
the unit (``OT_WORKDAY_h``, ``LEAVE_PAID_day``, ``LEAVE_PAID_h``); days and hours are
never added. Quantities are written at ``DISPLAY_PLACES`` decimals at most (full precision
stays in ``line_items.parquet`` and ``traces.jsonl``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Sequence

from engine.rules.lines import Category, PayrollResult

DISPLAY_PLACES = 4  # quantities, rates and multipliers in the CSV files and the XLSX
_STEP = Decimal(1).scaleb(-DISPLAY_PLACES)
MONEY = (Category.EARNING.value, Category.DEDUCTION.value, Category.WITHHOLDING.value)
PER_ITEM_UNITS = ("day", "h")  # a per-leave rule without a unit counts each item in its own


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # field | amount | quantity
    label: str  # Chinese label
    label_en: str = ""
    unit: str = ""
    code: str = ""
    category: str = ""
    description: str = ""


FIXED: tuple[Column, ...] = (
    Column("userid", "field", "账号", "WeCom userid", description="the member's 账号 in WeCom"),
    Column("name", "field", "姓名", "Name", description="as printed on the payslip"),
    Column("status", "field", "状态", "Status", description="ok, error (no payslip) or missing (no WeCom record)"),
    Column("paid", "field", "已发放", "Paid", description="true when the employee has a payslip (status ok), false when held"),
    Column("department", "field", "部门", "Department", description="first WeCom department path, else the roster's"),
    Column("cost_centre", "field", "成本中心", "Cost centre", description="the roster's cost_centre column"),
    Column("earnings", "amount", "应发项目合计", "Earnings", "CNY", description="sum of the earning lines"),
    Column("deductions", "amount", "扣减合计", "Deductions", "CNY", description="sum of the deduction lines (negative)"),
    Column("gross", "amount", "应发合计", "Gross pay", "CNY", description="earnings + deductions"),
    Column("withholdings", "amount", "代扣合计", "Withholdings", "CNY", description="sum of the withholding lines: social insurance, housing fund, income tax (negative)"),
    Column("net", "amount", "实发", "Net", "CNY", description="gross + withholdings"),
    Column("comp_hours", "quantity", "调休时长", "Comp time banked", "h", description="comp time banked this month"),
    Column("problems", "field", "问题数", "Problems", description="number of problems of the employee (results/problems.csv)"),
)
DICTIONARY_COLUMNS = ("column", "kind", "code", "unit", "category", "label", "label_en",
                      "description")


def shown(value: Decimal) -> Decimal:
    """``value`` at the display precision: at most ``DISPLAY_PLACES`` decimals, half-up."""
    if value.as_tuple().exponent < -DISPLAY_PLACES:  # type: ignore[operator]
        return value.quantize(_STEP, ROUND_HALF_UP)
    return value


def suffix(unit: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", unit).strip("_") or "qty"


def _rule_columns(code: str, category: str, label: str, label_en: str,
                  units: Iterable[str]) -> list[Column]:
    out = []
    if category in MONEY:
        out.append(Column(code, "amount", label, label_en, "CNY", code, category,
                          f"{label_en or label}: amount of the {category} lines"))
    for unit in units:
        out.append(Column(f"{code}_{suffix(unit)}", "quantity", label, label_en, unit, code,
                          category, f"{label_en or label}: quantity in {unit}"))
    return out


def pack_columns(pack) -> tuple[Column, ...]:
    """One amount column per money rule and one quantity column per unit, in rule order."""
    out: list[Column] = []
    for rule in pack.rules:
        units = (rule.unit,) if rule.unit else (PER_ITEM_UNITS if rule.select else ())
        out += _rule_columns(rule.code, rule.category, rule.label, rule.label_en, units)
    return tuple(out)


def result_columns(result: PayrollResult) -> tuple[Column, ...]:
    """Without a pack (hand-built results): the codes and units the month's lines show."""
    seen: dict[str, tuple[str, str, str, list[str]]] = {}
    for emp in result.employees:
        for line in emp.lines:
            entry = seen.setdefault(line.code, (line.category.value, line.label,
                                                line.label_en, []))
            if line.unit and line.unit not in entry[3]:
                entry[3].append(line.unit)
    out: list[Column] = []
    for code, (category, label, label_en, units) in seen.items():
        out += _rule_columns(code, category, label, label_en, units)
    return tuple(out)


def employee_columns(result: PayrollResult, pack=None) -> tuple[Column, ...]:
    """Every column of ``employees.csv``: the fixed ones, then the pack's (or the month's)
    codes; a code or unit the pack did not announce is appended, never dropped."""
    codes = pack_columns(pack) if pack is not None else result_columns(result)
    known = {c.name for c in codes}
    extra = tuple(c for c in result_columns(result) if c.name not in known)
    return FIXED + codes + extra


def dictionary_rows(columns: Sequence[Column]) -> list[dict[str, str]]:
    """``results/columns.csv``: one row per employees.csv column, in the same order."""
    return [{"column": c.name, "kind": c.kind, "code": c.code, "unit": c.unit,
             "category": c.category, "label": c.label, "label_en": c.label_en,
             "description": c.description} for c in columns]
