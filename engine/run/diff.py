"""``payroll diff``: what changed between two run folders of a month.

Used after a correction (a fixed roster, a new pack version, a refetch): reads the
results tables of both runs (nothing is recomputed) and lists, per employee and code,
employees added or removed, status changes, lines added or removed, amount and quantity
changes with their delta, other changed cells, and the changed run totals. Printable as
plain text or as a rich table.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict

from engine.errors import RunFolderError
from engine.run.compare import EMPLOYEES_CSV, LINES_CSV, SUMMARY_JSON, keyed_lines, read_csv

EMPLOYEE_FIELDS = ("earnings", "deductions", "net", "comp_hours")
LINE_FIELDS = ("category", "label", "label_en", "unit", "rate", "multiplier")


class Change(BaseModel):
    """One difference from run A to run B."""

    model_config = ConfigDict(frozen=True)

    kind: str  # employee_added, employee_removed, status, total, line_added, line_removed,
    #            amount, quantity, line (another cell), summary
    userid: str = ""
    code: str = ""
    item: str = ""
    field: str = ""
    before: str = ""
    after: str = ""
    delta: str = ""

    def __str__(self) -> str:
        where = " ".join(p for p in (self.userid, self.code, self.item and f"[{self.item}]",
                                     self.field) if p)
        delta = f" ({self.delta})" if self.delta else ""
        return f"{self.kind:<16} {where}: {self.before or '—'} → {self.after or '—'}{delta}"


class DiffReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_a: str
    run_b: str
    label_a: str = ""  # "month run_id"
    label_b: str = ""
    changes: tuple[Change, ...] = ()

    @property
    def same(self) -> bool:
        return not self.changes

    def for_employee(self, userid: str) -> list[Change]:
        return [c for c in self.changes if c.userid == userid]

    def __str__(self) -> str:
        head = f"A {self.run_a} ({self.label_a})\nB {self.run_b} ({self.label_b})"
        if self.same:
            return f"{head}\nno differences"
        return f"{head}\n{len(self.changes)} change(s):\n" + "\n".join(
            f"  {c}" for c in self.changes)

    def table(self):
        """The changes as a ``rich.table.Table`` for a terminal."""
        from rich.table import Table

        table = Table(title=f"{self.label_a} → {self.label_b}", show_lines=False)
        for name, justify in (("employee", "left"), ("code", "left"), ("item", "left"),
                              ("change", "left"), ("field", "left"), ("A", "right"),
                              ("B", "right"), ("B − A", "right")):
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for c in self.changes:
            table.add_row(c.userid, c.code, c.item, c.kind, c.field, c.before, c.after, c.delta)
        return table


def _delta(before: str, after: str) -> str:
    try:
        value = Decimal(after or "0") - Decimal(before or "0")
    except InvalidOperation:
        return ""
    text = format(value, "f")
    return text if value < 0 else f"+{text}"


def _differs(before: str | None, after: str | None) -> bool:
    """Numbers compare by value (``0`` equals ``0.00``); anything else as text."""
    try:
        return Decimal(before or "") != Decimal(after or "")
    except InvalidOperation:
        return before != after


def _numeric_change(kind: str, before: str, after: str, **where: str) -> Change:
    return Change(kind=kind, before=before, after=after, delta=_delta(before, after), **where)


def diff_employees(a: Sequence[dict[str, str]], b: Sequence[dict[str, str]]) -> list[Change]:
    rows_a = {r["userid"]: r for r in a}
    rows_b = {r["userid"]: r for r in b}
    out = []
    for userid in sorted(rows_a.keys() | rows_b.keys()):
        ra, rb = rows_a.get(userid), rows_b.get(userid)
        if ra is None or rb is None:
            row = rb or ra or {}
            kind = "employee_added" if ra is None else "employee_removed"
            net = f"{row.get('status', '')} net {row.get('net', '')}"
            out.append(Change(kind=kind, userid=userid, before="" if ra is None else net,
                              after=net if ra is None else ""))
            continue
        if ra.get("status") != rb.get("status"):
            out.append(Change(kind="status", userid=userid, field="status",
                              before=ra.get("status", ""), after=rb.get("status", "")))
        out += [_numeric_change("total", ra.get(f, ""), rb.get(f, ""), userid=userid, field=f)
                for f in EMPLOYEE_FIELDS if _differs(ra.get(f), rb.get(f))]
    return out


def _line_change(key: tuple[str, str, str, int], ra: dict | None, rb: dict | None
                 ) -> list[Change]:
    userid, code, item, _n = key
    where = {"userid": userid, "code": code, "item": item}
    if ra is None or rb is None:
        row = rb or ra or {}
        kind = "line_added" if ra is None else "line_removed"
        text = f"{row.get('amount', '')} ({row.get('quantity', '')} {row.get('unit', '')})"
        return [Change(kind=kind, before="" if ra is None else text,
                       after=text if ra is None else "", **where)]
    out = [_numeric_change(f, ra.get(f, ""), rb.get(f, ""), field=f, **where)
           for f in ("amount", "quantity") if _differs(ra.get(f), rb.get(f))]
    out += [Change(kind="line", field=f, before=ra.get(f, ""), after=rb.get(f, ""), **where)
            for f in LINE_FIELDS if _differs(ra.get(f), rb.get(f))]
    return out


def diff_lines(a: Sequence[dict[str, str]], b: Sequence[dict[str, str]],
               common: set[str]) -> list[Change]:
    """Line changes of employees present in both runs (added/removed employees are listed
    as such, not line by line)."""
    lines_a = {k: v for k, v in keyed_lines(a).items() if k[0] in common}
    lines_b = {k: v for k, v in keyed_lines(b).items() if k[0] in common}
    out: list[Change] = []
    for key in sorted(lines_a.keys() | lines_b.keys()):
        out += _line_change(key, lines_a.get(key), lines_b.get(key))
    return out


def diff_summary(a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    out = []
    for group in ("totals", "by_category", "by_code"):
        ga, gb = a.get(group) or {}, b.get(group) or {}
        out += [_numeric_change("summary", ga.get(k, ""), gb.get(k, ""), field=f"{group}.{k}")
                for k in dict.fromkeys([*ga, *gb]) if _differs(ga.get(k), gb.get(k))]
    sa, sb = a.get("by_status") or {}, b.get("by_status") or {}
    out += [_numeric_change("summary", str(sa.get(k, 0)), str(sb.get(k, 0)),
                            field=f"by_status.{k}")
            for k in sorted(sa.keys() | sb.keys()) if sa.get(k, 0) != sb.get(k, 0)]
    return out


def _load(run_dir: Path) -> tuple[list[dict], list[dict], dict[str, Any]]:
    try:
        employees = read_csv(run_dir / EMPLOYEES_CSV)[1]
        lines = read_csv(run_dir / LINES_CSV)[1]
        summary = json.loads((run_dir / SUMMARY_JSON).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunFolderError(f"{run_dir} is not a readable run folder: {exc}") from exc
    return employees, lines, summary


def diff(run_a: Path, run_b: Path) -> DiffReport:
    """Changes from run A to run B, per employee and code, then the run totals."""
    emp_a, lines_a, sum_a = _load(run_a)
    emp_b, lines_b, sum_b = _load(run_b)
    common = {r["userid"] for r in emp_a} & {r["userid"] for r in emp_b}
    by_employee = diff_employees(emp_a, emp_b) + diff_lines(lines_a, lines_b, common)
    by_employee.sort(key=lambda c: (c.userid, c.code, c.item))
    return DiffReport(
        run_a=str(run_a), run_b=str(run_b),
        label_a=f"{sum_a.get('month', '')} {sum_a.get('run_id', '')}".strip(),
        label_b=f"{sum_b.get('month', '')} {sum_b.get('run_id', '')}".strip(),
        changes=(*by_employee, *diff_summary(sum_a, sum_b)))
