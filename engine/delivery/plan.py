"""What ``payroll send`` may deliver: the approved payslips, each checked against its hash.

First step of delivery, pure apart from reading the run folder. A run is deliverable only
with a valid approval (``engine.review.approval``). Each employee's file is the PDF/A
master, or its AES-256 copy under ``payslips/secure/`` when the run made them and the
operator asks for them; either way its sha256 must equal the one ``manifest.json``
recorded before the approval, or the whole send is refused naming the file. The name the
employee sees is ``工资条-<month>-<name>.pdf``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from engine.errors import ConfigError, VerifyError
from engine.files import sha256_file
from engine.run.cells import parse_csv
from engine.run.folder import MANIFEST, MANIFEST_CSV, PAYSLIPS, inside

SECURE = "secure"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


@dataclass(frozen=True)
class Delivery:
    """One payslip to send."""

    userid: str
    name: str
    file: str  # relative to the run folder
    sha256: str  # as approved (manifest.json)
    shown_name: str  # what the employee sees in WeCom
    problem: str = ""  # why it cannot be sent (e.g. no encrypted copy); empty when it can


def shown_name(month: str, name: str, userid: str, lang: str = "zh") -> str:
    """``工资条-2026-10-张三.pdf``: raw text, only characters a file name may hold."""
    who = _UNSAFE.sub("_", name).strip(" ._") or _UNSAFE.sub("_", userid)
    prefix = "payslip" if lang == "en" else "工资条"
    return f"{prefix}-{month}-{who[:64]}.pdf"


def _rows(text: str) -> list[dict[str, str]]:
    """Rows of a CSV the run wrote, with the formula-safe writer's quotes undone."""
    return parse_csv(text)[1]


def _names(run_dir: Path) -> dict[str, str]:
    path = run_dir / "results" / "employees.csv"
    try:
        return {r["userid"]: r.get("name", "") for r in _rows(path.read_text("utf-8"))}
    except (OSError, KeyError):
        return {}


def deliveries(run_dir: Path, *, encrypted: bool = False) -> list[Delivery]:
    """Every payslip of the run, in manifest order, with its approved hash."""
    manifest = json.loads((run_dir / MANIFEST).read_text("utf-8"))
    hashes = {e["path"]: e["sha256"] for e in manifest.get("files", [])}
    month, lang = str(manifest.get("month", "")), str(manifest.get("lang", "zh"))
    names = _names(run_dir)
    out = []
    for row in _rows((run_dir / MANIFEST_CSV).read_text("utf-8")):
        userid, file = row.get("userid", ""), row.get("file", "")
        if encrypted:
            file = f"{PAYSLIPS}/{SECURE}/{Path(file).name}"
        problem = "" if file in hashes else (
            "no encrypted copy was made (see problems.csv)" if encrypted
            else "payslip not listed in manifest.json")
        out.append(Delivery(userid, names.get(userid, ""), file, hashes.get(file, ""),
                            shown_name(month, names.get(userid, ""), userid, lang), problem))
    return out


def select(plan: Sequence[Delivery], only: Sequence[str]) -> list[Delivery]:
    """The deliveries of ``only`` (all when empty); unknown userids are an error."""
    if not only:
        return list(plan)
    wanted = set(only)
    unknown = sorted(wanted - {d.userid for d in plan})
    if unknown:
        raise ConfigError(f"--only names employees without a payslip in this run: "
                          f"{', '.join(unknown)}")
    return [d for d in plan if d.userid in wanted]


def changed_files(run_dir: Path, plan: Sequence[Delivery]) -> list[str]:
    """Files to send whose bytes are no longer the approved ones (or that are gone)."""
    out = []
    for d in plan:
        path = run_dir / d.file
        if d.problem:
            continue
        if not inside(run_dir, path) or not path.is_file() or sha256_file(path) != d.sha256:
            out.append(d.file)
    return out


def require_unchanged(run_dir: Path, plan: Sequence[Delivery]) -> None:
    changed = changed_files(run_dir, plan)
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5
                                          else "")
        raise VerifyError(f"refusing to send: {len(changed)} payslip file(s) changed since the "
                          f"approval: {shown}")
