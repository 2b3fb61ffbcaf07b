"""``diff``: what a rerun changed, per employee and code."""

from __future__ import annotations

import shutil
from decimal import Decimal as D

import pytest
from rich.console import Console

from engine.errors import RunFolderError
from engine.rules.lines import Category, PayrollResult, Status
from engine.run.diff import diff

from run_samples import employee, line, sample_result, totals, write_tables


def corrected() -> tuple[PayrollResult, list]:
    """The sample month after a correction: one amount fixed, a line added, one employee
    now payable, one removed from the roster and one added."""
    result, problems = sample_result()
    zhang, li, wang = result.employees
    lines = list(zhang.lines)
    lines[1] = lines[1].model_copy(update={"quantity": D("13.5"), "amount": D("1163.79")})
    zhang = zhang.model_copy(update={"lines": tuple(lines), "totals": totals(tuple(lines))})
    wang_lines = (line("wangwu", "BASE", Category.EARNING, "基本工资", quantity="1",
                       unit="month", rate="9000", amount="9000.00"),)
    wang = wang.model_copy(update={"status": Status.OK, "lines": wang_lines,
                                   "totals": totals(wang_lines), "problems": ()})
    zhao = employee("zhaoliu", "赵六", "总部/销售部",
                    (line("zhaoliu", "BASE", Category.EARNING, "基本工资", quantity="1",
                          unit="month", rate="7000", amount="7000.00"),))
    del li
    return result.model_copy(update={"employees": (zhang, wang, zhao)}), problems[:1]


@pytest.fixture
def runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_tables(a, *sample_result())
    write_tables(b, *corrected(), run_id="fedcba9876543210")
    return a, b


def test_identical_runs_have_no_changes(runs, tmp_path):
    a, _ = runs
    shutil.copytree(a, tmp_path / "copy")
    report = diff(a, tmp_path / "copy")
    assert report.same and str(report).endswith("no differences")


def test_changes_per_employee_and_code(runs):
    report = diff(*runs)
    zhang = [(c.kind, c.code, c.field, c.before, c.after, c.delta)
             for c in report.for_employee("zhangsan")]
    assert zhang == [
        ("total", "", "earnings", "11997.13", "12083.33", "+86.20"),
        ("total", "", "net", "11537.36", "11623.56", "+86.20"),
        ("amount", "OT_WORKDAY", "amount", "1077.59", "1163.79", "+86.20"),
        ("quantity", "OT_WORKDAY", "quantity", "12.5", "13.5", "+1.0"),
    ]
    wang = [(c.kind, c.code, c.field, c.before, c.after)
            for c in report.for_employee("wangwu")]
    assert wang[0] == ("status", "", "status", "error", "ok")
    assert ("line_added", "BASE", "", "", "9000.00 (1 month)") in wang
    assert [(c.kind, c.before, c.after) for c in report.for_employee("lisi")] == [
        ("employee_removed", "ok net 8045.97", "")]
    assert [(c.kind, c.before, c.after) for c in report.for_employee("zhaoliu")] == [
        ("employee_added", "", "ok net 7000.00")]


def test_run_totals_change_with_their_delta(runs):
    summary = {c.field: (c.before, c.after, c.delta) for c in diff(*runs).changes
               if c.kind == "summary"}
    assert summary["totals.net"] == ("19583.33", "27623.56", "+8040.23")
    assert summary["by_status.error"] == ("1", "0", "-1")
    assert summary["by_code.DED_ABSENT"] == ("-367.82", "", "+367.82")


def test_printable_as_text_and_rich_table(runs):
    report = diff(*runs)
    text = str(report)
    assert "amount           zhangsan OT_WORKDAY amount: 1077.59 → 1163.79 (+86.20)" in text
    console = Console(record=True, width=200)
    console.print(report.table())
    rendered = console.export_text()
    assert "OT_WORKDAY" in rendered and "+86.20" in rendered and "fedcba9876543210" in rendered


def test_not_a_run_folder(tmp_path, runs):
    with pytest.raises(RunFolderError, match="not a readable run folder"):
        diff(runs[0], tmp_path / "nowhere")


def test_equal_numbers_written_differently_are_not_changes(runs, tmp_path):
    a, _ = runs
    shutil.copytree(a, tmp_path / "c")
    path = tmp_path / "c/results/employees.csv"
    path.write_text(path.read_text("utf-8").replace(",0,0,0,0,1,", ",0.00,0,0,0,1,"), "utf-8")
    assert ",0.00,0,0,0,1," in path.read_text("utf-8")
    assert diff(a, tmp_path / "c").same
