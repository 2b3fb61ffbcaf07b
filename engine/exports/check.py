"""``payroll verify`` for the exports: every export file rebuilt and compared.

Called by :mod:`engine.run.verify` with the month recomputed from the run's evidence. The
tax sheet, bank files, bank control record and contributions table are built again from
that month and the run's own copy of the bank map, and must equal the files found byte
for byte; a difference is described by the first cell that differs (XLSX read back with
openpyxl, CSV parsed), and a formula cell in a workbook is a difference of its own. The
bank control record must also add up: the transfer's total plus the amounts left out is
the month's net pay, and each file's total is the sum of its rows.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.errors import PayrollError
from engine.exports import bank, safe
from engine.exports.stage import Exported, created_stamp, encoding_of, exports_for
from engine.period import parse_month
from engine.problems import Problem
from engine.run.compare import Difference, difference
from engine.run.folder import RESULTS

CONTROL = f"{RESULTS}/{bank.CONTROL}"


def _cells(rel: str, data: bytes, encoding: str) -> tuple[list[list[Any]], bool]:
    """The cells of an export as read back, and whether any is a formula."""
    if rel.endswith(".xlsx"):
        from engine.exports.iit import read_sheet

        _names, values, formulas = read_sheet(data)
        return values, formulas
    if rel.endswith(".json"):
        return [[k, json.dumps(v, ensure_ascii=False)] for k, v in json.loads(data).items()], False
    return safe.parse_csv(data.decode(encoding)), False


def first_difference(rel: str, want: bytes, got: bytes, encoding: str) -> Difference:
    try:
        a, _ = _cells(rel, want, encoding)
        b, formulas = _cells(rel, got, encoding)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
        return difference("export", rel, f"unreadable: {exc}")
    if formulas:
        return difference("export", rel, "holds a formula cell")
    for r, (x, y) in enumerate(zip(a, b), start=1):
        for c, (u, v) in enumerate(zip(x, y), start=1):
            if u != v:
                return difference("export", rel, f"row {r} column {c} differs from the "
                                  "recomputed month", expected=u, found=v)
        if len(x) != len(y):
            return difference("export", rel, f"row {r} has a different number of cells",
                              expected=len(x), found=len(y))
    if len(a) != len(b):
        return difference("export", rel, "number of rows differs from the recomputed month",
                          expected=len(a), found=len(b))
    return difference("export", rel, "bytes differ from the file the recomputed month gives")


def check_control(control: dict[str, Any]) -> list[Difference]:
    """The control record's own sums (it is also compared byte for byte)."""
    files = control.get("files", [])
    total = sum((Decimal(f["total"]) for f in files), Decimal(0))
    count = sum(int(f["rows"]) for f in files)
    out = []
    if bank.money(total) != control.get("total") or count != control.get("count"):
        out.append(difference("export", CONTROL, "the files' totals do not add up to the "
                              "transfer", expected=f"{control.get('count')} / "
                              f"{control.get('total')}", found=f"{count} / {bank.money(total)}"))
    paid = Decimal(control.get("total", "0")) + Decimal(control.get("left_out_total", "0"))
    if bank.money(paid) != control.get("net_pay_total"):
        out.append(difference("export", CONTROL, "transfer + left out is not the month's net "
                              "pay", expected=control.get("net_pay_total"),
                              found=bank.money(paid)))
    return out


def stray_bank_files(run_dir: Path, exported: Exported) -> list[Difference]:
    """A file named like the map's bank files that the recomputed month does not give
    (a batch added by hand would be paid)."""
    pattern = re.compile(re.escape(exported.facts["bank_file_pattern"]).replace(
        re.escape("{part}"), "[0-9]{3}") + "$")
    return [difference("export", f"{RESULTS}/{path.name}", "a bank file the recomputed "
                       "month does not give")
            for path in sorted((run_dir / RESULTS).glob("*.csv")) if pattern.match(path.name)
            and f"{RESULTS}/{path.name}" not in exported.files]


def compare_exports(run_dir: Path, exported: Exported) -> list[Difference]:
    """Each rebuilt file against the one in the run folder."""
    out: list[Difference] = stray_bank_files(run_dir, exported)
    for rel, want in sorted(exported.files.items()):
        path = run_dir / rel
        if not path.is_file():
            out.append(difference("missing_file", rel, "export the recomputed month gives "
                                  "is missing"))
            continue
        got = path.read_bytes()
        if got != want:
            out.append(first_difference(rel, want, got, encoding_of(exported, rel)))
    control = exported.files.get(CONTROL)
    if control is not None:
        out += check_control(json.loads(control))
    return out


def verify_exports(run_dir: Path, manifest: dict[str, Any], month, pack
                   ) -> tuple[tuple[Problem, ...], list[Difference]]:
    """The exports' problems (for problems.csv) and their differences for the recomputed
    ``month`` (``engine.run.chain.Month``); a run written
    before the exports existed (no ``exports`` in its manifest) has none."""
    facts = manifest.get("exports")
    if not isinstance(facts, dict):
        return (), []
    try:
        result = month.result  # engine.run.chain.Month: held employees applied
        last_day = parse_month(result.month).last_day.isoformat()
        exported = exports_for(run_dir, result, facts, manifest.get("company", ""),
                               created_stamp(last_day), pack, month.ledger)
    except (PayrollError, OSError, KeyError) as exc:
        return (), [difference("export", RESULTS, f"cannot rebuild the exports: {exc}")]
    out = compare_exports(run_dir, exported)
    if facts != exported.facts:
        out.append(difference("manifest", "manifest.json", "exports facts differ from the "
                              "recomputed ones", expected=json.dumps(exported.facts),
                              found=json.dumps(facts)))
    return exported.problems, out
