"""A month of 1,000 employees where 5 % of names and departments (and a few userids) carry
formula triggers, control characters, emoji and code points no font has: the run
finishes, verifies, no export holds a live formula, and every payslip is printed."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from engine.ledger.models import COLUMNS as LEDGER_COLUMNS
from engine.run import cells, manifest, tables
from engine.run.verify import verify

from hostile import CONTROL, GLYPHLESS, hostile_run
from run_samples import MONTH

EMPLOYEES = 1000


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    start = time.perf_counter()
    outcome, company = hostile_run(tmp / "run", EMPLOYEES, MONTH, workers=2, tmp=tmp)
    print(f"\nhostile month of {EMPLOYEES} employees: {time.perf_counter() - start:.0f} s")
    return tmp / "run", outcome, company


pytestmark = pytest.mark.slow


@pytest.mark.corpus("hostile month")
def test_the_run_finishes_with_a_payslip_for_every_employee(hostile):
    run_dir, outcome, company = hostile
    assert (run_dir / "manifest.json").is_file()
    assert outcome.summary["employees"] == EMPLOYEES
    ok = outcome.summary["by_status"].get("ok", 0)
    assert ok >= EMPLOYEES * 0.9 and outcome.payslips == ok  # every payable one printed
    # the pack's own findings (compliance errors that do not block) aside, nothing failed
    assert not [p for p in outcome.problem_items
                if p.severity.value == "error" and p.stage in ("payslip", "inputs", "roster")]


@pytest.mark.corpus("hostile month")
def test_the_run_verifies_with_and_without_rendering(hostile):
    """Plain verify and ``verify --render`` (what approve and send run): both clean; the
    cost of rendering per payslip is printed for the report."""
    run_dir, outcome, _ = hostile
    start = time.perf_counter()
    report = verify(run_dir)
    middle = time.perf_counter()
    rendered = verify(run_dir, render=True, workers=2)
    end = time.perf_counter()
    count = rendered.checked.get("payslips rendered", 0)
    print(f"\nverify of the hostile month: {middle - start:.1f} s; with --render: "
          f"{end - middle:.1f} s for {count} payslips on 2 workers, "
          f"{(end - middle - (middle - start)) / max(count, 1) * 1000:.0f} ms per payslip "
          "more")
    assert report.ok, str(report)
    assert rendered.ok, str(rendered)
    assert count == outcome.payslips


@pytest.mark.corpus("hostile month")
def test_payroll_xlsx_has_no_formula_cell(hostile):
    from openpyxl import load_workbook

    run_dir, _, _ = hostile
    book = load_workbook(run_dir / "results/payroll.xlsx")
    kinds = [cell.data_type for sheet in book for row in sheet.iter_rows() for cell in row]
    assert kinds and kinds.count("f") == 0
    names = [c.value for c in book["employees"]["B"]]
    assert any(isinstance(n, str) and n.startswith("=") for n in names)  # hostile, and text


def _csv_files(run_dir: Path) -> list[Path]:
    return [*sorted((run_dir / "results").glob("*.csv")), run_dir / "manifest.csv"]


@pytest.mark.corpus("hostile month")
def test_no_csv_cell_is_live(hostile):
    run_dir, outcome, _ = hostile
    # numeric columns by the run's own data dictionary (results/columns.csv) and schemas
    dictionary = cells.read_csv(run_dir / "results/columns.csv")[1]
    numeric = (set(tables.NUMERIC) | manifest.NUMERIC | set(LEDGER_COLUMNS[3:])
               | {row["column"] for row in dictionary if row["kind"] != "field"})
    hostile_cells = 0
    for path in _csv_files(run_dir):
        records = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
        header = records[0]
        for record in records[1:]:
            for column, cell in zip(header, record):
                if cell.startswith("'"):
                    hostile_cells += 1
                if cells.is_live(cell):
                    assert column in numeric and cells._NUMBER.fullmatch(cell), (path, cell)
    assert hostile_cells >= 10


@pytest.mark.corpus("hostile month")
def test_unshowable_text_is_warned_about_and_printed_in_its_printable_form(hostile):
    from tests.conftest import pdf_text

    run_dir, outcome, company = hostile
    unprintable = {p.userid for p in outcome.problem_items if p.code == "unprintable_text"}
    glyphless = {p.userid for p in outcome.problem_items if p.code == "missing_glyph"}
    controls = [u for u in company.users if any(c in u.name for c in CONTROL)]
    emoji = [u for u in company.users if "🚀" in u.name]
    assert controls and {u.userid for u in controls} <= unprintable
    assert emoji and {u.userid for u in emoji} <= glyphless
    rows = {r["userid"]: r for r in cells.read_csv(run_dir / "manifest.csv")[1]}
    printed = next(u for u in emoji if u.userid in rows)
    assert "[U+1F680]" in pdf_text(run_dir / rows[printed.userid]["file"])
    bell = next(u for u in controls if u.userid in rows)
    assert "[U+" in pdf_text(run_dir / rows[bell.userid]["file"])
    assert any(g in "".join(u.name for u in company.users) for g in GLYPHLESS)
