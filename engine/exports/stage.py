"""The exports stage: tax sheet, bank files and contributions of a computed month.

Runs in ``engine.pipeline.compute_run`` after the payslips (only employees with a payslip,
status ok, are exported) and before the results are written, since its problems (no bank
account, no id number) belong in ``problems.csv``. :func:`build_exports` is pure: the month
and the maps in, file bytes, problems and the facts for ``manifest.json`` out;
:func:`write_exports` puts the files under ``results/``. The bank map used is copied into
``inputs/exports/`` so ``payroll verify`` rebuilds every file from the run's own inputs
(:func:`check_exports`) and compares them byte for byte.
"""

from __future__ import annotations

from pathlib import Path
import json
from collections import defaultdict
from itertools import groupby
from operator import attrgetter
from typing import Any, Iterable, Iterator, Sequence

from pydantic import BaseModel, ConfigDict

from engine.exports import bank, contributions, iit
from engine.exports.maps import bank_map_path, load_bank_map, load_iit_map
from engine.files import read_input
from engine.problems import Problem
from engine.rules.lines import Balance, EmployeeResult, PayrollResult, Status
from engine.rules.packed import Packed, View, select
from engine.run.exports import json_bytes
from engine.run.folder import INPUTS, RESULTS, atomic_write

BANK_MAP_COPY = f"{INPUTS}/exports/bank-map.yaml"


class Exported(BaseModel):
    """What the stage made: files by path inside the run folder, problems, facts."""

    model_config = ConfigDict(frozen=True)

    files: dict[str, bytes]
    problems: tuple[Problem, ...]
    facts: dict[str, Any]


def _balances(rows: Iterable) -> tuple[Balance, ...]:
    return tuple(Balance(key=row.key, unit=row.unit, opening=row.opening, change=row.change,
                         closing=row.closing)
                 for row in rows if row.key == row.base_key)  # totals only, not the lots


def _merged(employees: Iterable[EmployeeResult], rows: Iterable) -> Iterator[EmployeeResult]:
    """The paid employees, each with its balances, in one walk over employees and ledger
    rows side by side (an employee's rows are consecutive, in the employees' order)."""
    groups = groupby(rows, key=attrgetter("userid"))
    for emp in employees:
        if emp.status is not Status.OK:
            continue
        found: tuple = ()
        for userid, group in groups:  # the walk goes on where the last employee's ended
            if userid == emp.userid:
                found = tuple(group)
                break
        yield emp.model_copy(update={"balances": _balances(found)})


def with_ledger(result: PayrollResult, ledger) -> Sequence[EmployeeResult]:
    """The paid employees, each with every ledger key of the month as a balance (the
    result carries only those the payslip prints; the tax sheet reads the 累计 ones)."""
    paid = (lambda e: e.status is Status.OK)
    if ledger is None:
        return select(result.employees, paid)
    if isinstance(result.employees, (Packed, View)):
        return View(lambda: _merged(result.employees, ledger.rows))
    rows: dict[str, list] = defaultdict(list)
    for row in ledger.rows:
        rows[row.userid].append(row)
    return select(result.employees, paid,
                  lambda e: e.model_copy(update={"balances": _balances(rows[e.userid])}))


def build_exports(result: PayrollResult, *, bank_map: Path, iit_version: str | None,
                  company: str, created: str, pack=None, ledger=None) -> Exported:
    """Every export of the month from its paid employees; ``bank_map`` is the run's copy
    of the bank map (``inputs/exports/bank-map.yaml``), ``pack`` names the cities,
    ``ledger`` (the month's closing) gives the year-to-date figures."""
    paid = with_ledger(result, ledger)
    iit_map = load_iit_map()
    version, workbook, iit_problems = iit.build(paid, iit_map, iit_version, created)
    chosen = load_bank_map(bank_map)
    bank_files, control, bank_problems = bank.build(paid, chosen, month=result.month,
                                                    company=company, map_file=BANK_MAP_COPY)
    files = {f"{RESULTS}/{iit_map.file}": workbook,
             **{f"{RESULTS}/{name}": data for name, data in bank_files.items()},
             f"{RESULTS}/{bank.CONTROL}": json_bytes(control),
             f"{RESULTS}/{contributions.FILE}": contributions.build(paid, pack)}
    facts = {"iit_map": iit_map.map, "iit_version": version, "bank_map": chosen.map,
             "bank_map_version": chosen.version, "bank_map_file": BANK_MAP_COPY,
             "bank_encoding": chosen.encoding, "bank_file_pattern": chosen.file,
             "files": sorted(files)}
    return Exported(files=files, problems=(*iit_problems, *bank_problems), facts=facts)


def copy_bank_map(run_dir: Path, name_or_path: str | Path | None) -> Path:
    """Copy the chosen bank map (a built-in name or a file) into the run's inputs."""
    source = bank_map_path(name_or_path)
    load_bank_map(source)  # refused before anything else of the month is written
    return atomic_write(run_dir / BANK_MAP_COPY, read_input(source, "pack"))


def write_exports(run_dir: Path, exported: Exported) -> None:
    for rel, data in exported.files.items():
        atomic_write(run_dir / rel, data)


def exports_for(run_dir: Path, result: PayrollResult, facts: dict[str, Any], company: str,
                created: str, pack=None, ledger=None) -> Exported:
    """The exports a finished run's own inputs give (for ``payroll verify``)."""
    return build_exports(result, bank_map=run_dir / facts.get("bank_map_file", BANK_MAP_COPY),
                         iit_version=facts.get("iit_version"), company=company,
                         created=created, pack=pack, ledger=ledger)


def created_stamp(month_last_day: str) -> str:
    """The pinned date of the workbooks: the month's last day, as payroll.xlsx."""
    return f"{month_last_day}T00:00:00"


def encoding_of(exported: Exported, rel: str) -> str:
    """The text encoding of a CSV export: the bank map's for the bank files."""
    bank_files = {f"{RESULTS}/{f['file']}" for f in
                  json.loads(exported.files[f"{RESULTS}/{bank.CONTROL}"])["files"]}
    return exported.facts["bank_encoding"] if rel in bank_files else "utf-8"
