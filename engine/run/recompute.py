"""``payroll verify``, the recomputation: the month computed again from the folder's own
``snapshot/`` and ``inputs/``, and the ``results/`` files compared with it.

Called by ``engine.run.verify`` (which checks files, hashes and payslips around it) and by
the review site, which shows the recomputed month. Nothing here trusts ``results/``: every
file is read back as found, an unreadable one is a difference, and each table, the finance
summary page and the ledger are rebuilt from the recomputed month and compared.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict

from engine.errors import PayrollError
from engine.problems import Problem
from engine.rules.lines import PayrollResult
from engine.run import tables
from engine.run.compare import (EMPLOYEES_CSV, LINES_CSV, LINES_PARQUET, PROBLEMS_CSV,
                                SUMMARY_HTML, SUMMARY_JSON, TRACES_JSONL, Difference,
                                compare_employees, compare_lines, compare_problems,
                                compare_summary, compare_traces, difference, read_csv)
from engine.run.folder import MANIFEST_CSV, listed_inside, sha256_file
from engine.run.inputs import load_inputs, run_id_for
from engine.safetext import text_problems

__all__ = ["Recomputed", "check_ledger", "check_summary_html", "compare_tables",
           "read_results", "recompute"]


class Recomputed(BaseModel):
    """The month as the folder's own evidence computes it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    result: PayrollResult
    month: Any = None  # engine.run.chain.Month: the ledger and what re-closes it
    problems: tuple[Problem, ...]  # roster, snapshot and compute problems (not render/fetch)
    pack: Any = None  # the pack copy: it decides the columns of employees.csv
    run_id: str
    snapshot_sha256: str
    pack_sha256: str
    # userid → (snapshot file, its sha256) the employee's record came from: printed on
    # and embedded in the payslip
    sources: dict[str, tuple[str, str]] = {}


def _input_path(run_dir: Path, manifest: dict[str, Any], key: str, pattern: str) -> Path:
    rel = manifest.get("inputs", {}).get(key)
    if rel:
        if not listed_inside(run_dir, run_dir / rel):
            raise FileNotFoundError(f"{rel} is outside the run folder")
        return run_dir / rel
    found = sorted((run_dir / "inputs").glob(pattern))
    if not found:
        raise FileNotFoundError(f"inputs/{pattern} not found")
    return found[0]


def recompute(run_dir: Path, manifest: dict[str, Any]) -> Recomputed:
    """Load snapshot, roster copy and pack copy from the folder and compute the month."""
    from engine.run.chain import compute_month, source_digests
    from engine.wecom.snapshot import load_snapshot

    copies = {"roster": _input_path(run_dir, manifest, "roster", "roster.*"),
              "rules": _input_path(run_dir, manifest, "rules", "rules/*.yaml")}
    relative = {k: v.relative_to(run_dir).as_posix() for k, v in copies.items()}
    omits = manifest.get("inputs", {}).get("roster_omits")
    roster, roster_problems, pack = load_inputs(
        run_dir, {**relative, **({"roster_omits": omits} if omits else {})})
    snapshot = load_snapshot(run_dir)
    source = manifest.get("ledger", {})
    month = compute_month(pack, snapshot.period, roster, snapshot, run_dir, source,
                          [*roster_problems, *snapshot.problems],
                          manifest.get("names", "wecom"))
    run_id = run_id_for(snapshot.period.month, snapshot.plan_sha256,
                        sha256_file(copies["roster"]), pack.info.sha256,
                        *source_digests(run_dir, source))
    problems = (*month.problems, *text_problems(month.result.employees))
    return Recomputed(result=month.result, month=month, problems=problems,
                      pack=pack,
                      run_id=run_id, snapshot_sha256=snapshot.sha256,
                      pack_sha256=pack.info.sha256,
                      sources={u: (f, snapshot.file_sha256[f])
                               for u, f in snapshot.record_files.items()})


# --- results/ against the recomputed month --------------------------------------------


def _problems_from_rows(rows: Sequence[dict[str, str]]) -> list[Problem]:
    return [Problem.model_validate(row) for row in rows]


