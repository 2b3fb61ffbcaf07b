"""``payroll verify`` rebuilds every export: forgeries are caught even after re-hashing."""

from __future__ import annotations

import json
from pathlib import Path

from engine.run import manifest
from engine.run.verify import verify


def rehash(run_dir: Path) -> None:
    """A careful forger: every file's hash in manifest.json made to match again."""
    body = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    body["files"] = [e.model_dump() for e in manifest.file_entries(run_dir)]
    (run_dir / "manifest.json").write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n",
                                           "utf-8")


def found(run_dir: Path) -> list[tuple[str, str, str]]:
    return [(d.kind, d.file, d.message) for d in verify(run_dir).differences]


def test_untouched_exports_verify_and_are_in_the_manifest(cmb_run):
    report = verify(cmb_run)
    assert report.ok, str(report)
    listed = {e["path"] for e in manifest.read(cmb_run)["files"]}
    assert {"results/iit_wages.xlsx", "results/bank-cmb-001.csv", "results/bank.json",
            "results/contributions.csv", "inputs/exports/bank-map.yaml"} <= listed
    facts = manifest.read(cmb_run)["exports"]
    assert facts["bank_map"] == "cmb" and facts["iit_version"] == "2"


def test_a_raised_amount_in_the_bank_file_is_named_by_row_and_column(cmb_copy):
    path = cmb_copy / "results/bank-cmb-001.csv"
    lines = path.read_bytes().decode("gb18030").split("\n")
    account, name, amount, memo = lines[5].split(",")
    lines[5] = ",".join((account, name, f"{float(amount) + 1:.2f}", memo))
    path.write_bytes("\n".join(lines).encode("gb18030"))
    rehash(cmb_copy)
    differences = verify(cmb_copy).differences
    assert [(d.kind, d.file, d.message, d.expected, d.found) for d in differences] == [
        ("export", "results/bank-cmb-001.csv", "row 6 column 3 differs from the recomputed month",
         amount, f"{float(amount) + 1:.2f}")]


def test_an_added_batch_file_is_caught(cmb_copy):
    source = cmb_copy / "results/bank-cmb-001.csv"
    (cmb_copy / "results/bank-cmb-002.csv").write_bytes(source.read_bytes())
    rehash(cmb_copy)
    assert found(cmb_copy) == [("export", "results/bank-cmb-002.csv",
                                "a bank file the recomputed month does not give")]


def test_a_formula_put_into_the_tax_sheet_is_caught(cmb_copy):
    from openpyxl import load_workbook

    path = cmb_copy / "results/iit_wages.xlsx"
    book = load_workbook(path)
    book.worksheets[0]["E2"] = "=E3*2"
    book.save(path)
    rehash(cmb_copy)
    assert found(cmb_copy) == [("export", "results/iit_wages.xlsx", "holds a formula cell")]


def test_an_edited_control_record_and_a_missing_export_are_caught(cmb_copy):
    path = cmb_copy / "results/bank.json"
    control = json.loads(path.read_text("utf-8"))
    control["total"] = "1.00"
    path.write_text(json.dumps(control, ensure_ascii=False, indent=2) + "\n", "utf-8")
    (cmb_copy / "results/contributions.csv").unlink()
    rehash(cmb_copy)
    kinds = found(cmb_copy)
    assert ("missing_file", "results/contributions.csv",
            "export the recomputed month gives is missing") in kinds
    assert ("export", "results/bank.json", "row 8 column 2 differs from the recomputed month"
            ) in kinds


def test_an_edited_bank_map_copy_changes_the_files_it_should_give(cmb_copy):
    path = cmb_copy / "inputs/exports/bank-map.yaml"
    path.write_text(path.read_text("utf-8").replace("代发工资\"", "奖金\""), "utf-8")
    rehash(cmb_copy)
    assert ("export", "results/bank-cmb-001.csv",
            "row 6 column 4 differs from the recomputed month") in found(cmb_copy)
