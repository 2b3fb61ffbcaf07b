"""The finance summary of a run: ``results/summary.html`` and ``results/summary.pdf``.

Written by the pipeline after the results tables and before the manifest, so both files
are hashed with the rest of the run. ``build_view`` turns the compute result, the run's
problems and ``summary.json`` into formatted text (totals by category, code and
department, headcounts by status, overtime hours by department as inline SVG bars, every
error and the first warnings); the template does no arithmetic. A company of more than
``LISTED_DEPARTMENTS`` departments gets the largest ones and a row summing the others in
each table by department (every one is in ``results/departments.csv``). The HTML is self-contained (stylesheet
inlined, no scripts, no external files) and the PDF is rendered from the same HTML with
a URL fetcher that serves nothing outside the template folder. No dates are written, so
the same run gives the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

import jinja2
from pydantic import BaseModel, ConfigDict

from engine.errors import ConfigError, RenderError
from engine.money import fmt_money
from engine.problems import Problem
from engine.rules.lines import MONEY_TOTALS, Category, EmployeeResult, PayrollResult
from engine.rules.packed import select
from engine.run import tables
from engine.run.departments import (DEPARTMENTS_CSV, LISTED, OT_KINDS, fmt_hours, largest,
                                    overtime_by_department)
from engine.run.folder import RESULTS, atomic_write
from engine.run.hold import is_paid
from engine.run.schemas import RunSummary
from engine.safetext import printable_tree

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE = "summary.html.j2"
STYLESHEET = "summary.css"
HTML_NAME = "summary.html"
PDF_NAME = "summary.pdf"
FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans")
BAR_WIDTH = 300  # SVG user units of the longest bar
_MONEY = (Category.EARNING, Category.DEDUCTION, Category.WITHHOLDING)
# warnings and notes printed one by one; past this many they are counted by code only
# (every one is in problems.csv): a large company's thousands would take the PDF hours
LISTED_NOTICES = 500
# departments printed one by one in each of the two tables by department; the others are
# summed into one row (every one of them is in results/departments.csv)
LISTED_DEPARTMENTS = LISTED


class Row(BaseModel):
    """One printed table row: a label and formatted cells."""

    model_config = ConfigDict(frozen=True)

    label: str
    cells: tuple[str, ...]


class Bar(BaseModel):
    """One department's overtime bar: stacked segments (kind, x, width) in SVG units."""

    model_config = ConfigDict(frozen=True)

    department: str
    segments: tuple[tuple[str, int, int], ...]
    hours: tuple[str, ...]  # workday, rest day, holiday, total


class Others(BaseModel):
    """The row of a table by department that sums the departments not printed."""

    model_config = ConfigDict(frozen=True)

    count: int
    cells: tuple[str, ...]


class SummaryView(BaseModel):
    model_config = ConfigDict(frozen=True)

    company: str
    month: str
    run_id: str
    pack: str
    pack_sha256: str
    employees: str
    totals: tuple[Row, ...]
    by_status: tuple[Row, ...]
    by_category: tuple[Row, ...]
    by_code: tuple[Row, ...]
    by_department: tuple[Row, ...]  # the largest LISTED_DEPARTMENTS
    departments_other: Others | None  # the other departments' sums
    unpaid: tuple[Row, ...]  # userid: name, status, reason, computed net
    by_cost_centre: tuple[Row, ...]
    bars: tuple[Bar, ...]  # the LISTED_DEPARTMENTS with the most overtime
    bars_other: Others | None
    departments_file: str
    bar_width: int
    problems: tuple[Problem, ...]  # every error, the first LISTED_NOTICES others
    problems_left_out: int  # warnings and notes not printed one by one
    problem_counts: tuple[Row, ...]
    problem_codes: tuple[Row, ...]  # severity · stage · code: count
    css: str


def _unit_names() -> dict[str, str]:
    """Chinese unit names shared with the payslips (``h`` → 小时)."""
    from engine.payslip.context import DEFAULT_TEMPLATES, load_labels

    return dict(load_labels(DEFAULT_TEMPLATES, "zh").get("units", {}))


