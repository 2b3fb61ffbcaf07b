"""The simulated year shared by the ledger and net-pay acceptance tests (run once)."""

from __future__ import annotations

import pytest

from tests.ledger import year


@pytest.fixture(scope="session")
def sim():
    with year.simulator() as running:
        yield running


@pytest.fixture(scope="session")
def rows(sim):
    return year.year_rows(sim)


@pytest.fixture(scope="session")
def full_year(tmp_path_factory, sim, rows):
    root = tmp_path_factory.mktemp("year")
    return year.run_year(root / "runs", sim, rows, payslips_for=("2026-12",))
