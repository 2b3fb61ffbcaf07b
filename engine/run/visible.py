"""``payroll verify`` beyond the data: what a person opening the run folder sees.

Called by :mod:`engine.run.verify` after the recomputation. The data checks prove the
CSV, Parquet and JSON files and the data embedded in each payslip; a forger who also
recomputes the manifest hashes can still change what a reader looks at. These checks
close that gap:

- every file of the folder is accounted for: listed in ``manifest.json`` (no leftover
  ``.part`` temporary, no symlink), and every PDF under ``payslips/`` is a master or
  delivery copy of exactly one ``manifest.csv`` row, whose employee is payable;
- ``payroll.xlsx`` holds, cell by cell, the workbook the recomputed month gives (typed:
  strings as strings, numbers as the same numbers, no formula anywhere);
- ``departments.csv`` holds, row by row, the recomputed month's departments (the finance
  summary sums those past its limit into one row, so a reader looks them up there);
- each delivery copy is encrypted; with ``--passwords FILE`` each supplied password must
  match the salted hash the run kept, and the decrypted copy must show exactly its master;
- with ``--render``, each payslip and the finance summary PDF are rendered again and
  must equal the files byte for byte (rendering is deterministic), so an amount drawn
  over a page while the embedded data stays true is caught. This costs as much as the
  run's own rendering (measured: see the README).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Sequence

from engine.errors import InputError
from engine.progress import Progress
from engine.run import columns, departments, rerender, tables, workbook
from engine.run.compare import Difference, difference
from engine.run.folder import LOCK, MANIFEST, MANIFEST_CSV, PAYSLIPS, RESULTS, post_manifest

XLSX = f"{RESULTS}/payroll.xlsx"
SUMMARY_PDF = f"{RESULTS}/summary.pdf"
SHOWN = 20  # differences listed per file before they are only counted


def all_files(run_dir: Path) -> tuple[list[str], list[str]]:
    """Every file of the run except the two manifests, a run's lock and the areas written
    after the manifest (temporaries and other dotfiles included), and every symlink,
    relative and sorted."""
    files, links = [], []
    for path in run_dir.rglob("*"):
        rel = path.relative_to(run_dir).as_posix()
        if path.is_symlink():
            links.append(rel)
        elif path.is_file() and rel not in (MANIFEST, MANIFEST_CSV, LOCK) \
                and not post_manifest(rel):  # those areas are checked by engine.audit
            files.append(rel)
    return sorted(files), sorted(links)


def check_accounted(run_dir: Path, manifest: dict[str, Any], rows: Sequence[dict[str, str]],
                    payable: set[str] | None) -> list[Difference]:
    """Every PDF under ``payslips/`` belongs to one ``manifest.csv`` row, one row per
    employee, each of them payable; no symlinks."""
    files, links = all_files(run_dir)
    out = [difference("symlink", rel, "a symlink in the run folder (the engine writes none)")
           for rel in links]
    owners: dict[str, str] = {}
    seen: set[str] = set()
    for row in rows:
        who = row.get("userid", "")
        if who in seen:
            out.append(difference("payslip", MANIFEST_CSV, "employee listed twice", userid=who))
        seen.add(who)
        for key in ("file", "secure"):
            path = row.get(key, "")
            if path and owners.setdefault(path, who) != who:
                out.append(difference("payslip", path, "file listed for two employees",
                                      userid=who, expected=owners[path]))
    for rel in files:
        if rel.rsplit("/", 1)[-1].startswith(".") and rel.endswith(".part"):
            out.append(difference("extra_file", rel, "leftover temporary file of an "
                                  "interrupted write"))
        elif rel.startswith(f"{PAYSLIPS}/") and rel not in owners:
            out.append(difference("extra_file", rel, "payslip file not listed for any employee "
                                  "in manifest.csv"))
    if payable is not None:
        out += [difference("payslip", MANIFEST_CSV, "payslip for an employee who is not payable",
                           userid=u) for u in sorted(seen - payable)]
    return out


# --- the checks, in the order verify runs them ---------------------------------------------


def recomputed_workbook(again, run_id: str) -> bytes:
    """``payroll.xlsx`` as the recomputed month (``engine.run.recompute.Recomputed``) writes it."""
    from engine.period import as_period

    result, pack = again.result, again.pack
    created = f"{as_period(result.month).last_day.isoformat()}T00:00:00"
    return workbook.payroll_xlsx(
        columns.employee_columns(result, pack), tables.employee_rows(result, pack),
        tables.line_rows(result), tables.LINE_COLUMNS,
        tables.summary(result, list(again.problems), run_id), created=created)


def check_visible(run_dir: Path, manifest: dict[str, Any], again,
             found: dict[str, Any], options: dict[str, Any], checked: dict[str, int],
             progress: Progress) -> list[Difference]:
    """What a reader sees (the module docstring; ``again`` is verify's ``Recomputed``, None
    when the month could not be recomputed)."""
    rows = found["payslips"] or []
    out = check_accounted(run_dir, manifest, rows, None)
    passwords = None
    if options.get("passwords") is not None:
        column = manifest.get("inputs", {}).get("roster_omits") or "password"
        passwords = read_passwords(options["passwords"], column)
    delivery, compared = check_delivery(run_dir, manifest, rows, passwords)
    out += delivery
    checked["delivery copies decrypted"] = compared
    if again is None:
        return out
    out += check_xlsx(run_dir, recomputed_workbook(again, manifest.get("run_id", "")))
    # the departments the finance summary sums into one row, each as the month gives it
    out += departments.check_departments(run_dir, again.result.employees, tables.summary(
        again.result, list(again.problems), manifest.get("run_id", "")))
    if options.get("render"):
        rendered, count = rerender.check_payslips(
            run_dir, manifest, again.result, rows, templates=options.get("templates"),
            workers=options.get("workers"), progress=progress,
            only=options.get("render_only"), pack=again.pack, sources=again.sources)
        out += rendered + rerender.check_summary_pdf(run_dir)
        checked["payslips rendered"] = count
    return out


# --- payroll.xlsx ---------------------------------------------------------------------------


def _cells(book) -> dict[str, list[tuple]]:
    return {sheet.title: [tuple((c.value, c.data_type, c.number_format) for c in row)
                          for row in sheet.iter_rows()] for sheet in book.worksheets}


def check_xlsx(run_dir: Path, expected: bytes) -> list[Difference]:
    """``payroll.xlsx`` against the workbook the recomputed month gives, cell by cell
    (value, type, number format), and no formula anywhere."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        book = load_workbook(run_dir / XLSX)
    except Exception as exc:  # openpyxl raises many unrelated types
        return [difference("unreadable", XLSX, f"cannot open the workbook: {exc}")]
    found, want = _cells(book), _cells(load_workbook(io.BytesIO(expected)))
    if list(found) != list(want):
        return [difference("xlsx", XLSX, "sheets differ", expected=list(want), found=list(found))]
    out: list[Difference] = []
    for name, rows in found.items():
        diffs = []
        for r in range(max(len(rows), len(want[name]))):
            got = rows[r] if r < len(rows) else ()
            wanted = want[name][r] if r < len(want[name]) else ()
            for c in range(max(len(got), len(wanted))):
                cell = got[c] if c < len(got) else (None, "n", "General")
                expect = wanted[c] if c < len(wanted) else (None, "n", "General")
                ref = f"{name}!{get_column_letter(c + 1)}{r + 1}"
                if cell[1] == "f":
                    diffs.append(difference("xlsx", XLSX, f"{ref} is a formula", found=cell[0]))
                elif cell != expect:
                    diffs.append(difference("xlsx", XLSX, f"{ref} differs",
                                            expected=expect[0], found=cell[0]))
        out += diffs[:SHOWN]
        if len(diffs) > SHOWN:
            out.append(difference("xlsx", XLSX, f"{len(diffs) - SHOWN} more cell(s) of sheet "
                                  f"{name} differ"))
    return out


