"""The run's own copy of its inputs, and the run id that follows from them.

First thing the run folder stage does after the fetch: roster and every rule pack file are
copied into ``inputs/`` and read back from there, so a run is computed from exactly the
files it keeps. ``payroll verify`` reads the same copies months later; both the pipeline
and verify call these functions, so they live here in the run folder's room.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from engine.errors import RosterError, RulePackError
from engine.files import read_input
from engine.problems import Problem
from engine.roster import Roster, load_roster
from engine.rules.loader import load_pack
from engine.run import manifest
from engine.run.folder import INPUTS, atomic_write


def run_id_for(month: str, *digests: str) -> str:
    """A run id derived from its inputs and the engine version, so the same inputs give
    the same id (and bytes) and a new engine release gives a new id."""
    text = "\n".join((month, manifest.engine_version(), *digests))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def copy_inputs(run_dir: Path, roster_path: Path, pack) -> dict[str, str]:
    """Copy roster and every pack file into ``inputs/`` so the run recomputes offline.

    Pack files keep their layout relative to each other, so ``extends: ../cn-default.yaml``
    still resolves inside the copy.
    """
    copies = {"roster": f"{INPUTS}/roster{roster_path.suffix.lower() or '.csv'}"}
    atomic_write(run_dir / copies["roster"], read_input(roster_path, "roster", error=RosterError))
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


def load_inputs(run_dir: Path, copies: dict[str, str]) -> tuple[Roster, list[Problem], Any]:
    """Roster and pack as copied into the run folder: what a recompute (and ``payroll
    verify``) starts from. Problems name ``inputs/roster.csv:LINE``, not a local path."""
    pack = load_pack(run_dir / copies["rules"])
    roster, problems = load_roster(run_dir / copies["roster"], source=copies["roster"],
                                   amounts=number_columns(pack))
    return roster, problems, pack
