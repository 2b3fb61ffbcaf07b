"""``payroll verify``: prove a finished run folder from its own evidence.

Reads a run folder months later and trusts none of its results. Every file is checked
against ``manifest.json`` (missing, extra, changed) and every payslip against
``manifest.csv``; the rule pack copy must hash to the pack identity the run recorded; then
the month is recomputed offline from ``snapshot/`` and ``inputs/`` and every line, total
and count is compared with ``results/`` and with the data embedded in each payslip PDF.
The answer is a list of precise differences, empty when the folder proves itself. The
recomputation and the comparison of ``results/`` with it are ``engine.run.recompute``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Collection, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from engine.errors import PayrollError
from engine.exports.check import verify_exports
from engine.progress import Progress, Silent
from engine.rules.lines import EmployeeResult, PayrollResult, Status
from engine.run import tables
from engine.run.compare import Difference, compare_payslip, difference
from engine.run.folder import MANIFEST, MANIFEST_CSV, listed_inside, sha256_file
from engine.run.hold import payslip_errors
from engine.run.recompute import (Recomputed, check_ledger, check_summary_html, compare_tables,
                                  read_results, recompute)
from engine.run.visible import all_files, check_visible

__all__ = ["Difference", "VerifyReport", "verify"]


class VerifyReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_dir: str
    run_id: str = ""
    month: str = ""
    checked: dict[str, int] = {}
    differences: tuple[Difference, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.differences

    def __str__(self) -> str:
        counts = ", ".join(f"{n} {what}" for what, n in self.checked.items())
        head = f"run {self.run_id or '?'} ({self.month or '?'}) in {self.run_dir}: checked {counts}"
        if self.ok:
            return f"OK {head}; no differences"
        body = "\n".join(f"  {d}" for d in self.differences)
        return f"FAILED {head}; {len(self.differences)} difference(s):\n{body}"


# --- files ------------------------------------------------------------------------------


def check_files(run_dir: Path, manifest: dict[str, Any]) -> list[Difference]:
    """Every file listed with the right hash and size, and no file that is not listed."""
    listed = {e["path"]: e for e in manifest.get("files", [])}
    present = set(all_files(run_dir)[0])  # temporaries and dotfiles included
    out = [difference("manifest", path, "listed path is outside the run folder")
           for path in sorted(listed) if not listed_inside(run_dir, run_dir / path)]
    listed = {path: e for path, e in listed.items() if listed_inside(run_dir, run_dir / path)}
    out += [difference("missing_file", path, "listed in manifest.json but missing")
            for path in sorted(set(listed) - present)]
    out += [difference("extra_file", path, "present but not listed in manifest.json")
            for path in sorted(present - set(listed))]
    for path in sorted(set(listed) & present):
        entry, file = listed[path], run_dir / path
        size, digest = file.stat().st_size, sha256_file(file)
        if digest != entry["sha256"]:
            out.append(difference("changed_file", path, "sha256 differs from manifest.json",
                                  expected=entry["sha256"], found=digest))
        if size != entry["size"]:
            out.append(difference("changed_file", path, "size differs from manifest.json",
                                  expected=entry["size"], found=size))
    return out


def check_payslip_index(run_dir: Path, manifest: dict[str, Any],
                        rows: Sequence[dict[str, str]]) -> list[Difference]:
    """``manifest.csv`` rows agree with the files and with ``manifest.json``."""
    listed = {e["path"]: e for e in manifest.get("files", [])}
    out = []
    for row in rows:
        path, who = row.get("file", ""), row.get("userid", "")
        file = run_dir / path
        if not listed_inside(run_dir, file):
            out.append(difference("manifest", MANIFEST_CSV, "payslip path is outside the run "
                                  "folder", userid=who, found=path))
            continue
        if not path or not file.is_file():
            out.append(difference("missing_file", path or MANIFEST_CSV, "payslip listed in "
                                  "manifest.csv is missing", userid=who))
            continue
        digest, size = sha256_file(file), str(file.stat().st_size)
        if digest != row.get("sha256"):
            out.append(difference("changed_file", path, "sha256 differs from manifest.csv",
                                  userid=who, expected=row.get("sha256", ""), found=digest))
        if size != row.get("size"):
            out.append(difference("changed_file", path, "size differs from manifest.csv",
                                  userid=who, expected=row.get("size", ""), found=size))
        if path in listed and listed[path]["sha256"] != row.get("sha256"):
            out.append(difference("manifest", MANIFEST_CSV, "manifest.csv and manifest.json give "
                                  "different sha256 for this payslip", userid=who,
                                  expected=listed[path]["sha256"], found=row.get("sha256", "")))
    return out


def check_identity(manifest: dict[str, Any], again: Recomputed) -> list[Difference]:
    """Pack copy, snapshot and run id are the ones the run recorded."""
    checks = (
        ("pack", manifest.get("inputs", {}).get("rules", "inputs/rules"),
         "rule pack copy does not hash to the pack the run used",
         manifest.get("pack", {}).get("sha256", ""), again.pack_sha256),
        ("snapshot", "snapshot/", "snapshot does not hash to the run's snapshot sha256",
         manifest.get("snapshot_sha256", ""), again.snapshot_sha256),
        ("run_id", MANIFEST, "run id does not follow from the inputs",
         manifest.get("run_id", ""), again.run_id),
        ("month", MANIFEST, "month differs from the snapshot's", manifest.get("month", ""),
         again.result.month),
    )
    return [difference(kind, file, message, expected=want, found=got)
            for kind, file, message, want, got in checks if want != got]


# --- payslips ---------------------------------------------------------------------------


def _check_payslip(run_dir: Path, emp: EmployeeResult, row: dict[str, str], *, run_id: str,
                   month: str, pack_sha256: str,
                   source: tuple[str, str] | None) -> list[Difference]:
    from engine.payslip.pdf import embedded_data

    out = []
    if row.get("net") != tables.dec(emp.totals.net):
        out.append(difference("payslip", MANIFEST_CSV, "net differs", userid=emp.userid,
                              expected=tables.dec(emp.totals.net), found=row.get("net", "")))
    path = run_dir / row.get("file", "")
    if not listed_inside(run_dir, path) or not path.is_file():
        return out  # reported by check_payslip_index
    try:
        data = embedded_data(path)
    except PayrollError as exc:
        return out + [difference("payslip", row["file"], f"embedded data unreadable: {exc}",
                                 userid=emp.userid)]
    return out + compare_payslip(data, emp, row["file"], run_id=run_id, month=month,
                                 pack_sha256=pack_sha256, source=source)


def check_payslips(run_dir: Path, result: PayrollResult, rows: Sequence[dict[str, str]], *,
                   run_id: str, pack_sha256: str, progress: Progress,
                   unrendered: frozenset[str] = frozenset(),
                   sources: Mapping[str, tuple[str, str]] | None = None) -> list[Difference]:
    """Each payable employee has a payslip whose embedded data equals the recomputation
    (and names the snapshot file of ``sources`` its record is in); ``unrendered`` are
    employees whose payslip failed with an error listed in problems.csv."""
    by_user = {r.get("userid", ""): r for r in rows}
    ok = [e for e in result.employees if e.status is Status.OK]
    out = [difference("payslip", MANIFEST_CSV, "payslip for an employee who is not payable",
                      userid=u) for u in sorted(set(by_user) - {e.userid for e in ok})]
    progress.start("verify payslips", len(ok))
    for emp in ok:
        progress.advance(1)
        row = by_user.get(emp.userid)
        if row is not None:
            out += _check_payslip(run_dir, emp, row, run_id=run_id, month=result.month,
                                  pack_sha256=pack_sha256,
                                  source=(sources or {}).get(emp.userid))
        elif emp.userid not in unrendered:
            out.append(difference("payslip", MANIFEST_CSV, "payslip is missing",
                                  userid=emp.userid))
    progress.finish()
    return out


# --- the whole folder -------------------------------------------------------------------


def _compare_results(run_dir: Path, manifest: dict[str, Any], again: Recomputed,
                     found: dict[str, Any], progress: Progress) -> list[Difference]:
    run_id = manifest.get("run_id", "")
    out = compare_tables(again, run_id, found)
    if found["summary"] is not None and found["problems"] is not None:
        summary_now = {**tables.summary(again.result, list(again.problems), run_id),
                       "problems": found["summary"].get("problems", {})}
        out += check_summary_html(run_dir, manifest, again, summary_now, found["problems"])
    unrendered = frozenset(r.get("userid", "") for r in found["problems"] or []
                           if r.get("stage") == "payslip" and r.get("severity") == "error")
    if manifest.get("payslips") != "skipped":
        out += check_payslips(run_dir, again.result, found["payslips"] or [], run_id=run_id,
                              pack_sha256=manifest.get("pack", {}).get("sha256", ""),
                              progress=progress, unrendered=unrendered,
                              sources=again.sources)
    elif found["payslips"]:
        out.append(difference("payslip", MANIFEST_CSV, "payslips listed in a run whose "
                              "manifest says they were skipped"))
    return out + check_ledger(run_dir, again)


def _chain(run_dir: Path, manifest: dict[str, Any]) -> tuple[list[Difference], int]:
    from engine.run.chain import check_chain

    try:
        return check_chain(run_dir, manifest, check_files)
    except (PayrollError, OSError, KeyError, TypeError) as exc:
        return [difference("chain", MANIFEST, f"cannot follow the chain of months: {exc}")], 0


def _read_manifest(run_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((run_dir / MANIFEST).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def verify(run_dir: Path, progress: Progress | None = None, *, render: bool = False,
           passwords: Path | None = None, templates: Path | None = None,
           workers: int | None = None,
           render_only: Collection[str] | None = None) -> VerifyReport:
    """Check a finished run folder against its manifest and against a recomputation.

    ``render``: also render every payslip and the finance summary again and compare them
    byte for byte (costs as much as the run's rendering). ``passwords``: a roster-like
    file (userid + password column) to check the delivery passwords and decrypt each
    encrypted copy; ``templates``: the template folder of a run made with its own;
    ``render_only``: render only these employees' payslips (``payroll send``'s plan).
    """
    progress = progress or Silent()
    options = {"render": render, "passwords": passwords, "templates": templates,
               "workers": workers, "render_only": render_only}
    manifest = _read_manifest(run_dir)
    if manifest is None:
        return VerifyReport(run_dir=str(run_dir), differences=(difference(
            "manifest", MANIFEST, "missing or unreadable: not a finished run folder"),))
    out = check_files(run_dir, manifest)
    found, unreadable = read_results(run_dir)
    out += unreadable + check_payslip_index(run_dir, manifest, found["payslips"] or [])
    progress.note("recomputing the month from snapshot/ and inputs/")
    try:
        again = recompute(run_dir, manifest)
    except (PayrollError, OSError) as exc:
        out.append(difference("recompute", "inputs/", f"cannot recompute the month: {exc}"))
        again = None
    if again is not None:
        # a payslip the run could not make held its employee; verify cannot re-render it,
        # so it takes those errors from the run's problems.csv (itself checked above)
        held = again.month.held(payslip_errors(found["problems"] or []))
        export_problems, export_differences = verify_exports(run_dir, manifest, held, again.pack)
        again = again.model_copy(update={"result": held.result, "month": held, "problems":
                                         (*again.problems, *export_problems)})
        out += check_identity(manifest, again) + export_differences
        out += _compare_results(run_dir, manifest, again, found, progress)
    chain_found, walked = _chain(run_dir, manifest)
    out += chain_found
    lines = again and sum(len(e.lines) for e in again.result.employees)
    checked = {"files": len(manifest.get("files", [])), "lines": lines or 0,
               "employees": len(again.result.employees) if again else 0,
               "payslips": len(found["payslips"] or []), "chained runs": walked}
    out += check_visible(run_dir, manifest, again, found, options, checked, progress)
    return VerifyReport(run_dir=str(run_dir), run_id=manifest.get("run_id", ""),
                        month=manifest.get("month", ""), checked=checked,
                        differences=tuple(out))
