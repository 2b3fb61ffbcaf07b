"""``results/contributions.csv``: social insurance and housing fund by city and item.

Exports stage, for reconciling the month's withholdings with the social-insurance and
housing-fund offices' bills. One row per city and item (养老, 医疗, 失业, 公积金, 补充公积金)
of the paid employees (the city as the pack reads the roster's ``city``: 上海市 and
shanghai are 上海, an empty cell the pack's default): how many employees, the total of their bases and of the employee
share withheld (a positive amount); then, per item, a row over all cities (city 合计),
and a last row with the amount of every item (item 合计). Each total is the sum of the
rows above it, and every amount the sum of the withholding lines of ``line_items.csv``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Sequence

from engine.exports import safe
from engine.rules.lines import EmployeeResult, LineItem

FILE = "contributions.csv"
ITEMS = ("SI_PENSION", "SI_MEDICAL", "SI_UNEMPLOYMENT", "HOUSING_FUND", "HOUSING_FUND_EXTRA")
COLUMNS = ("city", "item", "label", "employees", "base_total", "amount_total")
NUMERIC = frozenset({"employees", "base_total", "amount_total"})
TOTAL = "合计"


def base_of(line: LineItem) -> Decimal:
    """The base the line was computed on: its quantity (base × rate = amount)."""
    return line.quantity


def city_names(pack) -> tuple[dict[str, str], str]:
    """How the pack reads the roster's ``city`` column: each accepted spelling (上海市,
    shanghai …) to the first name of its city, and the city of an empty cell."""
    column = pack.roster.get("city") if pack is not None else None
    if column is None or not column.choices:
        return {}, ""
    first: dict[str, str] = {}
    for name, code in column.choices.items():
        first.setdefault(code, name)
    names = {name.strip().lower(): first[code] for name, code in column.choices.items()}
    return names, first.get(str(column.default), "")


def city_of(emp: EmployeeResult, cities: tuple[dict[str, str], str]) -> str:
    raw = emp.roster.get("city", "").strip()
    names, default = cities
    return names.get(raw.lower(), raw) if raw else default


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def table(paid: Sequence[EmployeeResult], pack=None) -> list[dict[str, str]]:
    """The rows of the file, totals included; cities named as the pack reads them."""
    cities = city_names(pack)
    cells: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    labels: dict[str, str] = {}
    for emp in paid:
        for line in emp.lines:
            if line.code not in ITEMS:
                continue
            acc = cells[(city_of(emp, cities), line.code)]
            acc[0] += 1
            acc[1] += base_of(line)
            acc[2] += -line.amount
            labels.setdefault(line.code, line.label)
    order = {code: i for i, code in enumerate(ITEMS)}
    keys = sorted(cells, key=lambda k: (order[k[1]], k[0]))
    rows, by_item = [], defaultdict(lambda: [Decimal(0)] * 3)
    for city, code in keys:
        acc = cells[(city, code)]
        rows.append(_row(city, code, labels[code], acc))
        by_item[code] = [a + b for a, b in zip(by_item[code], acc)]
    rows += [_row(TOTAL, code, labels[code], acc) for code, acc in by_item.items()]
    grand = sum((acc[2] for acc in by_item.values()), Decimal(0))
    rows.append({"city": TOTAL, "item": TOTAL, "label": TOTAL, "employees": "",
                 "base_total": "", "amount_total": _money(grand)})
    return rows


def _row(city: str, code: str, label: str, acc: list[Decimal]) -> dict[str, str]:
    return {"city": city, "item": code, "label": label, "employees": str(acc[0]),
            "base_total": _money(acc[1]), "amount_total": _money(acc[2])}


def build(paid: Sequence[EmployeeResult], pack=None) -> bytes:
    return safe.csv_text(table(paid, pack), COLUMNS, NUMERIC).encode("utf-8")
