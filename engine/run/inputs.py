"""The run's own copy of its inputs, and the run id that follows from them.

First thing the run folder stage does after the fetch: roster and every rule pack file are
copied into ``inputs/`` and read back from there, so a run is computed from exactly the
files it keeps. ``payroll verify`` reads the same copies months later; both the pipeline
and verify call these functions, so they live here in the run folder's room.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from engine.errors import RosterError, RulePackError
from engine.files import read_input
from engine.problems import Problem
from engine.roster import Roster, load_roster, parse_table
from engine.roster.headers import canonical
from engine.roster.read import Table, read_file
from engine.rules.loader import load_pack
from engine.run import cells, manifest
from engine.run.folder import INPUTS, atomic_write


def run_id_for(month: str, *digests: str) -> str:
    """A run id derived from its inputs and the engine version, so the same inputs give
    the same id (and bytes) and a new engine release gives a new id."""
    text = "\n".join((month, manifest.engine_version(), *digests))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


PASSWORDS = f"{INPUTS}/delivery_passwords.json"
PASSWORDS_FORMAT = "wecom-payroll-delivery-passwords/1"


def copy_inputs(run_dir: Path, roster_path: Path, pack, *,
                omit: str | None = None) -> dict[str, str]:
    """Copy roster and every pack file into ``inputs/`` so the run recomputes offline.

    The roster is copied byte for byte (the audit record of what the run read), unless
    ``omit`` names a column that must not be stored (the delivery password of
    ``--encrypt-with``): then the copy is ``inputs/roster.csv`` without that column,
    written through the formula-safe CSV writer and read back by :func:`load_inputs`.
    Pack files keep their layout relative to each other, so ``extends:
    ../cn-default.yaml`` still resolves inside the copy.
    """
    if omit:
        copies = {"roster": f"{INPUTS}/roster.csv", "roster_omits": omit}
        atomic_write(run_dir / copies["roster"], roster_without(read_file(roster_path), omit))
    else:
        copies = {"roster": f"{INPUTS}/roster{roster_path.suffix.lower() or '.csv'}"}
        atomic_write(run_dir / copies["roster"], read_input(roster_path, "roster",
                                                              error=RosterError))
    sources = [Path(f).resolve() for f in (*pack.files, *pack.case_files)]
    root = Path(os.path.commonpath([f.parent for f in sources]))
    for index, source in enumerate(sources):
        rel = f"{INPUTS}/rules/{source.relative_to(root).as_posix()}"
        atomic_write(run_dir / rel, read_input(source, "pack", error=RulePackError))
        copies["rules" if index == 0 else f"rules_{index}"] = rel
    return copies


def number_columns(pack) -> tuple[str, ...]:
    """The pack's roster columns read as amounts: not categories (employment_type) nor
    text read through a table (city 上海 → 1, a flag 是 → 1)."""
    return tuple(name for name, column in pack.roster.items()
                 if column.values is None and not column.choices)


def _is_column(header: str, column: str) -> bool:
    return header.strip() == column or canonical(header.strip()) == column


def roster_without(table: Table, column: str) -> bytes:
    """The roster's cells as CSV without ``column`` (by its header or its alias)."""
    drop = {i for i, header in enumerate(table.header) if _is_column(header, column)}
    records = [table.header, *(record for _line, record in table.rows)]
    return cells.records_text([c for i, c in enumerate(r) if i not in drop]
                              for r in records).encode("utf-8")


def delivery_passwords(roster_path: Path, column: str, pack) -> dict[str, str]:
    """userid → delivery password, read from the roster the run was given (never stored)."""
    roster, _ = load_roster(roster_path, amounts=number_columns(pack))
    return {e.userid: e.columns.get(column, "") for e in roster.employees}


def _restored(table: Table) -> Table:
    """A roster copy written by :func:`roster_without`, with the formula quotes undone."""
    return table.model_copy(update={
        "header": tuple(map(cells.restore, table.header)),
        "rows": tuple((line, tuple(map(cells.restore, record))) for line, record in table.rows)})


def load_inputs(run_dir: Path, copies: dict[str, str]) -> tuple[Roster, list[Problem], Any]:
    """Roster and pack as copied into the run folder: what a recompute (and ``payroll
    verify``) starts from. Problems name ``inputs/roster.csv:LINE``, not a local path."""
    pack = load_pack(run_dir / copies["rules"])
    amounts = number_columns(pack)
    if copies.get("roster_omits"):
        table = read_file(run_dir / copies["roster"]).model_copy(
            update={"source": copies["roster"]})
        roster, problems = parse_table(_restored(table), amounts)
    else:
        roster, problems = load_roster(run_dir / copies["roster"], source=copies["roster"],
                                       amounts=amounts)
    return roster, problems, pack


def write_password_hashes(run_dir: Path, column: str, files) -> str:
    """``inputs/delivery_passwords.json``: the salted scrypt hash of the password each
    encrypted copy was made with (see :mod:`engine.payslip.secure`); returns its path."""
    from engine.payslip.secure import SCRYPT

    data = {"format": PASSWORDS_FORMAT, "column": column, "kdf": {"name": "scrypt", **SCRYPT},
            "employees": {f.userid: {"copy": f.secure, "salt": f.password_salt,
                                     "hash": f.password_hash} for f in files if f.secure}}
    atomic_write(run_dir / PASSWORDS, json.dumps(data, ensure_ascii=False, indent=1,
                                                 sort_keys=True) + "\n")
    return PASSWORDS
