"""A finished run folder opened for analysis: ``engine.open_run(path)``.

Reads what the run folder stage wrote (never the compute models), so a run from last
year opens the same way as today's. Tables are pandas DataFrames: money, quantity and
rate columns hold exact ``decimal.Decimal`` objects (``object`` dtype, ``None`` for an
empty cell), text columns pandas' string dtype. ``engine.run_month`` returns the same
object for the run it has just written.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from engine.errors import RunFolderError
from engine.rules.lines import Status
from engine.run import cells, frames
from engine.run.columns import FIXED
from engine.run.folder import MANIFEST, MANIFEST_CSV, RESULTS, inside

LINE_DECIMALS = ("quantity", "rate", "multiplier", "amount")
EMPLOYEE_TEXT = tuple(c.name for c in FIXED if c.kind == "field" and c.name != "problems")
LEDGER_FILE = "ledger.csv"


def _read_csv(path: Path) -> pd.DataFrame:
    """Every cell as text: the exports' numbers are decimal text, never parsed as float;
    text cells as the engine wrote them (the formula-safe writer's quotes undone)."""
    if not path.is_file():
        raise RunFolderError(f"{path}: missing from the run folder")
    header, rows = cells.read_csv(path)
    return pd.DataFrame([[row.get(c, "") for c in header] for row in rows], columns=header,
                        dtype=str)


class Run:
    """One run folder: ``lines``, ``employees``, ``problems``, ``ledger`` (DataFrames),
    ``summary`` (dict), ``payslip(userid)`` (PDF bytes), plus the run's identity."""

    def __init__(self, path: Path | str) -> None:
        self.run_dir = Path(path)
        if not (self.run_dir / MANIFEST).is_file():
            raise RunFolderError(f"{self.run_dir}: not a finished run folder (no {MANIFEST})")

    def __repr__(self) -> str:
        return f"<Run {self.month} {self.run_id} at {self.run_dir}>"

    @cached_property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.run_dir / MANIFEST).read_text("utf-8"))

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    @property
    def month(self) -> str:
        return self.manifest["month"]

    @cached_property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.run_dir / RESULTS / "summary.json").read_text("utf-8"))

    @cached_property
    def lines(self) -> pd.DataFrame:
        """``results/line_items.parquet``: one row per payslip line, every digit (the CSV
        shows quantities and rates at the display precision)."""
        path = self.run_dir / RESULTS / "line_items.parquet"
        if not path.is_file():
            raise RunFolderError(f"{path}: missing from the run folder")
        frame = pd.read_parquet(path).astype(str)
        return frames.with_decimals(frame, LINE_DECIMALS)

    @cached_property
    def employees(self) -> pd.DataFrame:
        """``results/employees.csv``: one row per roster employee; every column but the
        text ones is a Decimal (``problems`` is a count)."""
        frame = _read_csv(self.run_dir / RESULTS / "employees.csv")
        numbers = [c for c in frame.columns if c not in EMPLOYEE_TEXT and c != "problems"]
        frame = frames.with_decimals(frame, numbers)
        if "problems" in frame.columns:
            frame["problems"] = frame["problems"].astype(int)
        return frame

    @cached_property
    def problems(self) -> pd.DataFrame:
        """``results/problems.csv``: every error, warning and note of the run."""
        return _read_csv(self.run_dir / RESULTS / "problems.csv")

    @cached_property
    def ledger(self) -> pd.DataFrame:
        """The carried-over balances of a chained month; an empty frame when the run has
        no ledger."""
        path = self.run_dir / RESULTS / LEDGER_FILE
        if not path.is_file():
            return pd.DataFrame()
        frame = _read_csv(path)
        return frames.with_decimals(frame, [c for c in frame.columns
                                            if c not in ("userid", "key", "unit")])

    @cached_property
    def _payslip_files(self) -> dict[str, str]:
        return {row["userid"]: row["file"]
                for row in cells.read_csv(self.run_dir / MANIFEST_CSV)[1]}

    @property
    def payslips(self) -> int:
        """How many payslips the run rendered."""
        return len(self._payslip_files)

    def payslip(self, userid: str) -> bytes:
        """The PDF payslip of ``userid``."""
        rel = self._payslip_files.get(userid)
        if rel is None:
            raise KeyError(f"no payslip for {userid!r} in {self.run_dir}")
        path = self.run_dir / rel
        if not inside(self.run_dir, path):
            raise RunFolderError(f"{rel}: outside the run folder")
        return path.read_bytes()

    @property
    def employee_errors(self) -> int:
        """Roster employees this run could not pay: a failed rule or no WeCom record."""
        by_status = self.summary["by_status"]
        return by_status.get(Status.ERROR.value, 0) + by_status.get(Status.MISSING.value, 0)


def open_run(path: Path | str) -> Run:
    """Open a finished run folder (``payroll run`` output) for analysis."""
    return Run(path)
