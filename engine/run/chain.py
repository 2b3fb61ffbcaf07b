"""The chain of months: where a run's opening balances come from, and its proof.

Between the ledger stage and the run folder. ``ledger_source`` decides a month's
opening (the previous run's closing, an opening-balances import, or nothing: the start
of a chain) and copies it into ``inputs/`` so the month recomputes offline;
``check_chain`` (``payroll verify``) walks back from a run: each run's recorded previous
manifest sha256 must match that run's ``manifest.json``, the copied opening must be the
previous run's ``results/ledger.csv`` byte for byte, and so on to the first run (or to
the opening file, whose hash is recorded). A month edited after a later month was run
breaks the chain at that month, and the difference names it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, LedgerError
from engine.files import atomic_write, sha256_bytes, sha256_file
from engine.ledger.books import month_index, month_name
from engine.ledger.files import read_ledger, read_opening
from engine.run.compare import Difference, difference
from engine.run.folder import INPUTS, MANIFEST, RESULTS

LEDGER_CSV = f"{RESULTS}/ledger.csv"
LEDGER_PARQUET = f"{RESULTS}/ledger.parquet"
OPENING_COPY = f"{INPUTS}/ledger_opening.csv"
MAX_CHAIN = 1200  # a hundred years of months: a loop in the links ends here


def previous_month(month: str) -> str:
    return month_name(month_index(month) - 1)


def _manifest(run_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((run_dir / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise LedgerError("not a finished run (no readable manifest.json)",
                          path=str(run_dir)) from exc


def find_previous(run_dir: Path, month: str) -> Path | None:
    """A company folder layout (``runs/2026-10`` beside ``runs/2026-11``)."""
    candidate = run_dir.resolve().parent / previous_month(month)
    return candidate if candidate.is_dir() else None


def ledger_source(run_dir: Path, month: str, *, previous: Path | None,
                  opening: Path | None) -> dict[str, Any]:
    """Copy the month's opening into ``inputs/`` and say where it came from (manifest)."""
    if previous is not None and opening is not None:
        raise ConfigError("give either --previous or --opening, not both")
    if opening is not None:
        if not opening.is_file():
            raise LedgerError("opening-balances file not found", path=str(opening))
        data = opening.read_bytes()
        rel = f"{INPUTS}/opening{opening.suffix.lower() or '.csv'}"
        atomic_write(run_dir / rel, data)
        return {"opening_file": {"path": rel, "sha256": sha256_bytes(data),
                                 "name": opening.name}}
    if previous is None:
        return {}
    body = _manifest(previous)  # refuses an unfinished previous month
    want = previous_month(month)
    if body.get("month") != want:
        raise ConfigError(f"--previous {previous} is the run of {body.get('month')}, but the "
                          f"month before {month} is {want}")
    if not (previous / LEDGER_CSV).is_file():
        raise LedgerError("the previous run has no results/ledger.csv (its pack declares no "
                          "ledger); use --opening instead", path=str(previous))
    atomic_write(run_dir / OPENING_COPY, (previous / LEDGER_CSV).read_bytes())
    return {"previous": {"month": want, "run_id": body.get("run_id", ""),
                         "manifest_sha256": sha256_file(previous / MANIFEST),
                         "path": os.path.relpath(previous.resolve(), run_dir.resolve()),
                         "opening": OPENING_COPY}}


def opening_values(run_dir: Path, source: dict[str, Any], keys, month: str,
                   userids: set[str] | None):
    """userid → key → previous closing, from the copy in ``inputs/`` (None: no opening)."""
    if "opening_file" in source:
        return read_opening(run_dir / source["opening_file"]["path"], keys, month)
    if "previous" in source:
        return read_ledger(run_dir / source["previous"]["opening"]).closing()
    return None


def _link(run_dir: Path, manifest: dict[str, Any]) -> list[Difference]:
    """One link: this run's record of its previous run holds; the previous run's own
    manifest lists its ledger with the right hash."""
    month = manifest.get("month", "?")
    prev = manifest.get("ledger", {}).get("previous")
    opening = manifest.get("ledger", {}).get("opening_file")
    if opening:
        path = run_dir / opening["path"]
        found = sha256_file(path) if path.is_file() else "missing"
        if found != opening["sha256"]:
            return [difference("chain", opening["path"], f"{month}: the opening-balances file "
                               "does not hash to the sha256 its manifest recorded",
                               expected=opening["sha256"], found=found)]
        return []
    if not prev:
        return []
    where = (run_dir / prev["path"])
    name = prev["month"]
    if not (where / MANIFEST).is_file():
        return [difference("chain", MANIFEST, f"{name}: the previous run folder {prev['path']} "
                           f"(recorded by {month}) is missing")]
    got = sha256_file(where / MANIFEST)
    if got != prev["manifest_sha256"]:
        return [difference("chain", f"{prev['path']}/{MANIFEST}", f"{name} was changed after "
                           f"{month} was run: its manifest.json does not hash to what {month} "
                           "recorded", expected=prev["manifest_sha256"], found=got)]
    copy, closing = run_dir / prev["opening"], where / LEDGER_CSV
    if not copy.is_file() or not closing.is_file() or (
            sha256_file(copy) != sha256_file(closing)):
        return [difference("chain", prev["opening"], f"{name}: results/ledger.csv is not the "
                           f"opening {month} copied from it, row for row (changed after "
                           f"{month} was run?)")]
    return []


