"""Writers for the run folder's ``results/``: CSV, JSON, Parquet and XLSX.

Called by the pipeline after compute. Each writer turns the rows of
:mod:`engine.run.tables` into bytes deterministically (fixed column order, no
timestamps: XLSX and Parquet metadata are pinned) and hands them to the atomic writer.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Collection, Iterable, Iterator, Sequence

from engine.run import cells
from engine.run.folder import atomic_write

_EPOCH = (1980, 1, 1, 0, 0, 0)
_BLOCK = 1 << 20


def csv_chunks(rows: Iterable[dict[str, str]], columns: Sequence[str],
               numeric: Collection[str] = ()) -> Iterator[bytes]:
    """The CSV's bytes a few thousand rows at a time (header first), every cell through
    the formula-safe writer (:mod:`engine.run.cells`); ``numeric`` names the columns whose
    plain decimals stay numbers."""
    return (chunk.encode("utf-8") for chunk in cells.csv_chunks(rows, columns, numeric))


def csv_bytes(rows: Iterable[dict[str, str]], columns: Sequence[str],
              numeric: Collection[str] = ()) -> bytes:
    return b"".join(csv_chunks(rows, columns, numeric))


def json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def write_csv(path: Path, rows: Iterable[dict[str, str]], columns: Sequence[str],
              numeric: Collection[str] = ()) -> Path:
    return atomic_write(path, csv_chunks(rows, columns, numeric))


def write_json(path: Path, data: Any) -> Path:
    return atomic_write(path, json_bytes(data))


def write_jsonl(path: Path, items: Iterable[Any]) -> Path:
    """One JSON object a line, written as the items come."""
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # json.dumps's own
    lines = (encode(item) + "\n" for item in items)
    return atomic_write(path, lines)


def parquet_bytes(rows: Iterable[dict[str, str]], columns: Sequence[str]) -> bytes:
    """Text columns (exact decimals as strings) so no importer sees a float.

    ``rows`` are read once, ``ROWS_PER_BLOCK`` at a time into Arrow's compact strings, so a
    stream of a month's lines is never held as Python rows; the blocks are joined before
    writing (the file's pages do not depend on how the rows came). The memory Arrow freed
    is handed back to the system at the end: its allocator would keep it for the rest of
    the run."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    blocks: dict[str, list] = {c: [] for c in columns}
    for block in _blocks(rows):
        for c in columns:
            blocks[c].append(pa.array([r.get(c, "") for r in block], type=pa.string()))
    empty = pa.array([], type=pa.string())
    table = pa.table({c: pa.concat_arrays(blocks.pop(c)) if blocks[c] else empty
                      for c in columns})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    del table
    pa.default_memory_pool().release_unused()
    return sink.getvalue()


# rows held as Python dicts at a time: 50,000 of them took some 90 MB, Arrow's strings of
# a whole month's lines take less
ROWS_PER_BLOCK = 4096


def _blocks(rows: Iterable[dict[str, str]]) -> Iterator[list[dict[str, str]]]:
    block: list[dict[str, str]] = []
    for row in rows:
        block.append(row)
        if len(block) == ROWS_PER_BLOCK:
            yield block
            block = []
    if block:
        yield block


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _normalise_zip(src_file: BinaryIO, dst_file: BinaryIO, stamp: str) -> None:
    """Rewrite a zip with fixed entry dates and a pinned ``modified`` property
    (openpyxl stamps the wall clock into both when it saves)."""
    with zipfile.ZipFile(src_file) as src, \
            zipfile.ZipFile(dst_file, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            if info.filename == "docProps/core.xml":
                body = _MODIFIED.sub(rb"\g<1>" + stamp.encode() + rb"\g<2>",
                                     src.read(info.filename))
                dst.writestr(fixed, body)
                continue
            # a month's sheet is far larger unpacked than packed: copied a block at a
            # time (deflate's output does not depend on how its input is cut)
            with src.open(info) as body, dst.open(fixed, "w") as copy:
                for block in iter(lambda: body.read(_BLOCK), b""):
                    copy.write(block)


def pinned_workbook(book, created: str) -> bytes:
    """An openpyxl workbook's bytes with its dates pinned to ``created`` (ISO date-time),
    for workbooks built elsewhere (the roster template of ``payroll init``)."""
    with _pinned(book, created) as handle:
        return handle.read()


def write_pinned_workbook(path: Path, book, created: str) -> Path:
    """:func:`pinned_workbook` written to ``path`` a block at a time: a month's workbook
    is never whole in memory (saved, then normalised, through temporary files)."""
    with _pinned(book, created) as handle:
        return atomic_write(path, iter(lambda: handle.read(_BLOCK), b""))


def _save_stored(book, handle: BinaryIO) -> None:
    """``book.save`` into an uncompressed zip: :func:`_normalise_zip` compresses each
    entry once, where a saved workbook would be compressed, unpacked and compressed again
    (a month's sheets are a few hundred megabytes of XML)."""
    from openpyxl.writer.excel import ExcelWriter

    if book.write_only and not book.worksheets:
        book.create_sheet()  # as Workbook.save does
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()


@contextmanager
def _pinned(book, created: str) -> Iterator[BinaryIO]:
    """The pinned workbook in a temporary file, read from its start."""
    from datetime import datetime

    stamp = datetime.fromisoformat(created)
    book.properties.created = book.properties.modified = stamp
    book.properties.creator = "wecom-payroll"
    with tempfile.TemporaryFile() as saved, tempfile.TemporaryFile() as pinned:
        _save_stored(book, saved)
        saved.seek(0)
        _normalise_zip(saved, pinned, stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
        pinned.seek(0)
        yield pinned
