"""The review page's data: a run's results cut into small JSON chunks.

Pure: the finished month (``PayrollResult``), its problems (rows of ``problems.csv``) and
a few facts about the run in, ``{relative path: bytes}`` out. Written by ``site``. The
page loads the summary first and the rest chunk by chunk, so a run of 100,000 employees
opens about as fast as one of a thousand: employees in chunks of 1,000 rows, each
employee's lines and traces in chunks of 250 (the traces' parameters, which repeat, once
per chunk), problems in chunks of 1,000. Every chunk is a ``.js`` file that hands its JSON to the page
(``PAYROLL.chunk(kind, number, data)``) so the folder also works opened from disk, where
browsers refuse ``fetch`` of local files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any, Iterable, Sequence

from engine.rules.lines import EmployeeResult, LineItem, PayrollResult
from engine.run.tables import dec, department

EMPLOYEE_CHUNK = 1000
DETAIL_CHUNK = 250
PROBLEM_CHUNK = 1000
DIFF_LIMIT = 5000  # changes shown on the page; the rest are counted (payroll diff has all)
EMPLOYEE_FIELDS = ("userid", "name", "department", "status", "earnings", "deductions", "net",
                   "problems", "payslip")
PROBLEM_FIELDS = ("severity", "stage", "code", "userid", "rule", "field", "message",
                  "department")
LINE_FIELDS = ("code", "label", "category", "item", "quantity", "unit", "rate", "multiplier",
               "amount", "trace")


def script(kind: str, number: int, data: Any) -> bytes:
    """One chunk as a script that hands its data to the page."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # "</" never appears inside a script body, so no value can close the tag
    text = text.replace("</", "<\\/")
    return f"PAYROLL.chunk({json.dumps(kind)},{number},{text});\n".encode()


def _chunks(rows: Sequence[Any], size: int) -> Iterable[tuple[int, Sequence[Any]]]:
    for number, start in enumerate(range(0, len(rows), size)):
        yield number, rows[start:start + size]


def _employee_row(emp: EmployeeResult, payslips: dict[str, str]) -> list[str]:
    t = emp.totals
    return [emp.userid, emp.name, department(emp), emp.status.value, dec(t.earnings),
            dec(t.deductions), dec(t.net), str(len(emp.problems)), payslips.get(emp.userid, "")]


def _line(line: LineItem, params: dict[str, int]) -> list[Any]:
    tr = line.trace
    used = []
    for name, use in tr.parameters.items():
        key = json.dumps([name, dec(use.value), use.effective, use.unit, use.reference],
                         ensure_ascii=False)
        used.append(params.setdefault(key, len(params)))
    trace = {"rule": tr.rule, "formula": tr.formula,
             "inputs": {k: dec(v) if isinstance(v, Decimal) else str(v)
                        for k, v in tr.inputs.items()},
             "params": used, "unrounded": dec(tr.unrounded), "rounding": tr.rounding,
             "notes": list(tr.notes)}
    return [line.code, line.label, line.category.value, line.item, dec(line.quantity), line.unit,
            dec(line.rate), dec(line.multiplier), dec(line.amount), trace]


def _details(employees: Sequence[EmployeeResult]) -> dict[str, Any]:
    params: dict[str, int] = {}
    out = {emp.userid: {"lines": [_line(x, params) for x in emp.lines],
                        "problems": [p.message for p in emp.problems]} for emp in employees}
    table = [json.loads(k) for k, _ in sorted(params.items(), key=lambda kv: kv[1])]
    return {"employees": out, "params": table}


def _totals(result: PayrollResult) -> dict[str, Any]:
    by_code: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    by_dept: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    by_status: dict[str, int] = defaultdict(int)
    by_category: dict[str, Decimal] = defaultdict(Decimal)
    for emp in result.employees:
        by_status[emp.status.value] += 1
        dept = by_dept[department(emp) or "—"]
        dept[0] += 1
        dept[1] += emp.totals.net
        for line in emp.lines:
            by_code[(line.code, line.label, line.category.value)] += line.amount
            by_category[line.category.value] += line.amount
    return {
        "by_status": dict(sorted(by_status.items())),
        "by_category": {k: dec(v) for k, v in sorted(by_category.items())},
        "by_code": [{"code": c, "label": lbl, "category": cat, "amount": dec(v)}
                    for (c, lbl, cat), v in by_code.items()],
        "by_department": [{"department": d, "employees": n, "net": dec(net)}
                          for d, (n, net) in sorted(by_dept.items())],
    }


def _problem_rows(problems: Sequence[dict[str, str]], departments: dict[str, str]
                  ) -> list[list[str]]:
    return [[p.get("severity", ""), p.get("stage", ""), p.get("code", ""), p.get("userid", ""),
             p.get("rule", ""), p.get("field", ""), p.get("message", ""),
             departments.get(p.get("userid", ""), "")] for p in problems]


def build(result: PayrollResult, problems: Sequence[dict[str, str]], facts: dict[str, Any],
          payslips: dict[str, str], diff: Sequence[dict[str, str]] | None = None
          ) -> dict[str, bytes]:
    """``{path under data/: bytes}`` for the whole page; ``facts`` (run id, company,
    totals, approval, delivery …) go into the summary unchanged."""
    employees = list(result.employees)
    departments = {e.userid: department(e) for e in employees}
    rows = [_employee_row(e, payslips) for e in employees]
    prows = _problem_rows(problems, departments)
    files: dict[str, bytes] = {}
    for n, chunk in _chunks(rows, EMPLOYEE_CHUNK):
        files[f"employees-{n:04d}.js"] = script("employees", n, chunk)
    for n, chunk in _chunks(employees, DETAIL_CHUNK):
        files[f"details-{n:04d}.js"] = script("details", n, _details(chunk))
    for n, chunk in _chunks(prows, PROBLEM_CHUNK):
        files[f"problems-{n:04d}.js"] = script("problems", n, chunk)
    summary = {
        **facts, **_totals(result), "month": result.month,
        "pack": {"name": result.pack.name, "version": result.pack.version},
        "fields": {"employees": EMPLOYEE_FIELDS, "problems": PROBLEM_FIELDS,
                   "lines": LINE_FIELDS},
        "counts": {"employees": len(rows), "problems": len(prows)},
        "chunks": {"employees": [EMPLOYEE_CHUNK, -(-len(rows) // EMPLOYEE_CHUNK)],
                   "details": [DETAIL_CHUNK, -(-len(employees) // DETAIL_CHUNK)],
                   "problems": [PROBLEM_CHUNK, -(-len(prows) // PROBLEM_CHUNK)]},
        "problem_rules": sorted({p[4] for p in prows if p[4]}),
        "problem_severities": sorted({p[0] for p in prows if p[0]}),
        "departments": sorted({d for d in departments.values() if d}),
        "diff": None if diff is None else {"changes": list(diff[:DIFF_LIMIT]),
                                           "total": len(diff)},
    }
    files["summary.js"] = script("summary", 0, summary)
    return files
