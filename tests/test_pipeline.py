"""The whole month through the real path: simulator → client → rules → PDFs → run folder."""

import csv
import hashlib
import json
from decimal import Decimal
from pathlib import Path

from engine.pipeline import demo_month
from tests.conftest import DEMO_MONTH, pdf_text


def hashes(run_dir: Path) -> dict[str, str]:
    return {p.relative_to(run_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(run_dir.rglob("*")) if p.is_file()}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_demo_writes_one_payslip_per_computed_employee(demo_run):
    employees = read_csv(demo_run / "results" / "employees.csv")
    ok = [e for e in employees if e["status"] == "ok"]
    assert len(employees) >= 12 and len(ok) >= 10
    pdfs = sorted((demo_run / "payslips").glob("*.pdf"))
    assert len(pdfs) == len(ok)
    manifest = json.loads((demo_run / "manifest.json").read_text())
    listed = {f["path"] for f in manifest["files"]}
    assert {f"payslips/{p.name}" for p in pdfs} <= listed
    assert "results/line_items.csv" in listed
    fonts = {f["family"]: f for f in manifest["fonts"]}
    assert len(fonts["WenQuanYi Micro Hei"]["sha256"]) == 64
    assert manifest["dependencies"]["weasyprint"] >= "70"


def test_line_items_have_the_promised_columns_and_signs(demo_run):
    rows = read_csv(demo_run / "results" / "line_items.csv")
    assert list(rows[0])[:3] == ["userid", "code", "category"]
    for column in ("label", "quantity", "unit", "rate", "amount"):
        assert column in rows[0]
    for row in rows:
        if row["category"] == "deduction":
            assert Decimal(row["amount"]) <= 0
        if row["category"] in ("time_bank", "info"):
            assert Decimal(row["amount"]) == 0


def test_example_employee_has_the_api_page_numbers(demo_run):
    rows = [r for r in read_csv(demo_run / "results" / "line_items.csv") if r["userid"] == "ZhangSan"]
    by_code = {r["code"]: r for r in rows}
    assert by_code["OT_WORKDAY"]["amount"] == "1125.00"  # 15 h × 50 × 1.5
    assert by_code["OT_RESTDAY"]["amount"] == "4800.00"  # 48 h × 50 × 2


def test_payslip_shows_the_chinese_name(demo_run):
    text = pdf_text(demo_run / "payslips" / "ZhangSan.pdf")
    assert "张三" in text
    assert "1,125.00" in text or "1125.00" in text


def test_demo_twice_gives_identical_files(demo_run, tmp_path):
    again = tmp_path / "again"
    demo_month(again, employees=12, month=DEMO_MONTH, workers=2)
    first, second = hashes(demo_run), hashes(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_library_offers_the_cli_verbs(demo_run):
    import engine

    assert engine.verify(demo_run).ok
    assert engine.diff(demo_run, demo_run).same
    assert engine.run_month.__name__ == "run_month" and engine.demo_month.__name__ == "demo_month"


def test_chaos_changes_nothing_in_the_results(demo_run, tmp_path):
    """Transient faults and a token revocation cost retries, never a record or a fen."""
    chaos = tmp_path / "chaos"
    outcome = demo_month(chaos, employees=12, month=DEMO_MONTH, workers=1, chaos=True)
    assert outcome.summary["by_status"] == json.loads(
        (demo_run / "results" / "summary.json").read_text())["by_status"]
    for name in ("line_items.csv", "employees.csv"):
        assert (chaos / "results" / name).read_bytes() == (demo_run / "results" / name).read_bytes()
