"""The ledger on disk: ``results/ledger.csv`` rows, and opening-balance imports.

Edge of the ledger stage. ``export_rows`` gives the rows as text for the run folder's
writers (CSV and Parquet, decimal text, never float); ``read_ledger`` reads a previous
run's ``results/ledger.csv``; ``read_opening`` reads an opening-balances file (CSV or
XLSX) for a company adopting the engine mid-year and reports every bad row at once.

Opening file columns: ``userid``, ``key``, ``value`` (the closing balance of the month
before the first run), optional ``unit`` and ``note``. Keys are the pack's ledger keys;
comp time may be split by the month it was banked in (``comp_h@2026-05``), otherwise the
whole balance counts as banked in the month before the first run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

from engine.errors import LedgerError
from engine.ledger.books import month_index
from engine.ledger.models import COLUMNS, LOT, Ledger, Row
from engine.money import to_decimal

OPENING_COLUMNS = ("userid", "key", "value")
_LOT_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def export_rows(ledger: Ledger) -> list[dict[str, str]]:
    return list(export_row_stream(ledger))


def export_row_stream(ledger: Ledger) -> Iterator[dict[str, str]]:
    """The rows of ``export_rows`` one at a time (a large month's ledger is not held)."""
    return ({"userid": r.userid, "key": r.key, "unit": r.unit, "opening": _text(r.opening),
             "change": _text(r.change), "closing": _text(r.closing)} for r in ledger.rows)


def _text(value: Decimal) -> str:
    return format(value, "f")


def read_rows(path: Path, what: str) -> list[tuple[int, dict[str, str]]]:
    """(line, header → cell) of a CSV/XLSX file, read like a roster (any encoding the
    roster accepts); an unreadable file is a ``LedgerError`` naming it."""
    from engine.errors import InputError
    from engine.roster import read_file

    try:
        table = read_file(path)
    except (InputError, OSError) as exc:
        raise LedgerError(f"cannot read the {what}: {exc}", path=str(path)) from exc
    header = [h.strip() for h in table.header]
    return [(line, dict(zip(header, (c.strip() for c in cells)))) for line, cells in table.rows]


def read_ledger(path: Path, month: str = "") -> Ledger:
    """A run's ``results/ledger.csv``; an unreadable file is a ``LedgerError``. The file
    was written by the formula-safe writer (``engine.run.cells``): its quote prefix on a
    userid such as ``=1+1`` is undone here, so the next month meets the same employee."""
    from engine.run.cells import restore

    out, bad = [], []
    for line, cells in read_rows(path, "ledger"):
        row = {name: restore(value) for name, value in cells.items()}
        try:
            out.append(Row(userid=row["userid"], key=row["key"], unit=row.get("unit", ""),
                           **{c: to_decimal(row[c]) for c in COLUMNS[3:]}))
        except (KeyError, ValueError) as exc:
            bad.append(f"line {line}: {exc}")
    if bad:
        raise LedgerError("bad ledger rows: " + "; ".join(bad[:20]), path=str(path))
    return Ledger(month=month, rows=tuple(out))


def _check_key(key: str, keys: dict[str, object], month: str) -> str | None:
    base, _, lot = key.partition(LOT)
    spec = keys.get(base)
    if spec is None:
        return f"unknown key {key!r} (the pack's keys: {', '.join(keys)})"
    if lot:
        if spec.kind != "comp_time":
            return f"{base} is not comp time: it has no month lots"
        if not _LOT_MONTH.match(lot):
            return f"lot month {lot!r} must look like YYYY-MM"
        if month_index(lot) >= month_index(month):
            return f"lot month {lot} is not before the first month {month}"
    return None


def _rows_problems(rows: Sequence[tuple[int, dict[str, str]]], keys: dict[str, object],
                   month: str, userids: set[str] | None
                   ) -> tuple[dict[str, dict[str, Decimal]], list[str]]:
    values: dict[str, dict[str, Decimal]] = {}
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in rows:
        userid, key = (row.get("userid") or "").strip(), (row.get("key") or "").strip()
        raw = (row.get("value") or "").strip()
        where = f"line {line}"
        if not userid or not key:
            errors.append(f"{where}: userid and key are required")
            continue
        reason = _check_key(key, keys, month)
        if reason:
            errors.append(f"{where} [{userid}]: {reason}")
            continue
        if userids is not None and userid not in userids:
            errors.append(f"{where}: userid {userid!r} is not on the roster")
            continue
        if (userid, key) in seen:
            errors.append(f"{where} [{userid}]: duplicate of line {seen[userid, key]} "
                          f"for key {key}")
            continue
        seen[userid, key] = line
        try:
            values.setdefault(userid, {})[key] = to_decimal(raw)
        except ValueError as exc:
            errors.append(f"{where} [{userid}] value: {exc}")
    return values, errors


def _lots_add_up(values: dict[str, dict[str, Decimal]], keys: dict[str, object]) -> list[str]:
    errors = []
    for userid, found in sorted(values.items()):
        for base, spec in keys.items():
            lots = [v for k, v in found.items() if k.startswith(base + LOT)]
            if spec.kind == "comp_time" and lots and base in found and sum(lots) != found[base]:
                errors.append(f"[{userid}] {base} = {found[base]} but its month lots add up "
                              f"to {sum(lots)}")
    return errors


def read_opening(path: Path, keys: Iterable, month: str,
                 userids: set[str] | None = None) -> dict[str, dict[str, Decimal]]:
    """An opening-balances file as userid → key → value; every error at once."""
    specs = {k.key: k.spec for k in keys}
    rows = read_rows(path, "opening balances")
    header = set(rows[0][1]) if rows else set()
    missing = [c for c in OPENING_COLUMNS if c not in header]
    if rows and missing:
        raise LedgerError(f"missing column(s): {', '.join(missing)} (expected "
                          f"{', '.join(OPENING_COLUMNS)})", path=str(path), line=1)
    values, errors = _rows_problems(rows, specs, month, userids)
    errors += _lots_add_up(values, specs)
    if errors:
        raise LedgerError(f"{len(errors)} problem(s):\n  " + "\n  ".join(errors), path=str(path))
    for found in values.values():  # a total given with its lots: the lots carry it
        for base, spec in specs.items():
            if spec.kind == "comp_time" and any(k.startswith(base + LOT) for k in found):
                found.pop(base, None)
    return values
