"""The month, stage by stage: fetch → compute → payslips → run folder.

This module only orders the stages and moves their results between them; each stage is a
function of its own package. ``fetch_month`` is the one stage that talks to the network;
everything after it reads the snapshot, so ``compute_run`` can recompute a month offline
(``payroll verify`` does exactly that).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict

from engine.errors import RulePackError
from engine.payslip.context import PayslipContext
from engine.payslip.workers import render_all
from engine.period import Period, parse_month
from engine.problems import Problem, Severity
from engine.progress import Progress, Silent
from engine.roster import Roster, load_roster
from engine.rules.apply import compute
from engine.rules.cases import run_cases
from engine.rules.lines import PayrollResult, Status
from engine.rules.loader import load_pack
from engine.run import exports, manifest, tables
from engine.run.folder import INPUTS, RESULTS, atomic_write, prepare, sha256_file
from engine.wecom.snapshot import Snapshot, load_snapshot

DEFAULT_COMPANY = "示例科技有限公司"


class RunOutcome(BaseModel):
    """What a finished run reports back to the CLI or a library caller."""

    model_config = ConfigDict(frozen=True)

    run_dir: Path
    run_id: str
    month: str
    summary: dict[str, Any]
    problems: tuple[Problem, ...]
    payslips: int

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity is Severity.ERROR)

    @property
    def employee_errors(self) -> int:
        return self.summary["by_status"].get(Status.ERROR.value, 0)


def run_id_for(month: str, *digests: str) -> str:
    """A run id derived from its inputs, so the same inputs give the same id (and bytes)."""
    text = "\n".join((month, *digests))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def preflight(pack) -> None:
    """Refuse to compute with a pack whose own test cases fail."""
    report = run_cases(pack)
    if report.failed:
        raise RulePackError(f"{report.failed} of the pack's test cases fail; run "
                            f"`payroll rules test {pack.info.path}` for details",
                            path=pack.info.path)


def copy_inputs(run_dir: Path, roster_path: Path, pack) -> dict[str, str]:
    """Copy roster and every pack file into ``inputs/`` so the run recomputes offline."""
    inputs = run_dir / INPUTS
    copies = {"roster": f"{INPUTS}/roster{roster_path.suffix.lower() or '.csv'}"}
    atomic_write(run_dir / copies["roster"], roster_path.read_bytes())
    for index, source in enumerate(pack.files):
        rel = f"{INPUTS}/rules/{Path(source).name}"
        atomic_write(run_dir / rel, Path(source).read_bytes())
        copies["rules" if index == 0 else f"rules_{index}"] = rel
    (inputs / "rules").mkdir(parents=True, exist_ok=True)
    return copies


def write_results(run_dir: Path, result: PayrollResult, problems: Sequence[Problem],
                  run_id: str, period: Period) -> dict[str, Any]:
    results = run_dir / RESULTS
    lines = tables.line_rows(result)
    employees = tables.employee_rows(result)
    problem_rows = tables.problem_rows(problems)
    summary = tables.summary(result, list(problems), run_id)
    exports.write_csv(results / "line_items.csv", lines, tables.LINE_COLUMNS)
    employee_columns = tables.EMPLOYEE_COLUMNS + tuple(tables.codes_in_order(result))
    exports.write_csv(results / "employees.csv", employees, employee_columns)
    exports.write_csv(results / "problems.csv", problem_rows, tables.PROBLEM_COLUMNS)
    exports.write_json(results / "summary.json", summary)
    exports.write_jsonl(results / "traces.jsonl", (
        {"userid": line.userid, "code": line.code, "item": line.item,
         "trace": line.trace.model_dump(mode="json")}
        for emp in result.employees for line in emp.lines))
    atomic_write(results / "line_items.parquet", exports.parquet_bytes(lines, tables.LINE_COLUMNS))
    atomic_write(results / "payroll.xlsx", exports.xlsx_bytes(
        tables.workbook_sheets(result, lines, employees, employee_columns, summary),
        created=f"{period.last_day.isoformat()}T00:00:00"))
    return summary


def compute_run(run_dir: Path, snapshot: Snapshot, roster: Roster, pack, *, roster_path: Path,
                company: str = DEFAULT_COMPANY, lang: str = "zh", workers: int | None = None,
                template_dir: Path | None = None, encrypt_with: str | None = None,
                extra_problems: Sequence[Problem] = (), progress: Progress | None = None,
                ) -> RunOutcome:
    """Everything after the fetch: compute, results, payslips, manifest."""
    progress = progress or Silent()
    period = snapshot.period
    copies = copy_inputs(run_dir, roster_path, pack)
    run_id = run_id_for(period.month, snapshot.sha256, sha256_file(roster_path), pack.info.sha256)
    result, problems = compute(pack, period, roster, snapshot.records, snapshot.leave_types)
    problems = [*extra_problems, *snapshot.problems, *problems]
    ctx = PayslipContext(company=company, month=period.month, run_id=run_id, pack=pack.info,
                         snapshot_sha256=snapshot.sha256, lang=lang, encrypt_with=encrypt_with,
                         **({"template_dir": template_dir} if template_dir else {}))
    ok = [e for e in result.employees if e.status is Status.OK]
    progress.start("payslips", len(ok))
    files, render_problems = render_all(ok, ctx, run_dir / "payslips", workers=workers,
                                        progress=lambda done, total: progress.advance(1))
    progress.finish()
    problems.extend(render_problems)
    summary = write_results(run_dir, result, problems, run_id, period)
    payslip_rows = [{"userid": f.userid, "file": f.path, "sha256": f.sha256,
                     "size": str(f.size), "net": tables.dec(f.net)} for f in files]
    body = manifest.build(run_dir, run_id=run_id, month=period.month,
                          extra={"inputs": copies, "pack": pack.info.model_dump(mode="json"),
                                 "snapshot_sha256": snapshot.sha256, "company": company,
                                 "lang": lang})
    manifest.write(run_dir, body, payslip_rows)
    return RunOutcome(run_dir=run_dir, run_id=run_id, month=period.month, summary=summary,
                      problems=tuple(problems), payslips=len(files))
