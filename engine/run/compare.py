"""Comparison of a run folder's results with what its evidence recomputes.

Used by :mod:`engine.run.verify` (the recomputed month against the files found) and by
:mod:`engine.run.diff` (one run against another). Rows are the text rows of
:mod:`engine.run.tables`, compared cell by cell as exact text, so ``10000.00`` and
``10000.0`` differ exactly as they would for an importer. Each finding is a
:class:`Difference` naming file, employee and code.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from engine.problems import Problem
from engine.rules.lines import EmployeeResult
from engine.run import cells, tables
from engine.run.folder import RESULTS

LINES_CSV = f"{RESULTS}/line_items.csv"
EMPLOYEES_CSV = f"{RESULTS}/employees.csv"
PROBLEMS_CSV = f"{RESULTS}/problems.csv"
SUMMARY_JSON = f"{RESULTS}/summary.json"
SUMMARY_HTML = f"{RESULTS}/summary.html"
TRACES_JSONL = f"{RESULTS}/traces.jsonl"
LINES_PARQUET = f"{RESULTS}/line_items.parquet"


class Difference(BaseModel):
    """One thing in the folder that does not follow from its evidence."""

    model_config = ConfigDict(frozen=True)

    kind: str  # missing_file, extra_file, changed_file, manifest, pack, recompute, line, …
    file: str
    userid: str = ""
    code: str = ""
    expected: str = ""
    found: str = ""
    message: str

    def __str__(self) -> str:
        where = " ".join(p for p in (self.file, self.userid and f"user={self.userid}",
                                     self.code and f"code={self.code}") if p)
        detail = (f" (expected {self.expected!r}, found {self.found!r})"
                  if self.expected or self.found else "")
        return f"[{self.kind}] {where}: {self.message}{detail}"


def difference(kind: str, file: str, message: str, **fields: Any) -> Difference:
    return Difference(kind=kind, file=file, message=message,
                      **{k: str(v) for k, v in fields.items()})


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows with the original values (formula escapes undone)."""
    return cells.read_csv(path)


def keyed_lines(rows: Iterable[dict[str, str]]) -> dict[tuple[str, str, str, int], dict]:
    """Lines keyed by (userid, code, item, n-th occurrence): a rule may repeat per item."""
    seen: Counter = Counter()
    out = {}
    for row in rows:
        base = (row.get("userid", ""), row.get("code", ""), row.get("item", ""))
        out[(*base, seen[base])] = row
        seen[base] += 1
    return out


def row_diffs(kind: str, file: str, want: dict[str, str], got: dict[str, str],
               userid: str, code: str = "") -> list[Difference]:
    return [difference(kind, file, f"{column} differs", userid=userid, code=code,
                       expected=want.get(column, ""), found=got.get(column, ""))
            for column in dict.fromkeys([*want, *got]) if want.get(column) != got.get(column)]


def compare_lines(expected: Sequence[dict[str, str]], found: Sequence[dict[str, str]],
                  file: str = LINES_CSV) -> list[Difference]:
    """Every recomputed line present with equal cells, and no line that should not be."""
    want, got = keyed_lines(expected), keyed_lines(found)
    out = []
    for key in want.keys() | got.keys():
        userid, code, item, _n = key
        label = f"line {code}" + (f" [{item}]" if item else "")
        if key not in got:
            out.append(difference("line", file, f"{label} is missing", userid=userid, code=code,
                                  expected=want[key].get("amount", "")))
        elif key not in want:
            out.append(difference("line", file, f"{label} does not follow from the inputs",
                                  userid=userid, code=code, found=got[key].get("amount", "")))
        else:
            out += row_diffs("line", file, want[key], got[key], userid, code)
    return sorted(out, key=lambda d: (d.userid, d.code, d.message))


def compare_employees(expected: Sequence[dict[str, str]], found: Sequence[dict[str, str]],
                      file: str = EMPLOYEES_CSV) -> list[Difference]:
    want = {r["userid"]: r for r in expected}
    got = {r.get("userid", ""): r for r in found}
    out = []
    for userid in sorted(want.keys() | got.keys()):
        if userid not in got:
            out.append(difference("employee", file, "employee is missing", userid=userid))
        elif userid not in want:
            out.append(difference("employee", file, "employee is not on the roster copy",
                                  userid=userid))
        else:
            out += row_diffs("employee", file, want[userid], got[userid], userid)
    return out


def _without_pack_path(summary: dict[str, Any]) -> dict[str, Any]:
    pack = summary.get("pack")
    if isinstance(pack, dict):
        return {**summary, "pack": {k: v for k, v in pack.items() if k != "path"}}
    return summary


