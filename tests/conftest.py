"""Shared fixtures: a small demo month, computed once per session."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from engine.pipeline import demo_month

DEMO_MONTH = "2026-10"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Count the cases of each hostile-input corpus (``tests/corpora.py``)."""
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("corpus")
    if marker is None or report.when != "call":
        return
    from tests import corpora

    cases = dict(item.user_properties).get("corpus_cases", marker.kwargs.get("cases", 1))
    corpora.record(marker.args[0], int(cases), report.passed)


def pytest_terminal_summary(terminalreporter):
    from tests import corpora

    found = corpora.lines()
    if found:
        terminalreporter.section("hostile-input corpora")
        for line in found:
            terminalreporter.write_line(line)


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
