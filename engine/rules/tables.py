"""Table parameters (tax bands) and rounding-mode parameters of a rule pack.

Between the pack's schema (``engine.rules.schema.Parameter`` with ``kind: table`` or
``kind: rounding_mode``) and the formulas (``engine.rules.formula``): a table is a dated
list of bands, each an upper bound (inclusive; the last band open), a rate and a quick
deduction (速算扣除数), validated when the pack loads. A table may stop at a date
(``until``): after it the table is still resolved, but every band lookup fails with a
message naming the table and the date, and ``table_valid(T)`` is 0 so a pack can fall
back (``cn-payroll`` taxes an annual bonus with the month's wages then).

A formula reads a table only as the first argument of ``band_rate``, ``band_quick``,
``band_index``, ``band_upper`` or ``table_valid`` (checked at load, ``misuse``); tables
never enter arithmetic. A rounding mode is kept as its number in ``MODE_CODES`` order so
that a formula can pass it through a variable to ``round_step(x, step, mode)``.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from engine.errors import EvaluationError
from engine.money import ROUNDING_MODES, round_to, to_decimal

BAND_FUNCTIONS = ("band_rate", "band_quick", "band_index", "band_upper", "table_valid")
MODE_CODES = tuple(ROUNDING_MODES)  # half_up = 1, half_even = 2, half_down = 3, up = 4 …
_ONE = Decimal(1)


@dataclass(frozen=True)
class Band:
    upper: Decimal | None  # None: the open last band
    rate: Decimal
    quick: Decimal


@dataclass(frozen=True)
class Table:
    """One table as in force for a period; ``valid`` is False after its ``until`` date."""

    name: str
    bands: tuple[Band, ...]
    effective: str
    until: str = ""
    valid: bool = True

    def band(self, x: Decimal) -> int:
        """Index (0-based) of the band holding ``x``: the first whose upper bound is ≥ x."""
        if not self.valid:
            raise EvaluationError(f"table {self.name} is valid until {self.until}; no band "
                                  "can be looked up after that date")
        for index, band in enumerate(self.bands):
            if band.upper is None or x <= band.upper:
                return index
        raise EvaluationError(f"table {self.name} has no band for {x}")  # pragma: no cover


def parse_bands(raw: object) -> tuple[Band, ...]:
    """Bands from the pack's list of ``{upto, rate, quick}``; ascending bounds, the last
    one open (no ``upto``), rates between 0 and 1. Raises ``ValueError`` with the reason."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("a table value is a non-empty list of bands {upto, rate, quick}")
    bands, previous = [], None
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict) or set(item) - {"upto", "rate", "quick"}:
            raise ValueError(f"band {n}: a band has the keys upto, rate, quick")
        if "rate" not in item:
            raise ValueError(f"band {n}: rate is missing")
        upper = _number(item["upto"], n, "upto") if item.get("upto") is not None else None
        rate = _number(item["rate"], n, "rate")
        quick = _number(item.get("quick", "0"), n, "quick")
        if not 0 <= rate <= 1:
            raise ValueError(f"band {n}: rate {rate} is not between 0 and 1")
        last = n == len(raw)
        if (upper is None) != last:
            raise ValueError(f"band {n}: only the last band is open (has no upto)"
                             if upper is None else "the last band must be open (no upto)")
        if upper is not None and previous is not None and upper <= previous:
            raise ValueError(f"band {n}: upper bound {upper} is not above {previous}")
        previous = upper
        bands.append(Band(upper, rate, quick))
    return tuple(bands)


def _number(value: object, n: int, key: str) -> Decimal:
    if isinstance(value, float) or isinstance(value, bool):
        raise ValueError(f"band {n}: {key} {value!r} must be a quoted number")
    try:
        return to_decimal(value)
    except ValueError as exc:
        raise ValueError(f"band {n}: {key}: {exc}") from None


def mode_code(name: str) -> Decimal:
    return Decimal(MODE_CODES.index(name) + 1)


def make_table(name: str, bands: tuple[Band, ...], effective: date,
               until: date | None, day: date) -> Table:
    return Table(name, bands, effective.isoformat(), until.isoformat() if until else "",
                 until is None or day <= until)


# --- formula functions ----------------------------------------------------------------


def _table(value: object, fn: str) -> Table:
    if not isinstance(value, Table):
        raise EvaluationError(f"{fn}() needs a table parameter as its first argument")
    return value


def as_number(value: object) -> Decimal:
    """A formula value as a Decimal (bool and int allowed); anything else is an error."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | int):
        return Decimal(int(value))
    raise EvaluationError(f"not a number: {value!r}")


def band_rate(table: object, x: object) -> Decimal:
    t = _table(table, "band_rate")
    return t.bands[t.band(as_number(x))].rate


def band_quick(table: object, x: object) -> Decimal:
    t = _table(table, "band_quick")
    return t.bands[t.band(as_number(x))].quick


def band_index(table: object, x: object) -> Decimal:
    """1-based band number (1 = the lowest band)."""
    t = _table(table, "band_index")
    return Decimal(t.band(as_number(x)) + 1)


def band_upper(table: object, x: object) -> Decimal:
    """Upper bound of x's band; -1 for the open last band."""
    t = _table(table, "band_upper")
    upper = t.bands[t.band(as_number(x))].upper
    return Decimal(-1) if upper is None else upper


def table_valid(table: object) -> Decimal:
    return _ONE if _table(table, "table_valid").valid else Decimal(0)


def round_step(x: object, step: object, mode: object) -> Decimal:
    """``x`` rounded to a multiple of ``step`` with the mode of code ``mode`` (a
    ``kind: rounding_mode`` parameter, or a variable choosing one)."""
    code = as_number(mode)
    if code != code.to_integral_value() or not 1 <= code <= len(MODE_CODES):
        raise EvaluationError(f"round_step(): {code} is not a rounding mode code "
                              "(use a rounding_mode parameter)")
    try:
        return round_to(as_number(x), as_number(step), MODE_CODES[int(code) - 1])
    except ValueError as exc:
        raise EvaluationError(f"round_step(): {exc}") from None


FUNCTIONS = {
    "band_rate": (band_rate, 2, 2), "band_quick": (band_quick, 2, 2),
    "band_index": (band_index, 2, 2), "band_upper": (band_upper, 2, 2),
    "table_valid": (table_valid, 1, 1), "round_step": (round_step, 3, 3),
}


def misuse(tree: ast.expr | None, tables: Mapping[str, object]) -> str | None:
    """Why a formula uses a table wrongly (anywhere but as the first argument of a band
    function, or a band function without a table), else None."""
    if tree is None:
        return None
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in BAND_FUNCTIONS):
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Name) and first.id in tables):
                return f"{node.func.id}() needs a table parameter as its first argument"
            allowed.add(id(first))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in tables and id(node) not in allowed:
            return (f"table {node.id} can only be the first argument of "
                    f"{', '.join(BAND_FUNCTIONS)}")
    return None