def check_chain(run_dir: Path, manifest: dict[str, Any], check_files=None
                ) -> tuple[list[Difference], int]:
    """Walk the links back to the start; the differences and the number of runs walked.

    ``check_files(run_dir, manifest)`` (``payroll verify``'s own) is applied to every
    earlier run, so a file edited there without recomputing its manifest is caught too."""
    out: list[Difference] = []
    seen = 0
    current, body = run_dir, manifest
    while seen < MAX_CHAIN:
        seen += 1
        found = _link(current, body)
        out += found
        prev = body.get("ledger", {}).get("previous")
        if found or not prev:
            return out, seen
        current = (current / prev["path"]).resolve()
        body = _manifest(current)
        changed = check_files(current, body) if check_files else []
        if changed:
            name = body.get("month", prev["month"])
            return out + [difference("chain", f"{prev['path']}/{d.file}", f"{name}: {d.message} "
                                     f"(an earlier month of this chain was edited)",
                                     expected=d.expected, found=d.found)
                          for d in changed], seen
    return out + [difference("chain", MANIFEST, "the chain of runs does not end")], seen


@dataclass(frozen=True)
class Month:
    """A computed month with its ledger: the result (held employees applied, balances
    set), the closing ledger (None when the pack declares none) and the problems."""

    result: Any
    ledger: Any
    problems: tuple
    books: Any = None

    def held(self, problems) -> "Month":
        """The month after more errors held employees (a payslip that could not be made):
        a held employee keeps every balance, so the ledger is closed again."""
        from engine.ledger.books import close_month
        from engine.run.hold import hold_errors

        result = hold_errors(self.result, problems)
        same = all(a.status is b.status for a, b in zip(result.employees, self.result.employees))
        if self.books is None or same:
            return Month(result, self.ledger, self.problems, self.books)
        ledger, result, _ = close_month(self.books, result)
        return Month(result, ledger, self.problems, self.books)


READ = object()  # compute_month's default opening: read from the run folder's copy


def compute_month(pack, period, roster, snapshot, run_dir: Path, source: dict[str, Any],
                  before: Sequence = (), names: str = "wecom", collect=tuple,
                  values: Any = READ, program=None) -> Month:
    """Open the ledger, compute, hear the roster (unused columns, differing names, the
    payslip's name chosen by ``names``), hold the employees an error names, close the ledger.

    ``before`` are the problems found before compute (roster, snapshot); ``collect`` keeps
    the employees (see :func:`engine.rules.apply.compute`); ``values`` is the opening as
    :func:`opening_values` reads it, when already read (the streaming month computes one
    batch at a time and reads the previous month's ledger once); ``program`` the pack's
    program for the period, when already built (see :func:`engine.rules.apply.compute`).
    Used by the run and by ``payroll verify`` alike, so both compute the same month.
    """
    from engine.ledger.books import close_month, open_month
    from engine.roster.heard import heard
    from engine.rules.apply import compute
    from engine.rules.program import ledger_expiry
    from engine.run.hold import hold_errors

    books, opening = None, None
    if pack.ledger:
        if values is READ:
            values = opening_values(run_dir, source, pack.ledger, period.month,
                                    set(roster.userids()))
        books = open_month(values, pack.ledger, ledger_expiry(pack, period), period)
        opening = books.env()
    result, problems = compute(pack, period, roster, snapshot.records, snapshot.leave_types,
                               opening, collect, program)
    result, notes = heard(roster, pack, snapshot.records, result, names)
    problems = [*before, *notes, *problems]
    result = hold_errors(result, problems)
    if books is None:
        return Month(result, None, tuple(problems))
    ledger, result, ledger_problems = close_month(books, result)
    return Month(result, ledger, (*problems, *ledger_problems), books)


def source_digests(run_dir: Path, source: dict[str, Any]) -> tuple[str, ...]:
    """What the opening adds to the run id (nothing for the start of a chain)."""
    if "opening_file" in source:
        return (source["opening_file"]["sha256"],)
    if "previous" in source:
        return (source["previous"]["manifest_sha256"],)
    return ()


def chain_start(pack, month: str, run_dir: Path, previous: Path | None,
                opening: Path | None) -> Path | None:
    """The previous run to open the month from: ``--previous``, else, in the layout
    ``runs/YYYY-MM``, the previous month's folder beside ``run_dir``. A previous month that
    exists but has not finished stops the run unless ``--opening`` is given."""
    if opening is not None or not pack.ledger:
        return previous
    found = previous or find_previous(run_dir, month)
    if found is not None and not (found / "manifest.json").is_file():
        raise ConfigError(f"the previous month's run {found} has not finished: finish it "
                          "first, or start this month from --opening FILE")
    return found