def _code_rows(result: PayrollResult, units: dict[str, str]) -> tuple[Row, ...]:
    """Per code: category, line count and the money sum (quantity sum for time/info codes)."""
    first: dict[str, Any] = {}
    count: dict[str, int] = defaultdict(int)
    amount: dict[str, Decimal] = defaultdict(Decimal)
    quantity: dict[str, Decimal] = defaultdict(Decimal)
    code_units = tables.code_units(result)  # one unit per quantity code, never h + day
    for emp in result.employees:
        for line in emp.lines:
            first.setdefault(line.code, line)
            count[line.code] += 1
            amount[line.code] += line.amount
            if line.code in code_units:
                quantity[line.code] += tables.in_unit(line, code_units[line.code])
    rows = []
    for code, line in first.items():
        money = line.category in _MONEY
        unit = units.get(code_units.get(code, line.unit), code_units.get(code, line.unit))
        value = fmt_money(amount[code]) if money else f"{tables.dec(quantity[code])} {unit}"
        rows.append(Row(label=code, cells=(line.label, line.category.value, str(count[code]),
                                           value)))
    return tuple(rows)


def _group_rows(groups: dict[str, Any]) -> tuple[Row, ...]:
    """Per department or cost centre: headcount, earnings, deductions, net (the group
    totals of ``summary.json``)."""
    return tuple(Row(label=name, cells=(str(g.employees), *(fmt_money(Decimal(getattr(g, k)))
                                                          for k in MONEY_TOTALS)))
                 for name, g in groups.items())


def _unpaid_rows(employees: Sequence[EmployeeResult]) -> tuple[Row, ...]:
    """Every employee without a payslip: who, why (their first error) and what was computed."""
    rows = []
    for emp in employees:
        if is_paid(emp):
            continue
        errors = [p.message for p in emp.problems if p.severity.value == "error"]
        reason = errors[0] if errors else ("no WeCom record for the month"
                                           if emp.status.value == "missing" else "")
        rows.append(Row(label=emp.userid, cells=(emp.name, emp.status.value, reason,
                                                 fmt_money(emp.totals.net))))
    return tuple(rows)


def _bars(hours: dict[str, list[Decimal]]) -> tuple[Bar, ...]:
    longest = max((sum(v) for v in hours.values()), default=Decimal(0))
    bars = []
    for dept, values in hours.items():
        x, segments = 0, []
        for (kind, _field), value in zip(OT_KINDS, values):
            width = int((value / longest * BAR_WIDTH).to_integral_value()) if longest else 0
            if width:
                segments.append((kind, x, width))
                x += width
        bars.append(Bar(department=dept, segments=tuple(segments),
                        hours=tuple(fmt_hours(v) for v in (*values, sum(values)))))
    return tuple(bars)


def _department_table(groups: dict[str, Any]) -> tuple[tuple[Row, ...], Others | None]:
    """The ``LISTED_DEPARTMENTS`` largest departments by paid headcount (ties by name),
    in name order, and the others as one row of sums."""
    listed, others = largest(groups, lambda g: g.employees, LISTED_DEPARTMENTS)
    if not others:
        return _group_rows(groups), None
    sums = [sum((Decimal(getattr(groups[n], k)) for n in others), Decimal(0))
            for k in MONEY_TOTALS]
    return (_group_rows({n: groups[n] for n in listed}),
            Others(count=len(others), cells=(str(sum(groups[n].employees for n in others)),
                                             *(fmt_money(v) for v in sums))))


def _overtime_chart(hours: dict[str, list[Decimal]]) -> tuple[tuple[Bar, ...], Others | None]:
    """A bar for each of the ``LISTED_DEPARTMENTS`` departments with the most overtime
    (ties by name), in name order, and the others' hours as one row without a bar (the
    longest bar is a listed one, so the scale is the whole company's)."""
    listed, others = largest(hours, sum, LISTED_DEPARTMENTS)
    if not others:
        return _bars(hours), None
    sums = [sum((hours[n][i] for n in others), Decimal(0)) for i in range(len(OT_KINDS))]
    return (_bars({n: hours[n] for n in listed}),
            Others(count=len(others), cells=tuple(fmt_hours(v) for v in (*sums, sum(sums)))))


def listed_problems(problems: Sequence[Problem]) -> tuple[tuple[Problem, ...], int]:
    """Every error and the first ``LISTED_NOTICES`` other problems, in run order, and how
    many others were left out."""
    listed, others = [], 0
    for problem in problems:
        if problem.severity.value == "error" or others < LISTED_NOTICES:
            listed.append(problem)
        others += problem.severity.value != "error"
    return tuple(listed), max(0, others - LISTED_NOTICES)


def _code_counts(problems: Sequence[Problem]) -> tuple[Row, ...]:
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for p in problems:
        counts[(p.severity.value, p.stage, p.code)] += 1
    return tuple(Row(label=" · ".join(key), cells=(str(n),)) for key, n in counts.items())


