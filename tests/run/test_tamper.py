"""Forgeries ``payroll verify`` must catch even after the forger recomputes every hash in
``manifest.json`` and ``manifest.csv``: one tampering per case on a copy of a real run
(simulator → payslips with encrypted delivery copies), then ``verify --render
--passwords``. The corpus counts are printed for the report."""

from __future__ import annotations

import json
import shutil
import time
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest

from engine.payslip.secure import encrypt
from engine.run import manifest
from engine.run.cells import read_csv
from engine.run.verify import verify
from engine.run.visible import all_files

from hostile import hostile_run
from tests.forgery import overlay, reseal
from run_samples import MONTH

COLUMN = "pdf_password"


@pytest.fixture(scope="module")
def sealed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tamper")
    outcome, _company = hostile_run(tmp / "run", 8, MONTH, workers=1, encrypt_with=COLUMN,
                                    tmp=tmp)
    return tmp / "run", tmp / "passwords.csv", outcome


def rows(run_dir: Path) -> list[dict[str, str]]:
    return read_csv(run_dir / "manifest.csv")[1]


def edit_xlsx(run_dir: Path, sheet: str, column: str, change) -> None:
    from openpyxl import load_workbook

    path = run_dir / "results/payroll.xlsx"
    book = load_workbook(path)
    ws = book[sheet]
    header = [c.value for c in ws[2]]  # row 1: the Chinese labels; row 2: the codes
    cell = ws.cell(row=3, column=header.index(column) + 1)
    change(cell)
    book.save(path)


def edit_csv(path: Path, column: str, value: str) -> None:
    text = path.read_bytes().decode("utf-8").split("\n")
    header = text[0].split(",")
    cells = text[1].split(",")
    cells[header.index(column)] = value
    text[1] = ",".join(cells)
    path.write_bytes("\n".join(text).encode("utf-8"))


def _first(run_dir: Path, key: str = "file") -> Path:
    return run_dir / rows(run_dir)[0][key]


def t_xlsx_net(d):
    edit_xlsx(d, "employees", "net", lambda c: setattr(c, "value", float(c.value) + 1000))


def t_xlsx_name(d):
    edit_xlsx(d, "employees", "name", lambda c: setattr(c, "value", "某某"))


def t_xlsx_formula(d):
    edit_xlsx(d, "employees", "name", lambda c: setattr(c, "value", '=HYPERLINK("http://x","y")'))


def t_xlsx_sheet(d):
    from openpyxl import load_workbook

    book = load_workbook(d / "results/payroll.xlsx")
    book.create_sheet("notes")["A1"] = "paid twice"
    book.save(d / "results/payroll.xlsx")


def t_payslip_overlay(d):
    overlay(_first(d))


def t_summary_overlay(d):
    overlay(d / "results/summary.pdf")


def t_secure_other_content(d):
    first, second = rows(d)[:2]
    pw = {r["userid"]: r[COLUMN] for r in read_csv(d.parent / "passwords.csv")[1]}
    (d / first["secure"]).write_bytes(encrypt((d / second["file"]).read_bytes(),
                                              pw[first["userid"]]))


def t_secure_unencrypted(d):
    row = rows(d)[0]
    shutil.copyfile(d / row["file"], d / row["secure"])


def t_secure_overlay(d):
    row = rows(d)[0]
    pw = {r["userid"]: r[COLUMN] for r in read_csv(d.parent / "passwords.csv")[1]}
    master = d / row["file"]
    forged = d.parent / "forged.pdf"
    shutil.copyfile(master, forged)
    overlay(forged)
    (d / row["secure"]).write_bytes(encrypt(forged.read_bytes(), pw[row["userid"]]))


def t_extra_pdf(d):
    shutil.copyfile(_first(d), d / "payslips/extra.pdf")


def t_extra_secure_pdf(d):
    shutil.copyfile(_first(d, "secure"), d / "payslips/secure/extra.pdf")


