"""Delivery fixtures: an approved copy of the session's demo run and a simulator for it."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from engine.audit import approve_run
from engine.wecom.settings import load_settings
from engine.wecom.simulator import SimConfig, Simulator

APPROVED_AT = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def approved_master(demo_run, tmp_path_factory) -> Path:
    """The demo run, approved once per session (tests copy it before changing anything)."""
    run_dir = tmp_path_factory.mktemp("approved") / "run"
    shutil.copytree(demo_run, run_dir)
    approve_run(run_dir, by="财务 王芳", note="October payroll", now=APPROVED_AT)
    return run_dir


@pytest.fixture
def approved(approved_master, tmp_path) -> Path:
    run_dir = tmp_path / "run"
    shutil.copytree(approved_master, run_dir)
    return run_dir


def sim_for(run_dir: Path, **over) -> Simulator:
    """A simulator of the demo company (same size and seed as the run)."""
    employees = len((run_dir / "results" / "employees.csv").read_text().splitlines()) - 1
    return Simulator(SimConfig(employees=employees, seed=1, **over))


def settings_for(sim: Simulator, **over):
    values = dict(corp_id=sim.config.corp_id, corp_secret=sim.config.corp_secret,
                  agent_id=str(sim.config.agent_id), api_base=sim.url,
                  window_seconds=sim.config.window_seconds, retry_initial_seconds=0.01,
                  retry_max_seconds=0.05)
    values.update(over)
    return load_settings(environ={}, **values)