def compare_summary(expected: dict[str, Any], found: dict[str, Any],
                    problem_rows: Sequence[dict[str, str]]) -> list[Difference]:
    """``summary.json`` equals the recomputed one; its problem counts equal problems.csv's.

    The pack's ``path`` is left out: the recomputation reads the pack copy in ``inputs/``,
    not the file the run was started with; the pack's identity is its sha256."""
    expected, found = _without_pack_path(expected), _without_pack_path(found)
    out = [difference("summary", SUMMARY_JSON, f"{key} differs",
                      expected=json.dumps(expected.get(key), ensure_ascii=False, sort_keys=True),
                      found=json.dumps(found.get(key), ensure_ascii=False, sort_keys=True))
           for key in dict.fromkeys([*expected, *found])
           if key != "problems" and expected.get(key) != found.get(key)]
    counts = dict(sorted(Counter(r.get("severity", "") for r in problem_rows).items()))
    if found.get("problems") != counts:
        out.append(difference("summary", SUMMARY_JSON, "problem counts differ from problems.csv",
                              expected=json.dumps(counts), found=json.dumps(found.get("problems"))))
    return out


def _problem_key(row: dict[str, str]) -> tuple:
    # ``source`` names the file the run read (the original roster, not its copy in
    # inputs/), so it cannot be expected to match a recomputation from the copy
    return tuple(sorted((k, v) for k, v in row.items() if k != "source"))


def compare_problems(expected: Iterable[Problem], rows: Sequence[dict[str, str]]
                     ) -> list[Difference]:
    """Every problem the recomputation reports is listed in problems.csv."""
    listed = Counter(_problem_key(r) for r in rows)
    out = []
    for row in tables.problem_rows(expected):
        key = _problem_key(row)
        if listed[key]:
            listed[key] -= 1
        else:
            out.append(difference("problem", PROBLEMS_CSV, f"problem {row['code']} is not listed",
                                  userid=row["userid"], expected=row["message"]))
    return out


def compare_traces(employees: Iterable[EmployeeResult], found: Sequence[dict[str, Any]],
                   file: str = TRACES_JSONL) -> list[Difference]:
    """``traces.jsonl`` holds each line's recomputed trace, in line order."""
    want = [{"userid": line.userid, "code": line.code, "item": line.item,
             "trace": line.trace.model_dump(mode="json")}
            for emp in employees for line in emp.lines]
    out = [difference("trace", file, f"trace of line {n + 1} differs",
                      userid=a.get("userid", ""), code=a.get("code", ""))
           for n, (a, b) in enumerate(zip(want, found)) if a != b]
    if len(want) != len(found):
        out.append(difference("trace", file, "number of traces differs",
                              expected=len(want), found=len(found)))
    return out


def _payslip_fields(data: dict[str, Any], emp: EmployeeResult, run_id: str, month: str,
                    pack_sha256: str, source: tuple[str, str] | None
                    ) -> list[tuple[str, Any, Any]]:
    found = (data.get("snapshot_file"), data.get("snapshot_sha256"))
    return [("userid", emp.userid, data.get("userid")),
            ("snapshot file", list(source) if source else None,
             list(found) if source else None),
            ("run_id", run_id, data.get("run_id")),
            ("month", month, data.get("month")),
            ("pack sha256", pack_sha256, (data.get("pack") or {}).get("sha256")),
            ("totals", emp.totals.model_dump(mode="json"), data.get("totals")),
            ("balances", [b.model_dump(mode="json") for b in emp.balances] or None,
             data.get("balances"))]


def compare_payslip(data: dict[str, Any], emp: EmployeeResult, file: str, *, run_id: str,
                    month: str, pack_sha256: str,
                    source: tuple[str, str] | None = None) -> list[Difference]:
    """The data embedded in one payslip equals the recomputed employee (and, given
    ``source``, names the snapshot file and sha256 the employee's record is in)."""
    out = [difference("payslip", file, f"embedded {name} differs", userid=emp.userid,
                      expected=json.dumps(want, ensure_ascii=False, sort_keys=True),
                      found=json.dumps(got, ensure_ascii=False, sort_keys=True))
           for name, want, got in _payslip_fields(data, emp, run_id, month, pack_sha256, source)
           if want != got]
    want_lines = [tables.line_row(line, precise=True) for line in emp.lines]
    got_lines = [_embedded_row(line) for line in data.get("lines") or []]
    out += [d.model_copy(update={"kind": "payslip", "message": f"embedded {d.message}"})
            for d in compare_lines(want_lines, got_lines, file)]
    traces = [line.trace.model_dump(mode="json") for line in emp.lines]
    if not out and traces != [line.get("trace") for line in data.get("lines") or []]:
        out.append(difference("payslip", file, "embedded line traces differ", userid=emp.userid))
    return out


_NUMERIC_LINE = {"quantity", "rate", "multiplier", "amount"}


def _embedded_row(line: dict[str, Any]) -> dict[str, str]:
    """An embedded line as a CSV row: numbers re-rendered so ``1E+1`` compares as ``10``."""
    row = {column: str(line.get(column, "")) for column in tables.LINE_COLUMNS}
    for column in _NUMERIC_LINE:
        try:
            row[column] = tables.dec(Decimal(row[column]))
        except InvalidOperation:
            pass  # left as found: the comparison reports it
    return row
