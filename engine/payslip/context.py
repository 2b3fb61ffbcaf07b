"""Payslip context and view model: what one payslip prints, as plain strings.

Sits between compute and rendering. ``PayslipContext`` carries the run-wide facts
(company, month, run and rule pack identity, language, template folder); ``build_view``
turns one ``EmployeeResult`` into a ``PayslipView`` whose fields are already formatted
text, so the template does no arithmetic and the printed lines add up to the printed
totals by construction (a mismatch is refused here, before anything is drawn).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from engine.errors import ConfigError, RenderError
from engine.money import fmt_money, to_capitals
from engine.period import parse_month
from engine.problems import Audience, Problem
from engine.safetext import printable_tree
from engine.rules.lines import Category, EmployeeResult, LineItem, PackInfo
from engine.wecom.models import MonthRecord

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_MONEY_CATEGORIES = (Category.EARNING, Category.DEDUCTION, Category.WITHHOLDING)
_DURATION_EXCEPTIONS = {1, 2, 4}  # only late, early leave and absence carry a duration


class PayslipContext(BaseModel):
    """Run-wide settings shared by every payslip of a run."""

    model_config = ConfigDict(frozen=True)

    company: str
    month: str  # YYYY-MM
    run_id: str
    pack: PackInfo
    # the snapshot file holding the employee's attendance (``monthdata/batch-NNNN.json``)
    # and its sha256: set per payslip (``for_source``), so a payslip made while the fetch
    # still runs names exactly the data it was computed from
    snapshot_sha256: str
    snapshot_file: str = ""
    lang: Literal["zh", "en"] = "zh"
    template_dir: Path = DEFAULT_TEMPLATES
    logo: str | None = None  # file name inside template_dir
    address: str | None = None  # the company's address, printed under its name
    created: datetime | date | None = None  # pinned attachment date; default: period's last day
    encrypt_with: str | None = None  # roster column holding the delivery password
    # the pack's name for the employee's total (pack.net_label): "" prints labels' net
    net_label: str = ""
    net_label_en: str = ""

    def for_source(self, source: "tuple[str, str] | None") -> "PayslipContext":
        """This context for one payslip whose record came from ``source`` (file, sha256);
        unchanged for None (a context that already names its snapshot)."""
        if source is None or (self.snapshot_file, self.snapshot_sha256) == source:
            return self
        return self.model_copy(update={"snapshot_file": source[0],
                                       "snapshot_sha256": source[1]})


class LineRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    item: str
    quantity: str
    unit: str
    rate: str
    multiplier: str
    amount: str


class LineGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str
    title: str
    rows: tuple[LineRow, ...]
    subtotal: str  # money for earnings/deductions, hours for comp time, "" otherwise
    subtotal_label: str = ""  # "" prints the labels' subtotal (小计); withholdings: 扣款合计
    gross_before: str = ""  # 应发合计, printed above the withholding group (工资条 order)


class StatRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    item: str = ""
    count: str = ""
    duration: str = ""


class PayslipView(BaseModel):
    """Everything the template prints, formatted."""

    model_config = ConfigDict(frozen=True)

    lang: str
    labels: dict[str, Any]
    company: str
    logo: str | None
    address: str = ""
    month: str
    userid: str
    name: str
    name_ex: str
    departments: tuple[str, ...]
    rule_group: str
    summary: tuple[tuple[str, str], ...]
    exceptions: tuple[StatRow, ...]
    sp_items: tuple[StatRow, ...]
    overtime: tuple[StatRow, ...]
    groups: tuple[LineGroup, ...]
    comp_hours: str
    net: str
    net_label: str  # 实发工资, or the pack's honest name for a total before tax
    net_capitals: str
    warnings: tuple[str, ...]
    run_id: str
    pack: str
    pack_sha256: str
    snapshot_sha256: str
    roster: tuple[tuple[str, str], ...] = ()  # printed roster columns: (label, value)
    # ledger balances the pack prints: (label, opening, movements, closing, unit)
    balances: tuple[tuple[str, str, str, str, str], ...] = ()


def _balances(result: EmployeeResult, labels: dict[str, Any],
              lang: str) -> tuple[tuple[str, str, str, str, str], ...]:
    names = labels.get("balance_parts", {})
    out = []
    for b in result.balances:
        label = (b.label_en if lang == "en" and b.label_en else b.label) or b.key
        moves = "; ".join(f"{names.get(k, k)} {number(v)}" for k, v in b.parts.items() if v)
        unit = labels["units"].get(b.unit, b.unit)
        out.append((label, number(b.opening), moves, number(b.closing), unit))
    return tuple(out)


def number(value: Decimal, places: int = 4) -> str:
    """Plain decimal text without exponent or trailing zeros (rates, quantities)."""
    text = format(value.quantize(Decimal(1).scaleb(-places)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


@lru_cache(maxsize=8)
def _labels_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read payslip labels: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: payslip labels must be a mapping of languages")
    return data


def load_labels(template_dir: Path, lang: str) -> dict[str, Any]:
    """Labels for ``lang``: the built-in set overlaid by the template folder's own file."""
    labels = _labels_file(DEFAULT_TEMPLATES / "labels.yaml").get(lang, {})
    own = template_dir / "labels.yaml"
    if own.resolve() != (DEFAULT_TEMPLATES / "labels.yaml").resolve() and own.is_file():
        labels = _merge(labels, _labels_file(own).get(lang, {}))
    if not labels:
        raise ConfigError(f"no payslip labels for language {lang!r}")
    return labels


