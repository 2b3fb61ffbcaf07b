"""Amounts as people write them in a roster: ``¥12,000.00``, ``12000元``, ``１２０００``.

Input edge of the compute stage (used by :mod:`engine.roster.parse` for every amount
column). A cell is turned into an exact ``Decimal`` or refused with a reason a payroll
clerk can act on; nothing is guessed. Accepted, after Unicode NFKC normalisation (which
turns full-width digits, ``，``, ``．``, ``－`` and ``￥`` into their ASCII forms):

- an optional sign ``-`` or ``+``;
- an optional currency mark before the number (``¥``, ``RMB``, ``CNY``, ``人民币``) or
  after it (``元``, ``RMB``, ``CNY``), with optional spaces;
- digits with an optional fraction; thousands separators ``,`` only in groups of three
  (``12,000.50``), so ``12,00`` or ``1.200,50`` are refused as ambiguous.

Refused with a reason: empty text, exponents (``1e4``), ``NaN``/``Infinity``, ``万``
multipliers, parentheses, two numbers in one cell, any other text.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from engine.errors import PayrollError

_PREFIX = r"(?:¥|RMB|CNY|人民币)"
_SUFFIX = r"(?:元|圆|RMB|CNY)"
_NUMBER = r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?"
_AMOUNT = re.compile(rf"(?P<sign>[-+])?\s*(?:{_PREFIX}\s*)?(?P<sign2>[-+])?{_NUMBER}"
                     rf"\s*(?:{_SUFFIX})?", re.IGNORECASE | re.ASCII)
_SPACES = re.compile(r"[\s\u00a0\u3000]+")


class AmountError(PayrollError, ValueError):
    """A cell is not an amount the engine can read exactly; ``reason`` says why."""

    exit_code = 3

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r} is not an amount: {reason}")
        self.text, self.reason = text, reason


def _why_not(text: str) -> str:
    """The most useful reason a normalised cell was refused."""
    lowered = text.lower()
    if re.search(r"\d[eE][-+]?\d", text):
        return "exponent notation; write the plain number, e.g. 12000.00"
    if lowered.strip("+-") in ("nan", "inf", "infinity"):
        return "not a finite number"
    if "万" in text or "千" in text:
        return "multipliers such as 万 are not read; write the full amount, e.g. 12000"
    if "(" in text or ")" in text:
        return "parentheses are not read as a sign; write a minus sign"
    if re.search(r"\d,\d{1,2}(?!\d)", text) or re.search(r"\d\.\d{3},", text):
        return ("ambiguous separators: use ',' only between groups of three digits and '.' "
                "before the fen, e.g. 12,000.50")
    if re.search(r"\d,\d{4,}", text) or re.search(r",\d{3}\.\d+,", text):
        return "thousands separators must split the digits into groups of three"
    if text.count(".") > 1:
        return "more than one decimal point"
    if not re.search(r"\d", text):
        return "no digits"
    return "unexpected characters; write digits with an optional ¥ or 元, e.g. ¥12,000.00"


def parse_amount(raw: str) -> Decimal:
    """The exact value of an amount cell, or :class:`AmountError` naming the reason."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", raw)).strip()
    if not text:
        raise AmountError(raw, "empty")
    found = _AMOUNT.fullmatch(text)
    if found is None or (found["sign"] and found["sign2"]):
        raise AmountError(raw, _why_not(text))
    digits = found["int"].replace(",", "")
    value = Decimal(f"{digits}.{found['frac']}" if found["frac"] is not None else digits)
    return -value if "-" in (found["sign"] or found["sign2"] or "") else value


def canonical(value: Decimal) -> str:
    """Plain decimal text of a parsed amount (what the rules read back from the roster)."""
    return format(value, "f")
