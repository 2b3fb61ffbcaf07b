"""The cell writer every export of this room goes through (CSV text and XLSX cells).

One place so that the rule is the same in every file: a text cell that a spreadsheet
would take for a formula (first character ``=``, ``+``, ``-``, ``@``, tab, carriage
return, or their full-width forms) is written with a leading ``'``; numbers of numeric
columns are left alone; XLSX strings are always string cells, never formulas. The reader
(:func:`parse_csv`) undoes the prefix, so verify sees the original values.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any, Collection, Iterable, Sequence

_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r＝＋－＠]")
_QUOTE = re.compile(r'[",\r\n]')
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
TRIGGERS = "=+-@\t\r＝＋－＠"
MONEY_FORMAT = "0.00"


def neutralise(value: str, numeric: bool = False) -> str:
    """The cell text to write for ``value``."""
    if numeric and _NUMBER.fullmatch(value):
        return value
    return "'" + value if _NEEDS_QUOTE.match(value) else value


def restore(value: str) -> str:
    """The original value of a cell written by :func:`neutralise`."""
    return value[1:] if value.startswith("'") and _NEEDS_QUOTE.match(value) else value


def is_live(value: str) -> bool:
    """Whether a spreadsheet would treat this cell text as a formula."""
    return bool(value) and value[0] in TRIGGERS


def record(fields: Iterable[str]) -> str:
    # RFC 4180 by hand: the csv module leaves a lone "\r" unquoted
    return ",".join(f'"{f.replace(chr(34), chr(34) * 2)}"' if _QUOTE.search(f) else f
                    for f in fields) + "\n"


def csv_text(rows: Iterable[dict[str, str]], columns: Sequence[str],
             numeric: Collection[str] = (), head: Sequence[Sequence[str]] = ()) -> str:
    """CSV: ``head`` records first (a bank's control lines), then the header and rows;
    every text cell neutralised, plain numbers of ``numeric`` columns kept."""
    out = [record(neutralise(c) for c in line) for line in head]
    out.append(record(neutralise(c) for c in columns))
    for row in rows:
        out.append(record(neutralise(str(row.get(c, "")), c in numeric) for c in columns))
    return "".join(out)


def parse_csv(text: str) -> list[list[str]]:
    """Every record of a CSV written by :func:`csv_text`, with original values."""
    return [[restore(v) for v in rec] for rec in csv.reader(io.StringIO(text, newline=""))
            if rec]


def xlsx_cell(sheet, value: Any):
    """A typed write-only XLSX cell: Decimal as an exact number, text as a string cell
    (never a formula; the quote prefix style when it looks like one), "" as empty."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Decimal):
        # openpyxl writes the shortest text that reads back as the same double: the exact
        # decimal for every amount up to 15 significant digits (Excel holds no more)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = MONEY_FORMAT
        return cell
    text = str(value)
    cell = WriteOnlyCell(sheet, value=text or None)
    if text:
        cell.data_type = "s"
        cell.quotePrefix = is_live(text)
    return cell
