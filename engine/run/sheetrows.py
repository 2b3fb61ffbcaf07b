"""The rows of a write-only openpyxl sheet, written as the very bytes openpyxl writes.

Run folder stage, under :mod:`engine.run.workbook` (``results/payroll.xlsx``). openpyxl
makes one cell object per value and serialises it through lxml's incremental writer:
some 10 µs a cell, 1.7 million cells and about 35 s on one core for a 10,000-employee
month, the longest step after the streamed fetch. :class:`SheetRows` writes the same
``<row>`` and ``<c>`` elements with string formatting into a temporary file and puts them
into the sheet openpyxl wrote without rows; openpyxl still writes everything around them
(styles, column widths, panes, the filter, the workbook itself).

The bytes are openpyxl's own, so the workbook is unchanged (its golden file and
determinism with it): a cell's style id is asked of a real openpyxl cell the first time
its combination of number format and quote prefix appears (openpyxl numbers styles in
the order it first meets them, as here), numbers go through openpyxl's ``safe_string``,
text is escaped as lxml escapes it, and ``tests/run/test_sheetrows.py`` compares the two
writers on crafted and random cells. Only what the workbook writes is supported: inline
strings (in their printable form, see :func:`engine.run.cells.xlsx_cell`), numbers with a
number format, empty cells.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from decimal import Decimal
from typing import Sequence

from openpyxl.cell import WriteOnlyCell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter

from engine.run.cells import TRIGGERS
from engine.safetext import printable

_EMPTY_DATA = b"<sheetData></sheetData>"
_BLOCK = 1 << 20
Cell = tuple[str | None, str | Decimal | None]  # (number format or None for text, value)


def _escaped(text: str) -> str:
    # what lxml does to text content; printable() has already removed every character
    # XML cannot carry (controls, "\r" included)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


class SheetRows:
    """Rows appended to ``ws`` (a write-only worksheet nothing has been appended to), then
    :meth:`close` in place of ``ws.close()``. Each cell is ``(None, text)`` for a string
    cell or ``(number_format, Decimal | None)`` for a number cell."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.row = 0
        self._file = tempfile.TemporaryFile()
        self._styles: dict[tuple[str | None, bool], str] = {}
        self._letters: list[str] = []
        self._out: list[str] = []

    def _style(self, number_format: str | None, quote: bool) -> str:
        """`` s="N"`` for the combination, or nothing for the default style, from an
        openpyxl cell made as :mod:`engine.run.workbook` made them (registering it)."""
        key = (number_format, quote)
        found = self._styles.get(key)
        if found is None:
            cell = WriteOnlyCell(self.ws, value=None)
            if number_format is not None:
                cell.number_format = number_format
            else:
                cell.quotePrefix = quote
            found = f' s="{cell.style_id}"' if cell.has_style else ""
            self._styles[key] = found
        return found

    def _letter(self, index: int) -> str:
        while len(self._letters) <= index:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters[index]

    def append(self, cells: Sequence[Cell]) -> None:
        self.row += 1
        row = str(self.row)
        out = self._out
        out.append(f'<row r="{row}">')
        if len(self._letters) < len(cells):
            self._letter(len(cells) - 1)
        letters, styles = self._letters, self._styles
        for index, (number_format, value) in enumerate(cells):
            if number_format is None:
                text = printable(value) if value else ""
                if not text:
                    continue  # an empty string cell has no style: openpyxl skips it
                key = (None, text[0] in TRIGGERS)  # is_live, for a non-empty text
                style = styles.get(key)
                if style is None:
                    style = self._style(*key)
                space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() \
                    else ""
                if "&" in text or "<" in text or ">" in text:
                    text = _escaped(text)
                out.append(f'<c r="{letters[index]}{row}"{style} t="inlineStr">'
                           f'<is><t{space}>{text}</t></is></c>')
                continue
            key = (number_format, False)
            style = styles.get(key)
            if style is None:
                style = self._style(*key)
            if value is None:
                out.append(f'<c r="{letters[index]}{row}"{style} t="n"></c>')
            else:
                # safe_string's text for a finite Decimal, without its type checks
                text = "%.16g" % value if isinstance(value, Decimal) and value.is_finite() \
                    else safe_string(value)
                out.append(f'<c r="{letters[index]}{row}"{style} t="n"><v>{text}</v></c>')
        out.append("</row>")
        if len(out) > 4096:
            self._flush()

    def _flush(self) -> None:
        # lxml writes openpyxl's sheets in ASCII: every other character as a reference
        self._file.write("".join(self._out).encode("ascii", "xmlcharrefreplace"))
        self._out = []

    def close(self) -> None:
        """Close the sheet: openpyxl writes it without rows, the rows go in its place."""
        self._flush()
        self.ws.close()
        path = self.ws._writer.out  # openpyxl's temporary file, zipped when the book is saved
        with open(path, "rb") as handle:
            written = handle.read()
        if written.count(_EMPTY_DATA) != 1:  # an openpyxl that writes sheets otherwise
            raise RuntimeError("openpyxl wrote an unexpected sheet: cannot add its rows")
        head, tail = written.split(_EMPTY_DATA)
        fd, spliced = tempfile.mkstemp(suffix=".xml", dir=os.path.dirname(path))
        with os.fdopen(fd, "wb") as out, self._file as rows:
            out.write(head + b"<sheetData>")
            rows.seek(0)
            shutil.copyfileobj(rows, out, _BLOCK)
            out.write(b"</sheetData>" + tail)
        os.replace(spliced, path)
