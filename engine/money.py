"""Money and quantities as ``Decimal``: parsing, rounding, amounts in Chinese capitals.

Used by every stage that touches an amount. Values are built from ``str``/``int`` only;
a ``float`` is refused because its binary value is not the number a person wrote.
Rounding happens only where a rule says so, with the rule's mode and step.
"""

from __future__ import annotations

from decimal import (ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_EVEN,
                     ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation)

ZERO = Decimal(0)
CENT = Decimal("0.01")
# How close (in half steps) a computed value must be to a rounding boundary to be taken as
# lying on it; see ``snap`` and "Exact rounding" in rules/README.md for why 1e-10.
TIE_TOLERANCE = Decimal("1e-10")

ROUNDING_MODES = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
    "half_down": ROUND_HALF_DOWN,
    "up": ROUND_UP,
    "down": ROUND_DOWN,
    "ceiling": ROUND_CEILING,
    "floor": ROUND_FLOOR,
}


def to_decimal(value: object) -> Decimal:
    """Exact conversion of a str/int/Decimal; floats and junk raise ``ValueError``."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"refusing inexact number {value!r}: write it as a string")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if not result.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return result
    raise ValueError(f"not a number: {value!r}")


def snap(value: Decimal, step: Decimal = CENT) -> Decimal:
    """``value`` moved onto the nearest multiple of ``step / 2`` when it lies within
    ``TIE_TOLERANCE`` half steps of it, else ``value`` unchanged.

    The formulas are evaluated in 28 significant digits, so a quotient such as
    8700.10 / 174 is rounded and an exact tie (2175.025) arrives as 2175.0249999…; every
    rounding boundary of every mode (the ties of the half modes, the multiples of the step
    of the directed ones) is a multiple of half a step, and a value of the engine's
    arithmetic that is not on a boundary is provably farther from it than the tolerance
    (rules/README.md, "Exact rounding"), so snapping restores the exact boundary and
    nothing else.
    """
    halves = value / (step / 2)
    nearest = halves.to_integral_value()
    # ``halves`` may itself have rounded onto the boundary (8.5749…9 / 0.005 = 1715 in 28
    # digits): the value is then within the tolerance and snaps too
    if abs(halves - nearest) > TIE_TOLERANCE:
        return value
    return nearest * step / 2


def round_to(value: Decimal, step: Decimal = CENT, mode: str = "half_up") -> Decimal:
    """Round ``value`` to a multiple of ``step`` (0.01, 0.5, 1 …) with a named mode,
    exactly: a value within ``TIE_TOLERANCE`` of a boundary is rounded as lying on it."""
    if mode not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {mode!r}; use one of {sorted(ROUNDING_MODES)}")
    if step <= 0:
        raise ValueError("rounding step must be positive")
    units = (snap(value, step) / step).quantize(Decimal(1), rounding=ROUNDING_MODES[mode])
    return (units * step).quantize(step) if step.as_tuple().exponent < 0 else units * step


def fmt_money(value: Decimal) -> str:
    """``1234.5`` → ``"1,234.50"`` (no float on the way)."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL = ["", "拾", "佰", "仟"]
_BIG = ["", "万", "亿", "兆"]


def _four(group: int) -> str:
    out, zero = "", False
    for pos in range(3, -1, -1):
        digit = group // 10**pos % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _SMALL[pos]
    return out


def _integer_capitals(n: int) -> str:
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    for idx in range(len(groups) - 1, -1, -1):
        group = groups[idx]
        if group == 0:
            if out and not out.endswith("零"):
                out += "零"
            continue
        if out and group < 1000 and not out.endswith("零"):
            out += "零"
        out += _four(group) + _BIG[idx]
    return out.rstrip("零")


def to_capitals(amount: Decimal) -> str:
    """Amount in Chinese financial capitals (大写金额), e.g. ``壹仟零伍元整``."""
    cents = int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)
    sign = "负" if cents < 0 else ""
    cents = abs(cents)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = _integer_capitals(yuan) + "元" if yuan or not (jiao or fen) else ""
    if not jiao and not fen:
        return sign + text + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text