def t_part_file(d):
    (d / "payslips/.ZhangSan.pdf.x1y2.part").write_bytes(b"%PDF-1.7 half")


def t_part_in_results(d):
    (d / "results/.payroll.xlsx.abcd.part").write_bytes(b"PK")


def t_symlink(d):
    (d / "payslips/link.pdf").symlink_to(_first(d))


def t_employees_csv_net(d):
    edit_csv(d / "results/employees.csv", "net", "99999.00")


def t_line_amount(d):
    edit_csv(d / "results/line_items.csv", "amount", "99999.00")


def t_manifest_csv_net(d):
    body = json.loads((d / "manifest.json").read_text("utf-8"))
    found = rows(d)
    found[0]["net"] = str(Decimal(found[0]["net"]) + 1)
    manifest.write(d, body, found)


def t_payslips_swapped(d):
    a, b = rows(d)[:2]
    data_a, data_b = (d / a["file"]).read_bytes(), (d / b["file"]).read_bytes()
    (d / a["file"]).write_bytes(data_b)
    (d / b["file"]).write_bytes(data_a)


def t_payslip_deleted(d):
    body = json.loads((d / "manifest.json").read_text("utf-8"))
    found = rows(d)
    gone = found.pop(0)
    (d / gone["file"]).unlink()
    (d / gone["secure"]).unlink()
    manifest.write(d, body, found)


def t_row_remapped(d):
    body = json.loads((d / "manifest.json").read_text("utf-8"))
    found = rows(d)
    found[0]["file"], found[1]["file"] = found[1]["file"], found[0]["file"]
    manifest.write(d, body, found)


def t_embedded_net(d):
    path = _first(d)
    with pikepdf.open(path, allow_overwriting_input=True) as doc:
        spec = doc.attachments["payslip.json"]
        data = json.loads(spec.get_file().read_bytes())
        data["totals"]["net"] = "99999.00"
        doc.attachments["payslip.json"] = pikepdf.AttachedFileSpec(
            doc, json.dumps(data).encode(), filename="payslip.json")
        doc.save(path)


def t_summary_html(d):
    path = d / "results/summary.html"
    text = path.read_text("utf-8")
    path.write_text(text.replace(".00<", "9.00<", 1), "utf-8")


def t_summary_json(d):
    path = d / "results/summary.json"
    data = json.loads(path.read_text("utf-8"))
    data["totals"]["net"] = "1.00"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")


def t_problem_removed(d):
    path = d / "results/problems.csv"
    lines = path.read_bytes().decode("utf-8").split("\n")
    path.write_bytes("\n".join([lines[0], *lines[2:]]).encode("utf-8"))


def t_trace_changed(d):
    path = d / "results/traces.jsonl"
    lines = path.read_bytes().decode("utf-8").split("\n")
    first = json.loads(lines[0])
    first["trace"]["formula"] = "salary * 2"
    lines[0] = json.dumps(first, ensure_ascii=False, sort_keys=True)
    path.write_bytes("\n".join(lines).encode("utf-8"))


def t_parquet(d):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = d / "results/line_items.parquet"
    table = pq.read_table(path).to_pylist()
    table[0]["amount"] = "99999.00"
    pq.write_table(pa.Table.from_pylist(table), path)


def t_roster_salary(d):
    path = d / "inputs/roster.csv"
    text = path.read_bytes().decode("utf-8")
    header, first, *rest = text.split("\n")
    cells = first.split(",")
    cells[header.split(",").index("monthly_salary")] = "99999.00"
    path.write_bytes("\n".join([header, ",".join(cells), *rest]).encode("utf-8"))


def t_password_hash(d):
    path = d / "inputs/delivery_passwords.json"
    data = json.loads(path.read_text("utf-8"))
    entry = next(iter(data["employees"].values()))
    entry["hash"] = "00" * 32
    path.write_text(json.dumps(data), "utf-8")


