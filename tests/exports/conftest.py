"""Fixtures of the export tests: a simulated month through the real pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cmb_run(tmp_path_factory) -> Path:
    """A 6-employee simulated month of cn-payroll (social insurance, housing fund and tax
    withheld) with the 招商银行-style bank map, built once."""
    from engine.pipeline import demo_month

    run_dir = tmp_path_factory.mktemp("exports") / "run"
    demo_month(run_dir, employees=6, month="2026-10", seed=3, workers=1, bank_map="cmb",
               rules=ROOT / "rules" / "cn-payroll.yaml")
    return run_dir


@pytest.fixture
def cmb_copy(cmb_run: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(cmb_run, target)
    return target
