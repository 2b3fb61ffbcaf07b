"""Spreadsheet-safe cells: the one place every CSV and XLSX writer of a run goes through.

Used by :mod:`engine.run.exports` (writers) and :mod:`engine.run.compare` (readers). A
name, department or userid from WeCom or a roster such as ``=HYPERLINK(…)``,
``+cmd|' /C calc'!A0``, ``@SUM(1)`` or ``-2+3`` would run as a formula when finance opens
a CSV in Excel or LibreOffice. Following OWASP's advice for CSV injection, a text cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or the full-width
``＝＋－＠``, which some spreadsheet locales also accept) gets a leading ``'``: the
spreadsheet shows it as text and runs nothing.

The rule is reversible, so our own readers (``payroll verify``, ``payroll diff``,
:func:`read_csv` for library users) see the original value: a leading ``'`` is added to
every value made of zero or more ``'`` followed by a trigger, and removed again from
every value of that form with at least one ``'``. Values of any other form are written
as they are.

Numbers stay numbers: a cell of a numeric column (by the table's schema) that is a plain
decimal such as ``-401.67`` is left alone. XLSX cells are typed values: strings are
always written as strings (never formulas, whatever their first character, and with the
"quote prefix" style so that editing the cell in Excel does not turn it into a formula
either), numbers as numbers, and strings in their printable form
(:func:`engine.safetext.printable`), since XML cannot carry control characters.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any, Collection, Iterable, Iterator, Sequence

from engine.safetext import printable

TRIGGERS = "=+-@\t\r＝＋－＠"
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r＝＋－＠]")
_QUOTE = re.compile(r'[",\r\n]')
_BREAK = re.compile(r'["\r\n]')
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_FIRST = frozenset("'" + TRIGGERS)  # a value needing the quote starts with one of these


def neutralise(value: str, numeric: bool = False) -> str:
    """The cell text to write for ``value`` (see the module docstring)."""
    if not value or value[0] not in _FIRST:  # most cells: nothing to look at further
        return value
    if numeric and _NUMBER.fullmatch(value):
        return value
    return "'" + value if _NEEDS_QUOTE.match(value) else value


def restore(value: str) -> str:
    """The original value of a cell written by :func:`neutralise`."""
    return value[1:] if value.startswith("'") and _NEEDS_QUOTE.match(value) else value


def is_live(value: str) -> bool:
    """Whether a spreadsheet would treat this CSV cell as a formula (for tests and audits)."""
    return bool(value) and value[0] in TRIGGERS


def xlsx_cell(sheet, value: Any):
    """A typed write-only XLSX cell: a string is a string cell (never a formula) in its
    printable form, with the quote prefix when it would look like a formula once edited;
    an empty string is an empty cell; anything else (a Decimal) is a number."""
    from openpyxl.cell import WriteOnlyCell

    if not isinstance(value, str):
        return WriteOnlyCell(sheet, value=value)
    text = printable(value)
    cell = WriteOnlyCell(sheet, value=text or None)
    if text:
        cell.data_type = "s"
        cell.quotePrefix = is_live(text)
    return cell


ROWS_PER_CHUNK = 2000  # rows encoded together when an export is written as it is made


def csv_chunks(rows: Iterable[dict[str, str]], columns: Sequence[str],
               numeric: Collection[str] = ()) -> Iterator[str]:
    """CSV with a header, a few thousand rows at a time; every text cell (and header name)
    neutralised, plain numbers of ``numeric`` columns kept as numbers. A row key outside
    ``columns`` is a bug: refused."""
    columns = list(columns)
    flags, known = [c in numeric for c in columns], set(columns)
    out = [record(neutralise(c) for c in columns)]
    for n, row in enumerate(rows, start=1):
        if not row.keys() <= known:
            raise ValueError(f"row has fields not in the columns: {sorted(row.keys() - known)}")
        out.append(record([neutralise(str(row.get(c, "")), flag)
                           for c, flag in zip(columns, flags)]))
        if n % ROWS_PER_CHUNK == 0:
            yield "".join(out)
            out = []
    yield "".join(out)


def csv_text(rows: Iterable[dict[str, str]], columns: Sequence[str],
             numeric: Collection[str] = ()) -> str:
    """The whole CSV of :func:`csv_chunks` as one string."""
    return "".join(csv_chunks(rows, columns, numeric))


def records_text(records: Iterable[Sequence[str]]) -> str:
    """CSV of plain records (the first one the header), every cell neutralised."""
    return "".join(record(neutralise(c) for c in fields) for fields in records)


def record(fields: Iterable[str]) -> str:
    """One CSV record, every field already neutralised."""
    fields = list(fields)
    line = ",".join(fields)
    # the usual record: no field holds a comma (one fewer than the fields in the line), a
    # quote or a line break, so none is quoted
    if line.count(",") == len(fields) - 1 and not _BREAK.search(line):
        return line + "\n"
    # RFC 4180 by hand: the csv module leaves a lone "\r" unquoted when the line ends in
    # "\n", and a reader then cuts the row there
    return ",".join(f'"{f.replace(chr(34), chr(34) * 2)}"' if _QUOTE.search(f) else f
                    for f in fields) + "\n"


def parse_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV written by :func:`csv_text`, with original values."""
    records = csv.reader(io.StringIO(text, newline=""))
    header = [restore(c) for c in next(records, [])]
    rows = [dict(zip(header, (restore(v) for v in record))) for record in records if record]
    return header, rows


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A run folder's CSV file (``results/*.csv``, ``manifest.csv``) as the engine wrote
    its values: the Python reader to use instead of ``csv.DictReader``."""
    return parse_csv(path.read_bytes().decode("utf-8"))  # no newline translation: "\r" is data
