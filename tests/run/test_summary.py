"""The finance summary: its printed numbers equal the line items to the fen."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest

from engine.run import tables
from engine.run.summary import BAR_WIDTH, render_pdf, summary_html, write_summary

from run_samples import RUN_ID, write_tables

COMPANY = "示例科技有限公司"


def money(value: Decimal) -> str:
    return format(value, ",.2f")


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True, timeout=60).stdout.decode("utf-8")
    return re.sub(r"[ \t]+", " ", out)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from run_samples import sample_result

    run_dir = tmp_path_factory.mktemp("summary")
    result, problems = sample_result()
    summary = write_tables(run_dir, result, problems)
    paths = write_summary(run_dir, result, problems, summary, COMPANY)
    return run_dir, paths, result, problems, summary


def expected_sums(run_dir: Path):
    """Sums straight from the CSV exports, independent of the summary code."""
    lines = csv_rows(run_dir / "results/line_items.csv")
    dept = {r["userid"]: r["department"] for r in csv_rows(run_dir / "results/employees.csv")}
    by_code: dict[str, Decimal] = defaultdict(Decimal)
    by_cat: dict[str, Decimal] = defaultdict(Decimal)
    by_dept: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    kinds = ("earning", "deduction", "withholding")
    for r in lines:
        amount = Decimal(r["amount"])
        by_code[r["code"]] += amount
        by_cat[r["category"]] += amount
        if r["category"] in kinds:
            by_dept[dept[r["userid"]]][kinds.index(r["category"])] += amount
    return lines, by_code, by_cat, by_dept


def test_writes_html_and_pdf_into_results(written):
    run_dir, paths, *_ = written
    assert paths == [run_dir / "results/summary.html", run_dir / "results/summary.pdf"]
    assert paths[1].read_bytes().startswith(b"%PDF-")


def test_pdf_numbers_equal_line_item_sums_to_the_fen(written):
    run_dir, paths, *_ = written
    text = pdf_text(paths[1])
    lines, by_code, by_cat, by_dept = expected_sums(run_dir)
    money_codes = {r["code"] for r in lines
                   if r["category"] in ("earning", "deduction", "withholding")}
    for code in money_codes:
        assert re.search(rf"^ ?{code} .* {re.escape(money(by_code[code]))}$", text, re.M), code
    earn, ded, held = by_cat["earning"], by_cat["deduction"], by_cat["withholding"]
    assert re.search(rf"Earnings {re.escape(money(earn))}$", text, re.M)
    assert re.search(rf"Deductions {re.escape(money(ded))}$", text, re.M)
    assert re.search(rf"Gross pay {re.escape(money(earn + ded))}$", text, re.M)
    assert re.search(rf"Withholdings {re.escape(money(held))}$", text, re.M)
    assert re.search(rf"实发合计 Net pay {re.escape(money(earn + ded + held))}$", text, re.M)
    for dept, (e, d, w) in by_dept.items():
        row = " ".join(money(v) for v in (e, d, e + d, w, e + d + w))
        assert re.search(rf"^ ?{re.escape(dept)} \d+ {re.escape(row)}$", text, re.M), dept


def test_headcounts_and_every_problem_are_printed(written):
    run_dir, paths, result, problems, _ = written
    text = pdf_text(paths[1])
    statuses = defaultdict(int)
    for emp in result.employees:
        statuses[emp.status.value] += 1
    for status, count in statuses.items():
        assert re.search(rf"{status} {count}$", text, re.M)
    for p in problems:
        sep = r"\s*·\s*"
        assert re.search(sep.join((p.severity.value, p.stage, p.code, p.userid or "—")), text), p.code


def test_overtime_chart_bars_follow_the_records(written):
    run_dir, paths, result, *_ = written
    html = paths[0].read_text("utf-8")
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for emp in result.employees:
        o = emp.record.overwork_info
        secs = o.workday_over_sec + o.restdays_over_sec + o.holidays_over_sec
        hours[tables.department(emp)] += Decimal(secs) / 3600
    rows = re.findall(r"<tr><td>([^<]+)</td>\s*<td class=\"bar\"><svg[^>]*>(.*?)</svg>", html, re.S)
    widths = {dept: sum(int(w) for w in re.findall(r'width="(\d+)"', svg)) for dept, svg in rows}
    longest = max(hours.values())
    assert set(widths) == set(hours)
    for dept, total in hours.items():
        assert abs(widths[dept] - total / longest * BAR_WIDTH) <= 3  # per-segment rounding
    text = pdf_text(paths[1])
    for dept, total in hours.items():
        assert re.search(rf"{re.escape(dept)} .*{re.escape(money(total))}$", text, re.M)


def test_html_is_self_contained_and_escaped(written):
    html = written[1][0].read_text("utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"\b(src|href)\s*=", html)
    assert not re.search(r"url\(", html)
    assert "&lt;b&gt;45000 s&lt;/b&gt;" in html and "<b>45000" not in html


def test_fonts_are_the_cjk_chain_and_embedded(written):
    out = subprocess.run(["pdffonts", str(written[1][1])], capture_output=True, text=True,
                         check=True, timeout=60).stdout.splitlines()[2:]
    assert out and all(" yes " in row for row in out)
    assert any("WenQuanYi" in row for row in out)


def test_same_run_gives_the_same_bytes(written, tmp_path):
    run_dir, paths, result, problems, summary = written
    again = write_summary(tmp_path, result, problems, summary, COMPANY)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]


def test_the_payslip_speedups_leave_the_summary_bytes_alone(written, tmp_path):
    """The WeasyPrint caches a payslip renderer installs apply to every document of the
    process, the summary too: same bytes with them (warm) and without."""
    from engine.payslip import speedups
    from engine.payslip.pdf import Renderer, render_pdf as render_payslip
    from engine.payslip.sample import context, zhangsan

    run_dir, paths, result, problems, summary = written
    render_payslip(zhangsan(), context(), Renderer(context().template_dir, "zh", environ={}))
    warm = [p.read_bytes() for p in write_summary(tmp_path / "warm", result, problems,
                                                  summary, COMPANY)]
    with speedups.disabled():
        plain = [p.read_bytes() for p in write_summary(tmp_path / "plain", result, problems,
                                                       summary, COMPANY)]
    assert warm == plain == [p.read_bytes() for p in paths]


def _png(path: Path, colour: str) -> Path:
    from PIL import Image

    Image.new("RGB", (4, 4), colour).save(path, format="PNG")
    return path


def test_pdf_fetches_nothing_outside_the_template_folder(tmp_path, sample):
    (tmp_path / "templates").mkdir()
    inside = _png(tmp_path / "templates" / "logo.png", "blue")
    secret = _png(tmp_path / "secret.png", "red")
    html = summary_html(*sample, tables.summary(*sample, RUN_ID), COMPANY)
    tags = "".join(f'<img src="{url}">' for url in (
        secret.as_uri(), "http://127.0.0.1:9/x.png", "../secret.png", "logo.png"))
    pdf = render_pdf(html.replace("</body>", tags + "</body>"), tmp_path / "templates")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        # each image once: the pages of a longer summary share one resources dictionary
        found = {x.objgen: x for page in doc.pages for x in page.get_images().values()}
        pixels = [pikepdf.PdfImage(x).as_pil_image().convert("RGB").getpixel((0, 0))
                  for x in found.values()]
    assert inside.is_file() and pixels == [(0, 0, 255)]  # only the template folder's own logo


def test_demo_run_has_a_summary_matching_its_line_items(demo_run):
    pdf = demo_run / "results/summary.pdf"
    if not pdf.is_file():
        pytest.skip("the pipeline does not write the finance summary yet")
    text = pdf_text(pdf)
    _lines, by_code, by_cat, _ = expected_sums(demo_run)
    assert re.search(rf"Earnings {re.escape(money(by_cat['earning']))}$", text, re.M)
    for code, total in by_code.items():
        if total:
            assert re.search(rf"^ ?{code} .* {re.escape(money(total))}$", text, re.M), code


def test_a_large_runs_warnings_past_the_limit_are_counted_not_listed(written, tmp_path):
    from engine.problems import error, warning
    from engine.run.summary import LISTED_NOTICES

    run_dir, _paths, result, problems, summary = written
    many = [warning("compute", "MANY", f"notice {n}", userid=f"u{n}")
            for n in range(LISTED_NOTICES + 40)]
    late = error("payslip", "LATE_ERROR", "an error after every warning", userid="z")
    html = summary_html(result, [*problems, *many, late], summary, COMPANY)
    listed = re.findall(r"notice (\d+)", html)
    shown = LISTED_NOTICES - sum(p.severity.value != "error" for p in problems)
    assert listed == [str(n) for n in range(shown)]  # the first ones, in run order
    assert "LATE_ERROR" in html and "an error after every warning" in html  # errors: all
    left_out = len(many) - shown
    assert f"the other {left_out} are in results/problems.csv" in html
    # every problem is still counted by code
    assert re.search(rf"warning · compute · MANY</td><td class=\"num\">{len(many)}<", html)
    assert "problems-left-out" not in summary_html(result, problems, summary, COMPANY)


def test_emoji_and_control_characters_print_in_their_printable_form(tmp_path):
    """An emoji in a department used to stop the whole summary (exit 6)."""
    from run_samples import sample_result

    result, problems = sample_result()
    employees = []
    for emp, dept in zip(result.employees, ("研发🚀部", "销售\x07部", "总部\u202e")):
        base = emp.record.base_info.model_copy(update={"departs_name": dept})
        employees.append(emp.model_copy(update={"record": emp.record.model_copy(
            update={"base_info": base}), "name": f"{emp.name}🚀"}))
    result = result.model_copy(update={"employees": tuple(employees)})
    summary = write_tables(tmp_path, result, problems)
    html_path, pdf_path = write_summary(tmp_path, result, problems, summary, COMPANY)
    html = html_path.read_text("utf-8")
    assert "研发🚀部" in html and "销售[U+0007]部" in html and "总部[U+202E]" in html
    assert "\x07" not in html and "\u202e" not in html
    text = pdf_text(pdf_path)
    assert "研发[U+1F680]部" in text and "销售[U+0007]部" in text