def duration_text(seconds: int, labels: dict[str, Any]) -> str:
    hours, minutes = divmod(seconds // 60, 60)
    parts = [f"{hours} {labels['hours']}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} {labels['minutes']}")
    return " ".join(parts)


def _hours(seconds: int) -> str:
    return number(Decimal(seconds) / Decimal(3600), 2)


def _summary(record: MonthRecord, labels: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    s = record.summary_info
    return (
        (labels["work_days"], str(s.work_days)),
        (labels["regular_days"], str(s.regular_days)),
        (labels["rest_days"], str(s.rest_days)),
        (labels["except_days"], str(s.except_days)),
        (labels["actual_hours"], f"{_hours(s.regular_work_sec)} {labels['units']['h']}"),
        (labels["standard_hours"], f"{_hours(s.standard_work_sec)} {labels['units']['h']}"),
    )


def _exceptions(record: MonthRecord, labels: dict[str, Any]) -> tuple[StatRow, ...]:
    kinds = labels["exception_kinds"]
    return tuple(
        StatRow(kind=kinds.get(str(e.exception), str(e.exception)), count=str(e.count),
                duration=duration_text(e.duration, labels)
                if e.exception in _DURATION_EXCEPTIONS else "")
        for e in sorted(record.exception_infos, key=lambda e: e.exception) if e.count)


def plain_pair(kind: str, item: str) -> tuple[str, str]:
    """A kind and an item name printed side by side without saying a word twice: WeCom
    names the 补卡 item 补卡次数 and the 出差 item 出差, which would print 补卡 补卡次数 and
    出差 出差; the longer of two names where one contains the other is kept alone."""
    if not kind or not item:
        return kind, item
    if kind in item:
        return item, ""
    if item in kind:
        return kind, ""
    return kind, item


def _sp_items(record: MonthRecord, labels: dict[str, Any]) -> tuple[StatRow, ...]:
    kinds, units = labels["sp_kinds"], labels["units"]
    rows = []
    for sp in record.sp_items:
        if not sp.count and not sp.duration:
            continue
        by_hour = sp.time_type == 1
        amount = number(Decimal(sp.duration) / Decimal(3600 if by_hour else 86400), 2)
        kind, item = plain_pair(kinds.get(str(sp.type), str(sp.type)), sp.name)
        rows.append(StatRow(kind=kind, item=item, count=str(sp.count),
                            duration=f"{amount} {units['h'] if by_hour else units['day']}"
                            if sp.duration else ""))
    return tuple(rows)


def _overtime(record: MonthRecord, labels: dict[str, Any]) -> tuple[StatRow, ...]:
    o, h = record.overwork_info, labels["units"]["h"]
    kinds = ((labels["ot_workday"], o.workday_over_sec, o.workdays_over_as_money,
              o.workdays_over_as_vacation),
             (labels["ot_restday"], o.restdays_over_sec, o.restdays_over_as_money,
              o.restdays_over_as_vacation),
             (labels["ot_holiday"], o.holidays_over_sec, o.holidays_over_as_money,
              o.holidays_over_as_vacation))
    # columns reuse StatRow: count = total hours, item = paid, duration = banked
    return tuple(StatRow(kind=k, count=f"{_hours(total)} {h}", item=f"{_hours(money)} {h}",
                         duration=f"{_hours(vac)} {h}")
                 for k, total, money, vac in kinds if total or money or vac)


def _row(line: LineItem, labels: dict[str, Any], lang: str) -> LineRow:
    money = line.category in _MONEY_CATEGORIES
    label, item = plain_pair((line.label_en or line.label) if lang == "en" else line.label,
                             line.item)
    return LineRow(
        code=line.code,  # kept in the view and the embedded data; the page prints no codes
        label=label,
        item=item,
        quantity=number(line.quantity) if line.quantity else "",
        unit=labels["units"].get(line.unit, line.unit),
        rate=number(line.rate) if line.rate else "",
        multiplier=number(line.multiplier) if line.multiplier != 1 else "",
        amount=fmt_money(line.amount) if money else "",
    )


def _groups(result: EmployeeResult, labels: dict[str, Any], lang: str) -> tuple[LineGroup, ...]:
    groups = []
    for category in Category:
        lines = [line for line in result.lines if line.category is category]
        if not lines:
            continue
        if category in _MONEY_CATEGORIES:
            subtotal = fmt_money(sum((line.amount for line in lines), Decimal(0)))
        elif category is Category.TIME_BANK:
            subtotal = f"{number(result.totals.comp_hours)} {labels['units']['h']}"
        else:
            subtotal = ""
        # a 工资条: gross pay (应发合计) closes what was earned, then what is withheld from
        # it adds up to 扣款合计, then 实发工资 (the net table)
        withheld = {"subtotal_label": labels["withheld_total"],
                    "gross_before": fmt_money(result.totals.gross)
                    } if category is Category.WITHHOLDING else {}
        groups.append(LineGroup(category=category.value, title=labels["categories"][category.value],
                                rows=tuple(_row(line, labels, lang) for line in lines),
                                subtotal=subtotal, **withheld))
    return tuple(groups)


def employee_notes(problems: Iterable[Problem]) -> tuple[str, ...]:
    """What the payslip tells the employee: only problems written for them (audience
    ``employee``). Compliance findings for HR (overtime caps, split mismatches, legal
    references, variable names) stay in problems.csv and the finance summary."""
    return tuple(dict.fromkeys(p.message for p in problems
                               if p.audience is Audience.EMPLOYEE))


def check_totals(result: EmployeeResult) -> None:
    """Refuse a payslip whose printed lines would not add up to its printed totals."""
    sums = {c: sum((line.amount for line in result.lines if line.category is c), Decimal(0))
            for c in _MONEY_CATEGORIES}
    t = result.totals
    gross = sums[Category.EARNING] + sums[Category.DEDUCTION]
    checks = (("earnings", sums[Category.EARNING], t.earnings),
              ("deductions", sums[Category.DEDUCTION], t.deductions),
              ("gross", gross, t.gross),
              ("withholdings", sums[Category.WITHHOLDING], t.withholdings),
              ("net", gross + sums[Category.WITHHOLDING], t.net))
    for name, lines_sum, total in checks:
        if lines_sum != total:
            raise RenderError(f"{result.userid}: lines add up to {lines_sum} but the {name} "
                              f"total is {total}")


def net_label(ctx: PayslipContext, labels: dict[str, Any]) -> str:
    """The pack's name for the total (an English payslip falls back to the Chinese one,
    never to "Net pay" for a total the pack says is before tax), else the labels' net."""
    own = (ctx.net_label_en or ctx.net_label) if ctx.lang == "en" else ctx.net_label
    return own or labels["net"]


def build_view(result: EmployeeResult, ctx: PayslipContext, labels: dict[str, Any],
               hidden: frozenset[str] = frozenset()) -> PayslipView:
    """One employee's printable view; raises ``RenderError`` if the totals disagree."""
    check_totals(result)
    parse_month(ctx.month)  # refuses a malformed month before anything is printed
    record = result.record or MonthRecord()
    base = record.base_info
    return printable_view(PayslipView(
        lang=ctx.lang, labels=labels, company=ctx.company, logo=ctx.logo,
        address=ctx.address or "", month=ctx.month,
        userid=result.userid, name=result.name or base.name, name_ex=base.name_ex,
        departments=tuple(base.departments), rule_group=base.rule_info.groupname,
        summary=_summary(record, labels), exceptions=_exceptions(record, labels),
        sp_items=_sp_items(record, labels), overtime=_overtime(record, labels),
        groups=_groups(result, labels, ctx.lang),
        comp_hours=number(result.totals.comp_hours),
        net=fmt_money(result.totals.net), net_label=net_label(ctx, labels),
        net_capitals=to_capitals(result.totals.net),
        warnings=employee_notes(result.problems),
        run_id=ctx.run_id, pack=f"{ctx.pack.name} {ctx.pack.version}".strip(),
        pack_sha256=ctx.pack.sha256, snapshot_sha256=ctx.snapshot_sha256,
        roster=tuple((label, result.roster[column])
                     for column, label in labels.get("roster_fields", {}).items()
                     if result.roster.get(column) and column not in hidden),
        balances=_balances(result, labels, ctx.lang),
    ))


def printable_view(view: PayslipView) -> PayslipView:
    """Every value in the engine's printable form (``engine.safetext``): a control or
    direction-changing character in a name prints as ``[U+XXXX]``. Labels come from the
    template folder, which is trusted, and are left as they are."""
    data = view.model_dump()
    labels = data.pop("labels")
    return PayslipView(labels=labels, **printable_tree(data))


def page_view(ctx: PayslipContext, labels: dict[str, Any]) -> dict[str, Any]:
    """What the page furniture (``page.css.j2``: footer, page numbers) may print: only
    facts of the run, the same on every payslip of it."""
    return {"lang": ctx.lang, "labels": labels, "company": ctx.company, "month": ctx.month,
            "run_id": ctx.run_id, "pack": f"{ctx.pack.name} {ctx.pack.version}".strip(),
            "pack_sha256": ctx.pack.sha256, "snapshot_sha256": ctx.snapshot_sha256}