# --- delivery copies ------------------------------------------------------------------------


def read_passwords(path: Path, column: str) -> dict[str, str]:
    """userid → password from a roster-like file (CSV or XLSX) with a ``userid`` column and
    the run's password column (or one named ``password``)."""
    from engine.roster.headers import canonical
    from engine.roster.read import read_file

    table = read_file(path)
    names = [canonical(h.strip()) for h in table.header]
    raw = [h.strip() for h in table.header]
    try:
        uid = names.index("userid")
        col = next(i for i, (n, r) in enumerate(zip(names, raw))
                   if column in (n, r) or r == "password")
    except (ValueError, StopIteration):
        raise InputError(f"needs a userid column and a {column!r} (or password) column",
                         path=str(path)) from None
    return {cells[uid].strip(): cells[col].strip() for _line, cells in table.rows
            if len(cells) > max(uid, col)}


def _hashes(run_dir: Path, manifest: dict[str, Any]) -> tuple[dict[str, Any], list[Difference]]:
    rel = manifest.get("inputs", {}).get("passwords", "")
    if not rel:
        return {}, []
    try:
        return json.loads((run_dir / rel).read_bytes().decode("utf-8")), []
    except (OSError, ValueError) as exc:
        return {}, [difference("unreadable", rel, f"cannot read the password hashes: {exc}")]


def check_delivery(run_dir: Path, manifest: dict[str, Any], rows: Sequence[dict[str, str]],
                   passwords: dict[str, str] | None) -> tuple[list[Difference], int]:
    """Each delivery copy is encrypted; with ``passwords``, its password is the one the
    run hashed and the decrypted copy equals its master. Returns the differences and the
    number of copies decrypted and compared."""
    import pikepdf

    from engine.payslip.secure import check_password, is_encrypted, same_content

    data, out = _hashes(run_dir, manifest)
    entries, params = data.get("employees", {}), data.get("kdf", {})
    params = {k: int(v) for k, v in params.items() if k in ("n", "r", "p", "dklen")}
    compared = 0
    for row in rows:
        who, rel = row.get("userid", ""), row.get("secure", "")
        copy_path, master = run_dir / rel, run_dir / row.get("file", "")
        if not rel or not copy_path.is_file() or not master.is_file():
            continue
        copy = copy_path.read_bytes()
        if not is_encrypted(copy):
            out.append(difference("delivery", rel, "delivery copy is not encrypted", userid=who))
            continue
        if passwords is None:
            continue
        entry = entries.get(who)
        password = passwords.get(who)
        if entry is None or entry.get("copy") != rel:
            out.append(difference("delivery", rel, "no password hash kept for this copy",
                                  userid=who))
        elif password is None:
            out.append(difference("delivery", rel, "no password supplied", userid=who))
        elif not check_password(password, entry, params):
            out.append(difference("delivery", rel, "the supplied password is not the one the "
                                  "copy was made with", userid=who))
        else:
            try:
                same = same_content(master.read_bytes(), copy, password)
            except pikepdf.PasswordError:
                same = None
            except pikepdf.PdfError as exc:
                out.append(difference("delivery", rel, f"unreadable: {exc}", userid=who))
                continue
            compared += 1
            if same is None:
                out.append(difference("delivery", rel, "the run's password does not open the "
                                      "copy", userid=who))
            elif not same:
                out.append(difference("delivery", rel, "decrypted copy differs from its master",
                                      userid=who, expected=row.get("file", "")))
    return out, compared
