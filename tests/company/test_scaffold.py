"""`payroll init`'s files: readable by the engine's own readers, deterministic, escaped."""

from __future__ import annotations

import tomllib

import yaml

from engine.company import load_folder
from engine.company.scaffold import EXAMPLE_ROWS, ROSTER_COLUMNS, init_company, planned_files
from engine.pipeline import labour_pack
from engine.roster import load_roster
from engine.rules.cases import run_cases
from engine.rules.loader import load_pack


def test_the_folder_loads_and_its_pack_passes_its_cases(tmp_path):
    init_company(tmp_path, '示例 "Acme" 公司', labour_pack())
    folder = load_folder(tmp_path)
    assert folder.company.name == '示例 "Acme" 公司'  # quotes escaped in TOML
    assert folder.run_dir("2026-10") == tmp_path.resolve() / "runs" / "2026-10"
    pack = load_pack(folder.rules)
    text = (tmp_path / "rules" / "company.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["pack"]["description"].startswith('示例 "Acme" 公司')
    report = run_cases(pack)
    assert report.failed == 0 and report.passed >= 4
    assert not tomllib.loads((tmp_path / "payroll.toml").read_text()).get("wecom", {}).get("corp_secret")


def test_both_roster_templates_read_as_one_row_per_employee_type(tmp_path):
    init_company(tmp_path, "A", labour_pack())
    for name in ("roster.csv", "roster.xlsx"):
        roster, problems = load_roster(tmp_path / name)
        assert not problems, (name, problems)
        assert roster.columns == tuple(c for c, _, _ in ROSTER_COLUMNS)
        assert [e.userid for e in roster.employees] == [r["userid"] for r in EXAMPLE_ROWS]
        assert len({e.columns["employee_type"] for e in roster.employees}) == 3


def test_the_xlsx_template_has_chinese_and_english_labels(tmp_path):
    from openpyxl import load_workbook

    init_company(tmp_path, "A", labour_pack())
    book = load_workbook(tmp_path / "roster.xlsx")
    header = book["roster"][1]
    assert header[0].value == "userid" and "账号" in header[0].comment.text
    notes = [tuple(c.value for c in row) for row in book["说明 columns"].iter_rows(min_row=2)]
    assert ("monthly_salary", "月薪") == notes[5][:2]


def test_the_same_name_gives_the_same_bytes():
    assert planned_files("A", labour_pack()) == planned_files("A", labour_pack())