def build_view(result: PayrollResult, problems: Sequence[Problem], summary: dict[str, Any],
               company: str, css: str = "") -> SummaryView:
    """Everything the summary prints, formatted; ``summary`` is ``tables.summary()`` output."""
    data = RunSummary.model_validate(summary)
    listed, left_out = listed_problems(problems)
    # money tables count the paid employees only; the others are listed apart
    paid = result.model_copy(update={"employees": select(result.employees, is_paid)})
    by_department, departments_other = _department_table(data.by_department)
    bars, bars_other = _overtime_chart(overtime_by_department(result.employees))
    return printable_view(SummaryView(
        company=company, month=data.month, run_id=data.run_id,
        pack=f"{data.pack.name} {data.pack.version}".strip(), pack_sha256=data.pack.sha256,
        employees=str(data.employees),
        totals=tuple(Row(label=k, cells=(fmt_money(data.total(k)),))
                     for k in MONEY_TOTALS),
        by_status=tuple(Row(label=k.value, cells=(str(v),)) for k, v in data.by_status.items()),
        by_category=tuple(Row(label=c.value, cells=(fmt_money(Decimal(data.by_category[c])),))
                          for c in Category if c in data.by_category and c in _MONEY),
        by_code=_code_rows(paid, _unit_names()),
        by_department=by_department, departments_other=departments_other,
        departments_file=f"{RESULTS}/{DEPARTMENTS_CSV}",
        by_cost_centre=_group_rows(data.by_cost_centre),
        unpaid=_unpaid_rows(result.employees),
        bars=bars, bars_other=bars_other, bar_width=BAR_WIDTH,
        problems=listed, problems_left_out=left_out, problem_codes=_code_counts(problems),
        problem_counts=tuple(Row(label=k.value, cells=(str(v),))
                             for k, v in data.problems.items()),
        css=css,
    ))


def printable_view(view: SummaryView) -> SummaryView:
    """Every value from WeCom or a roster (departments, names in problems) in the
    engine's printable form (``engine.safetext``); the stylesheet is left as it is."""
    data = view.model_dump()
    css = data.pop("css")
    return SummaryView(css=css, **printable_tree(data))


def _environment(template_dir: Path) -> jinja2.Environment:
    if not (template_dir / TEMPLATE).is_file():
        raise ConfigError(f"summary template {TEMPLATE} not found in {template_dir}")
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir)),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def render_html(view: SummaryView, template_dir: Path = TEMPLATE_DIR) -> str:
    try:
        return _environment(template_dir).get_template(TEMPLATE).render(v=view)
    except jinja2.TemplateError as exc:
        raise RenderError(f"finance summary template failed: {exc}") from exc


def render_pdf(html: str, template_dir: Path = TEMPLATE_DIR) -> bytes:
    """The summary PDF; only files inside ``template_dir`` can ever be fetched."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from engine.payslip.fonts import coverage, fallback_glyphs
    from engine.payslip.pdf import TemplateFetcher

    # a character no font draws (an emoji in a department) prints as [U+XXXX], never a box
    html, _missing = fallback_glyphs(html, coverage(FONTS))
    fetcher = TemplateFetcher(template_dir)
    try:
        document = weasyprint.HTML(string=html, base_url=template_dir.resolve().as_uri() + "/",
                                   url_fetcher=fetcher)
        return document.write_pdf(font_config=FontConfiguration(), full_fonts=False)
    except Exception as exc:  # WeasyPrint raises many unrelated types
        raise RenderError(f"finance summary PDF failed: {exc}") from exc


def summary_html(result: PayrollResult, problems: Sequence[Problem], summary: dict[str, Any],
                 company: str, template_dir: Path = TEMPLATE_DIR) -> str:
    css_path = template_dir / STYLESHEET
    try:
        css = css_path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {css_path}: {exc.strerror or exc}") from exc
    return render_html(build_view(result, problems, summary, company, css), template_dir)


def write_summary(run_dir: Path, result: PayrollResult, problems: Sequence[Problem],
                  summary: dict[str, Any], company: str,
                  template_dir: Path = TEMPLATE_DIR) -> list[Path]:
    """Write ``results/summary.html`` and ``results/summary.pdf``; returns both paths."""
    return write_rendered(run_dir, summary_html(result, problems, summary, company,
                                                template_dir), template_dir)


def write_rendered(run_dir: Path, html: str, template_dir: Path = TEMPLATE_DIR) -> list[Path]:
    """``write_summary`` of the HTML ``summary_html`` made (the pipeline lets the month go
    in between)."""
    results = run_dir / RESULTS
    return [atomic_write(results / HTML_NAME, html),
            atomic_write(results / PDF_NAME, render_pdf(html, template_dir))]