def check_summary_html(run_dir: Path, manifest: dict[str, Any], again: Recomputed,
                       summary: dict[str, Any], problem_rows: Sequence[dict[str, str]]
                       ) -> list[Difference]:
    """The finance summary page is the one the recomputed month and problems.csv give."""
    from engine.run.summary import summary_html

    path = run_dir / SUMMARY_HTML
    if not path.is_file():
        return []
    try:
        html = summary_html(again.result, _problems_from_rows(problem_rows), summary,
                            manifest.get("company", ""))
    except (PayrollError, ValueError) as exc:
        return [difference("summary", SUMMARY_HTML, f"cannot rebuild the finance summary: {exc}")]
    if html != path.read_bytes().decode("utf-8"):
        return [difference("summary", SUMMARY_HTML, "finance summary page differs from the one the "
                           "recomputed month gives")]
    return []


def _read_parquet(path: Path) -> list[dict[str, str]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    # split on "\n" only: a value may hold U+2028 or U+0085, which splitlines() breaks on
    text = path.read_bytes().decode("utf-8")
    return [json.loads(line) for line in text.split("\n") if line.strip()]


_READERS = (("lines", LINES_CSV, lambda p: read_csv(p)[1]),
            ("employees", EMPLOYEES_CSV, lambda p: read_csv(p)[1]),
            ("problems", PROBLEMS_CSV, lambda p: read_csv(p)[1]),
            ("payslips", MANIFEST_CSV, lambda p: read_csv(p)[1]),
            ("parquet", LINES_PARQUET, _read_parquet),
            ("traces", TRACES_JSONL, _read_jsonl),
            ("summary", SUMMARY_JSON, lambda p: json.loads(p.read_text("utf-8"))))


def read_results(run_dir: Path) -> tuple[dict[str, Any], list[Difference]]:
    """The result files as found; unreadable ones become differences."""
    found: dict[str, Any] = {}
    out = []
    for key, rel, reader in _READERS:
        try:
            found[key] = reader(run_dir / rel)
        except (OSError, ValueError, csv.Error) as exc:  # pyarrow's errors are ValueError/OSError
            found[key] = None  # reported once here; its comparisons are skipped
            out.append(difference("unreadable", rel, f"cannot read: {exc}"))
    return found, out


def compare_tables(again: Recomputed, run_id: str, found: dict[str, Any]
                    ) -> list[Difference]:
    result = again.result
    expected_summary = tables.summary(result, list(again.problems), run_id)
    line_rows = tables.line_rows(result)
    precise = tables.line_rows(result, precise=True)
    checks = (
        ("lines", lambda rows: compare_lines(line_rows, rows)),
        ("parquet", lambda rows: compare_lines(precise, rows, LINES_PARQUET)),
        ("traces", lambda rows: compare_traces(result.employees, rows)),
        ("employees", lambda rows: compare_employees(tables.employee_rows(result, again.pack), rows)),
        ("problems", lambda rows: compare_problems(again.problems, rows)),
        ("summary", lambda data: compare_summary(expected_summary, data,
                                                 found["problems"] or [])),
    )
    out: list[Difference] = []
    for key, check in checks:
        if found[key] is not None:
            out += check(found[key])
    return out


def check_ledger(run_dir: Path, again: Recomputed) -> list[Difference]:
    """``results/ledger.csv`` is the ledger the recomputed month closes with, row for row
    (its opening column then equals the previous closing, which ``check_chain`` proves)."""
    from engine.ledger.files import export_rows
    from engine.run.chain import LEDGER_CSV

    path = run_dir / LEDGER_CSV
    ledger = again.month.ledger if again.month is not None else None
    if ledger is None:
        return [difference("extra_file", LEDGER_CSV, "a ledger in a run whose pack declares "
                           "none")] if path.is_file() else []
    if not path.is_file():
        return [difference("missing_file", LEDGER_CSV, "the pack declares a ledger")]
    got = {(r["userid"], r["key"]): r for r in read_csv(path)[1]}
    out = []
    for row in export_rows(ledger):
        found = got.pop((row["userid"], row["key"]), None)
        if found != row:
            out.append(difference("ledger", LEDGER_CSV, f"row {row['key']} differs from the "
                                  "recomputed ledger", userid=row["userid"],
                                  expected=json.dumps(row, ensure_ascii=False),
                                  found=json.dumps(found, ensure_ascii=False)))
    out += [difference("ledger", LEDGER_CSV, f"row {key} is not in the recomputed ledger",
                       userid=userid) for userid, key in sorted(got)]
    return out
