"""Fixtures of the run-folder tests: the hand-built month and a simulated month."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from run_samples import MONTH, sample_result


@pytest.fixture
def sample():
    return sample_result()


@pytest.fixture
def golden_dir() -> Path:
    return Path(__file__).parent / "golden"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """A simulated 5-employee month through the real pipeline (fetch over loopback,
    compute, payslips, run folder), built once per test session. Tests copy it before
    changing anything."""
    try:
        from engine.pipeline import demo_month
    except ImportError as exc:  # the pipeline's stages are written in parallel
        pytest.skip(f"pipeline not importable yet: {exc}")
    run_dir = tmp_path_factory.mktemp("demo") / "run"
    demo_month(run_dir, employees=5, month=MONTH, seed=7, workers=1)
    return run_dir


@pytest.fixture
def demo_copy(demo_run: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(demo_run, target)
    return target
