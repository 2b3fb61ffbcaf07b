"""Text from WeCom or a roster made safe to show: one printable form for every output.

Used wherever a value meets a human reader: payslips (``engine.payslip``), the finance
summary and the XLSX workbook (``engine.run``), terminal messages. A name, department or
userid may hold characters that cannot or must not be shown as they are:

- control characters (U+0000–U+001F, U+007F–U+009F): invisible, break XML (XLSX) and
  can drive a terminal;
- unassigned code points, noncharacters, private-use characters and lone surrogates:
  no font draws them and UTF-8 cannot carry a lone surrogate;
- bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+200E/F,
  U+061C): they reorder what is shown around them ("Trojan Source" spoofing);
- line and paragraph separators (U+2028, U+2029).

Each of them is shown as ``[U+XXXX]`` (ASCII, drawn by every font, names the exact code
point; a replacement character would hide which one it was). A character that is fine
in itself but that no installed font draws (an emoji on a payslip) gets the same form on
the PDFs (see ``engine.payslip.fonts``). The data files (CSV, Parquet, JSON, the data
embedded in each payslip) keep the exact text: they are the record importers key on.
:func:`text_problems` reports each affected field as a warning, so nothing is altered
silently.
"""

from __future__ import annotations

import unicodedata
from typing import Iterable, Iterator

from engine.problems import Problem, warning

_BIDI = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Cn", "Co", "Zl", "Zp"})


def escape(ch: str) -> str:
    """The printable form of one character."""
    return f"[U+{ord(ch):04X}]"


def unsafe(ch: str) -> bool:
    """Whether ``ch`` must not be shown as it is (see the module docstring)."""
    return ord(ch) in _BIDI or unicodedata.category(ch) in _UNSAFE_CATEGORIES


def printable(text: str) -> str:
    """``text`` with every unsafe character replaced by its ``[U+XXXX]`` form."""
    if text.isascii() and text.isprintable():  # the common case, without a loop
        return text
    return "".join(escape(ch) if unsafe(ch) else ch for ch in text)


def unsafe_code_points(text: str) -> list[str]:
    """The unsafe characters of ``text`` as ``U+XXXX``, sorted and unique."""
    if text.isascii() and text.isprintable():
        return []
    return [f"U+{point:04X}" for point in sorted({ord(ch) for ch in text if unsafe(ch)})]


def printable_tree(value):
    """``value`` (nested dicts, lists, tuples of strings) with every string made printable."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {k: printable_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(printable_tree(v) for v in value)
    return value


def _fields(emp) -> Iterator[tuple[str, str]]:
    yield "userid", emp.userid
    yield "name", emp.name
    if emp.record is not None:
        base = emp.record.base_info
        yield "name_ex", base.name_ex
        yield "departs_name", base.departs_name
        yield "rule_info.groupname", base.rule_info.groupname
        for item in emp.record.sp_items:
            yield "sp_items.name", item.name
    for column, value in emp.roster.items():
        yield f"roster.{column}", value


def text_problems(employees: Iterable) -> list[Problem]:
    """One warning per employee field holding unsafe characters (pure; run and verify
    both call it, so the warnings are part of what a recomputation must reproduce)."""
    out = []
    for emp in employees:
        seen: set[str] = set()
        for field, value in _fields(emp):
            points = unsafe_code_points(value or "")
            if points and field not in seen:
                seen.add(field)
                out.append(warning(
                    "inputs", "unprintable_text",
                    f"{field} holds {', '.join(points[:8])}{' …' if len(points) > 8 else ''}"
                    f" (control, unassigned or direction-changing characters); shown as "
                    f"[U+XXXX] on payslips, the finance summary and payroll.xlsx, kept exact "
                    f"in the data files", userid=emp.userid, field=field))
    return out
