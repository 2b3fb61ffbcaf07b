"""Reading a roster file into a table of text cells: CSV in any encoding Excel writes, or XLSX.

First step of the roster edge (then :mod:`engine.roster.parse`). The format is decided
by the file's content, not its name: a ZIP (``PK``) is an XLSX workbook, an old binary
``.xls`` is refused with how to re-save it, anything else is delimited text. Text is
decoded, in this order, as UTF-16 (only with its byte-order mark: Excel's "Unicode
text"), UTF-8 (with or without BOM) and GB18030, the superset of GBK that Excel writes
on Chinese Windows ("CSV (逗号分隔)"). A file that is none of them is refused with the
byte offset and how to re-save it. The delimiter (``,``, tab or ``;``) is the most
frequent one in the header line. Every row keeps the line (CSV) or row (XLSX) number it
came from, so each later problem can name it.
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from engine.errors import RosterError
from engine.files import read_input

RESAVE = ("re-save it from Excel as \"CSV UTF-8 (逗号分隔) (*.csv)\" or as an Excel workbook "
          "(*.xlsx)")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
_EXCEL_DIGITS = 15  # Excel shows and keeps 15 significant digits of a number


class Table(BaseModel):
    """A roster file as text: its header cells and numbered rows (blank rows dropped)."""

    model_config = ConfigDict(frozen=True)

    source: str
    encoding: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line or row number, cells)
    xlsx: bool = False


def decode(data: bytes, source: str) -> tuple[str, str]:
    """The text of a delimited file and the name of the encoding that decoded it."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise RosterError(f"not valid UTF-16 text (byte offset {exc.start}); {RESAVE}",
                              path=source) from exc
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as utf8:
        if bom:  # a UTF-8 BOM promises UTF-8: a bad byte is damage, not another encoding
            raise RosterError(f"not valid UTF-8 text: byte 0x{data[utf8.start]:02x} at byte "
                              f"offset {utf8.start}; {RESAVE}", path=source) from utf8
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as gb:
            where = [f"byte 0x{data[e.start]:02x} at byte offset {e.start}" for e in (utf8, gb)]
            detail = (f"{where[0]} is neither UTF-8 nor GB18030/GBK" if utf8.start == gb.start
                      else f"{where[0]} is not UTF-8 and {where[1]} is not GB18030/GBK")
            raise RosterError(f"cannot decode the file: {detail}; {RESAVE}",
                              path=source) from gb


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def read_csv_text(text: str, source: str, encoding: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, tuple[str, ...]]] = []
    header: tuple[str, ...] | None = None
    try:
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if _blank(cells):
                continue
            if header is None:
                header = tuple(cells)
            else:
                rows.append((start, tuple(cells)))
    except csv.Error as exc:
        raise RosterError(f"malformed CSV: {exc}", path=source, line=reader.line_num) from exc
    return Table(source=source, encoding=encoding, header=header or (), rows=tuple(rows))


def excel_text(value: object) -> str:
    """A cell value as the text Excel shows: numbers to 15 significant digits, so a
    computed ``9570.110000000001`` reads as the ``9570.11`` on screen; never a float."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return repr(value)
        exact = Decimal(repr(value))
        digits = exact.adjusted() + 1
        places = max(0, _EXCEL_DIGITS - digits)
        text = format(round(exact, places), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes, source: str) -> Table:
    from openpyxl import load_workbook  # only when an XLSX roster is given

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types
        raise RosterError(f"cannot open the workbook: {exc}", path=source) from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise RosterError("the workbook has no sheet", path=source)
        header: tuple[str, ...] | None = None
        rows: list[tuple[int, tuple[str, ...]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [excel_text(v) for v in values]
            if _blank(cells):
                continue
            if header is None:
                header = tuple(c.strip() for c in cells)
            else:
                rows.append((number, tuple(cells)))
    finally:
        book.close()
    return Table(source=source, encoding="xlsx", header=header or (), rows=tuple(rows),
                 xlsx=True)


def read_table(data: bytes, source: str) -> Table:
    """The table of a roster file's bytes, whatever the supported format."""
    if data.startswith(_ZIP):
        return read_xlsx(data, source)
    if data.startswith(_OLE):
        raise RosterError("an old Excel .xls workbook cannot be read; save it as an Excel "
                          "workbook (*.xlsx) or as \"CSV UTF-8 (逗号分隔) (*.csv)\"", path=source)
    text, encoding = decode(data, source)
    return read_csv_text(text, source, encoding)


def read_file(path: Path) -> Table:
    # a regular file only (a FIFO or /dev/zero is refused before opening), size-capped
    data = read_input(path, "roster", error=RosterError)
    return read_table(data, str(path))
