"""Departments: every one in results/departments.csv, the largest in the finance summary.

A company with more departments than the summary lists (``LISTED_DEPARTMENTS``) gets
that many rows in each table by department and one more row carrying the others' sums,
so every column still adds up to the totals; each department left out is in the file.
"""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest

from engine.rules.lines import Category, PayrollResult, Status
from engine.run import cells, departments, tables
from engine.run.summary import LISTED_DEPARTMENTS, summary_html, write_summary

from run_samples import MONTH, PACK, employee, line
from test_summary import COMPANY, pdf_text

EXTRA = 7  # departments past the summary's limit


def _name(n: int) -> str:
    return f"总部/部门{n:03d}"


def many_departments() -> PayrollResult:
    """``LISTED_DEPARTMENTS + EXTRA`` departments of one to three employees (headcounts
    tie, so the name decides), each with its own pay and overtime; one employee unpaid."""
    employees = []
    for n in range(LISTED_DEPARTMENTS + EXTRA):
        for k in range(1 + n % 3):
            userid = f"u{n:03d}{k}"
            lines = (line(userid, "BASE", Category.EARNING, "基本工资", quantity="1",
                          unit="month", rate="1", amount=f"{5000 + 37 * n + k}.{n % 100:02d}"),
                     line(userid, "DED_LEAVE", Category.DEDUCTION, "事假扣款",
                          amount=f"-{n % 11}.{k}5"))
            status = Status.ERROR if (n, k) == (4, 0) else Status.OK
            employees.append(employee(userid, f"员工{n}-{k}", _name(n), lines, status=status,
                                      workday=1800 * ((n * 7) % 13), restday=900 * (n % 5),
                                      holiday=600 * (k == 1)))
    return PayrollResult(month=MONTH, pack=PACK, employees=tuple(employees))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("departments")
    result = many_departments()
    summary = tables.summary(result, [], "0123456789abcdef")
    departments.write_departments(run_dir / "results", result.employees, summary)
    html_path, pdf_path = write_summary(run_dir, result, [], summary, COMPANY)
    return run_dir, result, summary, html_path.read_text("utf-8"), pdf_text(pdf_path)


def _table(html: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table class="grid[^"]*" id="{table_id}">(.*?)</table>', html, re.S)[1]
    rows = re.findall(r"<tr( class=\"other\")?><td>([^<]*)</td>(.*?)</tr>", body, re.S)
    return [[label, *re.findall(r'<td class="num">([^<]*)</td>', rest)]
            for _other, label, rest in rows]


def _number(text: str) -> D:
    return D(text.replace(",", ""))


def test_the_file_lists_every_department(written):
    run_dir, result, summary, *_ = written
    header, rows = cells.read_csv(run_dir / "results/departments.csv")
    assert tuple(header) == departments.COLUMNS
    assert [r["department"] for r in rows] == [_name(n) for n in range(LISTED_DEPARTMENTS + EXTRA)]
    assert sum(int(r["employees"]) for r in rows) == summary["paid"]
    for key in ("earnings", "deductions", "net"):
        assert sum(D(r[key]) for r in rows) == D(summary["totals"][key])
    seconds = sum(e.record.overwork_info.workday_over_sec for e in result.employees)
    assert abs(sum(D(r["workday_hours"]) for r in rows) - D(seconds) / 3600) < D("0.01") * len(rows)


def test_the_summary_lists_the_largest_departments_and_sums_the_others(written):
    run_dir, _result, summary, html, text = written
    rows = _table(html, "by-department")
    assert len(rows) == LISTED_DEPARTMENTS + 1
    *listed, other = rows
    assert other[0] == f"其他 {EXTRA} 个部门 The other {EXTRA} departments"
    # the largest by paid headcount, ties by name, printed in name order
    by_file = {r["department"]: r for r in cells.read_csv(run_dir / "results/departments.csv")[1]}
    ranked = sorted(by_file, key=lambda n: (-int(by_file[n]["employees"]), n))
    assert [r[0] for r in listed] == sorted(ranked[:LISTED_DEPARTMENTS])
    left_out = ranked[LISTED_DEPARTMENTS:]
    assert int(other[1]) == sum(int(by_file[n]["employees"]) for n in left_out)
    assert _number(other[6]) == sum(D(by_file[n]["net"]) for n in left_out)
    # every column adds up to the printed totals
    assert sum(int(r[1]) for r in rows) == summary["paid"]
    for index, key in enumerate(("earnings", "deductions", "gross", "withholdings", "net"), 2):
        assert sum(_number(r[index]) for r in rows) == D(summary["totals"][key]), key
    assert f"the other {EXTRA} are summed in one row, and each of them is in " \
           "results/departments.csv" in html
    # (the label wraps in the PDF's narrow first column)
    assert re.search(rf"^ ?其他 {EXTRA} 个部门 The other {EXTRA} {other[1]} "
                     rf"{re.escape(' '.join(other[2:]))}$", text, re.M)


def test_the_chart_shows_the_most_overtime_and_sums_the_others(written):
    run_dir, _result, _summary, html, text = written
    rows = _table(html, "overtime")
    assert len(rows) == LISTED_DEPARTMENTS + 1
    assert html.count('<td class="bar"><svg') == LISTED_DEPARTMENTS
    *listed, other = rows
    by_file = {r["department"]: r for r in cells.read_csv(run_dir / "results/departments.csv")[1]}
    ranked = sorted(by_file, key=lambda n: (-D(by_file[n]["overtime_hours"]), n))
    assert [r[0] for r in listed] == sorted(ranked[:LISTED_DEPARTMENTS])
    for row in listed:
        assert row[1:] == [f"{D(by_file[row[0]][k]):,}" for k in departments.HOURS]
    for index, key in enumerate(departments.HOURS, 1):
        total = sum(D(r[key]) for r in by_file.values())
        assert abs(sum(_number(r[index]) for r in rows) - total) <= D("0.01") * EXTRA, key
    assert other[0].startswith(f"其他 {EXTRA} 个部门")
    assert "id=\"overtime-left-out\"" in html and "其他 7 个部门" in text


def test_a_company_within_the_limit_lists_every_department(sample):
    result, problems = sample
    html = summary_html(result, problems, tables.summary(result, problems, "r"), COMPANY)
    assert 'class="other"' not in html and "left-out" not in html.replace(
        "problems-left-out", "")


def test_verify_finds_a_changed_or_missing_department(written, tmp_path):
    run_dir, result, summary, *_ = written
    assert departments.check_departments(run_dir, result.employees, summary) == []
    path = run_dir / "results/departments.csv"
    copy = tmp_path / "results/departments.csv"
    copy.parent.mkdir()
    copy.write_text(path.read_text("utf-8").replace(f"{_name(3)},", f"{_name(3)}x,"), "utf-8")
    found = departments.check_departments(tmp_path, result.employees, summary)
    assert {d.message for d in found} == {
        f"department {_name(3)} differs from the recomputed month",
        f"department {_name(3)}x is not in the recomputed month"}
    copy.unlink()
    assert [d.kind for d in departments.check_departments(tmp_path, result.employees,
                                                          summary)] == ["missing_file"]
