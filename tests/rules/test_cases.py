"""The shipped packs' own YAML cases, and that a wrong expectation is reported."""

import shutil
from pathlib import Path

import pytest

from engine.errors import RulePackError
from engine.rules.cases import run_cases
from engine.rules.loader import load_pack

RULES = Path(__file__).resolve().parents[2] / "rules"
SHIPPED = [RULES / "cn-default.yaml", RULES / "cn-payroll.yaml",
           *sorted((RULES / "examples").glob("*.yaml"))]
SHIPPED = [p for p in SHIPPED if not p.name.endswith(".cases.yaml")]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_pack_cases_pass(path):
    report = run_cases(load_pack(path))
    assert report.results, f"{path.name} ships no cases"
    assert report.ok, str(report)


def test_cn_default_cases_cover_every_rule_and_check():
    pack = load_pack(RULES / "cn-default.yaml")
    text = (RULES / "cn-default.cases.yaml").read_text("utf-8")
    for code in (*pack.codes, *(c.code for c in pack.checks)):
        if code.startswith("ALLOW_"):
            continue  # zero-allowance lines are covered by examples/company-sh
        assert code in text, f"no case mentions {code}"


def test_cn_payroll_cases_cover_every_rule_and_check_it_adds():
    base = load_pack(RULES / "cn-default.yaml")
    pack = load_pack(RULES / "cn-payroll.yaml")
    text = (RULES / "cn-payroll.cases.yaml").read_text("utf-8")
    known = {*base.codes, *(c.code for c in base.checks)}
    added = [c for c in (*pack.codes, *(c.code for c in pack.checks)) if c not in known]
    assert len(added) >= 11
    for code in added:
        assert code in text, f"no case mentions {code}"


def copy_pack(tmp_path: Path) -> Path:
    shutil.copy(RULES / "cn-default.yaml", tmp_path / "cn-default.yaml")
    shutil.copy(RULES / "cn-default.cases.yaml", tmp_path / "cn-default.cases.yaml")
    return tmp_path / "cn-default.yaml"


def test_wrong_expectation_is_a_failure_with_differences(tmp_path):
    path = copy_pack(tmp_path)
    cases = tmp_path / "cn-default.cases.yaml"
    cases.write_text(cases.read_text("utf-8").replace('"1125.00"', '"1125.01"'), "utf-8")
    report = run_cases(load_pack(path))
    assert report.failed == 1 and report.passed == len(report.results) - 1
    (bad,) = [r for r in report.results if not r.passed]
    assert bad.differences == ("line OT_WORKDAY: amount 1125.00, expected 1125.01",)
    assert "FAIL" in str(report) and "1125.01" in str(report)


def test_changed_rule_fails_cases(tmp_path):
    path = copy_pack(tmp_path)
    path.write_text(path.read_text("utf-8").replace('{1995-01-01: "1.5"}', '{1995-01-01: "1.6"}'),
                    "utf-8")
    report = run_cases(load_pack(path))
    assert not report.ok
    assert any("OT_WORKDAY" in d for r in report.results for d in r.differences)


def test_bad_case_file_names_its_line(tmp_path):
    path = copy_pack(tmp_path)
    cases = tmp_path / "cn-default.cases.yaml"
    cases.write_text(cases.read_text("utf-8").replace("    expect:\n", "    expcet:\n", 1),
                     "utf-8")
    with pytest.raises(RulePackError, match="cn-default.cases.yaml:") as caught:
        run_cases(load_pack(path))
    assert caught.value.line is not None
