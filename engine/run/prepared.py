"""What a run knows before it reads the month's attendance, and the payslips' context.

The run folder stage's first step, before the fetch (so payslips can be made while it
runs, ``engine.stream``) or before an offline recompute: roster, pack, bank map and the
ledger's opening are copied into ``inputs/`` and read back (``prepare_inputs``), and the
run id follows from them and the directory's answers (``context_for``). The pipeline
calls both; ``payroll verify`` recomputes the run id with ``engine.run.inputs.run_id_for``
from the same digests.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ConfigError
from engine.exports.stage import copy_bank_map
from engine.files import atomic_write, sha256_file
from engine.payslip.context import PayslipContext
from engine.payslip.identity import KEPT as KEPT_COMPANY
from engine.payslip.identity import CompanyIdentity
from engine.payslip.names import plan_names
from engine.period import Period
from engine.problems import Problem
from engine.roster import Roster
from engine.run import chain
from engine.run.folder import SNAPSHOT
from engine.run.inputs import copy_inputs, delivery_passwords, load_inputs, run_id_for
from engine.wecom.snapshot import load_snapshot


@dataclass(frozen=True)
class Prepared:
    """What a run knows before it reads the month's attendance: its inputs copied into the
    run folder and read back, the ledger's opening, the payslips' company and file names."""

    copies: dict[str, str]
    bank_map: Path | None
    roster: Roster
    roster_problems: tuple[Problem, ...]
    pack: Any
    source: dict[str, Any]
    passwords: dict[str, str] | None
    identity: CompanyIdentity
    file_names: dict[str, str]


def prepare_inputs(run_dir: Path, pack, period: Period, *, roster_path: Path,
                   company: str | CompanyIdentity, logo: str | None,
                   encrypt_with: str | None, bank_map: str | Path | None,
                   previous: Path | None, opening: Path | None) -> Prepared:
    """Copy roster, pack, bank map and the ledger's opening into ``inputs/`` and read them
    back, so the run is computed from exactly the files it keeps."""
    copies = copy_inputs(run_dir, roster_path, pack, omit=encrypt_with)
    bank_map_copy = copy_bank_map(run_dir, bank_map)
    roster, roster_problems, pack = load_inputs(run_dir, copies)
    source = chain.ledger_source(run_dir, period.month, previous=previous, opening=opening)
    # read from the given roster and handed to the payslip workers, never stored
    passwords = delivery_passwords(roster_path, encrypt_with, pack) if encrypt_with else None
    identity = company if isinstance(company, CompanyIdentity) else CompanyIdentity(
        name=company, logo=logo)
    atomic_write(run_dir / KEPT_COMPANY, identity.kept())  # --force and verify keep it
    # one name per roster employee, whoever is paid: a payslip made while the fetch runs
    # has the name a sequential run gives it
    userids = roster.userids()
    return Prepared(copies=copies, bank_map=bank_map_copy, roster=roster,
                    roster_problems=tuple(roster_problems), pack=pack, source=source,
                    passwords=passwords, identity=identity,
                    file_names=dict(zip(userids, plan_names(userids))))


def context_for(run_dir: Path, prepared: Prepared, period: Period, plan_sha256: str, *,
                lang: str, template_dir: Path | None,
                encrypt_with: str | None) -> PayslipContext:
    """The payslips' context; its run id follows from the inputs and the directory's and
    leave types' answers (``plan_sha256``), all known before the first attendance batch."""
    pack, identity = prepared.pack, prepared.identity
    run_id = run_id_for(period.month, plan_sha256,
                        sha256_file(run_dir / prepared.copies["roster"]), pack.info.sha256,
                        *chain.source_digests(run_dir, prepared.source))
    return PayslipContext(company=identity.name, month=period.month, run_id=run_id,
                          pack=pack.info, snapshot_sha256="", lang=lang,
                          encrypt_with=encrypt_with, logo=identity.logo, address=identity.address,
                          net_label=pack.header.net_label, net_label_en=pack.header.net_label_en,
                          **({"template_dir": template_dir} if template_dir else {}))


class Handover:
    """A value handed down once and let go by its receiver, so the caller keeps no
    reference (a large company's roster is freed before the finance summary is laid out)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def take(self) -> Any:
        value, self._value = self._value, None
        return value


def reuse_snapshot(source: Path, run_dir: Path, month: str) -> None:
    """``--snapshot-from RUN``: the month's raw answers from an earlier run, so a rerun
    that fixes the roster or the pack changes nothing else."""
    snapshot = load_snapshot(source)
    if snapshot.period.month != month:
        raise ConfigError(f"--snapshot-from {source} holds {snapshot.period.month}, not {month}")
    if (run_dir / SNAPSHOT).resolve() != (source / SNAPSHOT).resolve():
        shutil.rmtree(run_dir / SNAPSHOT, ignore_errors=True)
        shutil.copytree(source / SNAPSHOT, run_dir / SNAPSHOT)