def t_pack_copy(d):
    path = next((d / "inputs/rules").glob("*.yaml"))
    path.write_text(path.read_text("utf-8").replace("21.75", "20.83", 1), "utf-8")


def t_snapshot(d):
    import re

    path = next((d / "snapshot/monthdata").glob("*.json"))
    data, n = re.subn(rb'(\\"work_days\\":)(\d+)', lambda m: m[1] + str(int(m[2]) + 1).encode(),
                      path.read_bytes(), count=1)
    assert n == 1
    path.write_bytes(data)


TAMPERINGS = {name[2:]: fn for name, fn in sorted(globals().items()) if name.startswith("t_")}


@pytest.mark.slow
def test_the_untouched_run_verifies_with_render_and_passwords(sealed):
    run_dir, passwords, outcome = sealed
    start = time.perf_counter()
    plain = verify(run_dir)
    middle = time.perf_counter()
    full = verify(run_dir, render=True, passwords=passwords, workers=1)
    end = time.perf_counter()
    print(f"\nverify of {outcome.payslips} payslips: {middle - start:.1f} s; with --render "
          f"--passwords: {end - middle:.1f} s")
    assert plain.ok, str(plain)
    assert full.ok, str(full)
    assert full.checked["delivery copies decrypted"] == outcome.payslips
    assert full.checked["payslips rendered"] == outcome.payslips


def test_no_delivery_password_is_stored_in_the_run_folder(sealed):
    run_dir, passwords, _ = sealed
    secrets = [r[COLUMN] for r in read_csv(passwords)[1]]
    assert COLUMN not in (run_dir / "inputs/roster.csv").read_text("utf-8").split("\n")[0]
    for rel in all_files(run_dir)[0] + ["manifest.json", "manifest.csv"]:
        data = (run_dir / rel).read_bytes()
        assert not [s for s in secrets if s.encode("utf-8") in data], rel
    hashes = json.loads((run_dir / "inputs/delivery_passwords.json").read_text("utf-8"))
    assert hashes["kdf"]["name"] == "scrypt" and len(hashes["employees"]) == len(secrets)


def test_a_wrong_password_is_named(sealed, tmp_path):
    run_dir, passwords, _ = sealed
    text = passwords.read_text("utf-8").replace("pw-0001", "guess-1")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(text, "utf-8")
    report = verify(run_dir, passwords=wrong)
    assert [d.message for d in report.differences] == [
        "the supplied password is not the one the copy was made with"]


@pytest.mark.corpus("forged run folders")
@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_each_forgery_is_caught_after_the_hashes_are_recomputed(sealed, tmp_path, name):
    run_dir, passwords, _ = sealed
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, symlinks=True)
    shutil.copyfile(passwords, tmp_path / "passwords.csv")
    TAMPERINGS[name](copy)
    reseal(copy)
    report = verify(copy, render=name.endswith("overlay"), passwords=tmp_path / "passwords.csv",
                    workers=1)
    assert not report.ok, f"{name} passed verify"


def test_corpus_size():
    print(f"\ntamper corpus: {len(TAMPERINGS)} forgeries, each must be caught")
    assert len(TAMPERINGS) >= 25


def test_verify_from_the_command_line(sealed, tmp_path):
    """``payroll verify --render --passwords`` as a user runs it: 0 when the folder proves
    itself, 8 with the difference named when an amount was drawn over a payslip."""
    import subprocess
    import sys

    run_dir, passwords, _ = sealed
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, symlinks=True)

    def payroll_verify() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "engine.cli", "verify", str(copy),
                               "--render", "--passwords", str(passwords), "--workers", "1",
                               "--quiet"], capture_output=True, text=True, timeout=600)

    clean = payroll_verify()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "delivery copies decrypted" in " ".join(clean.stdout.split())
    overlay(_first(copy))
    reseal(copy)
    forged = payroll_verify()
    assert forged.returncode == 8
    assert "differs from a fresh rendering" in " ".join(forged.stdout.split())
