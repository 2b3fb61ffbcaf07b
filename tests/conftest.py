"""Shared fixtures: a small demo month, computed once per session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from engine.pipeline import demo_month

DEMO_MONTH = "2026-10"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """A finished 12-employee demo run folder (the real path: simulator → PDFs)."""
    run_dir = tmp_path_factory.mktemp("demo") / "run"
    demo_month(run_dir, employees=12, month=DEMO_MONTH, workers=1)
    return run_dir


def pdf_text(path: Path) -> str:
    """Text of a PDF with the spaces some extractors put between CJK characters removed."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return "".join(text.split())
