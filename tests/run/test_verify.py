"""``verify``: every kind of tampering is caught and named precisely."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path


from engine.run import manifest, tables
from engine.run.compare import (compare_employees, compare_lines, compare_payslip,
                                compare_problems, compare_summary)
from engine.run.verify import VerifyReport, check_files, check_payslip_index, verify

from run_samples import RUN_ID, write_tables


def hashed_folder(run_dir: Path, sample) -> dict:
    write_tables(run_dir, *sample)
    (run_dir / "payslips").mkdir()
    (run_dir / "payslips/zhangsan.pdf").write_bytes(b"%PDF-1.7 zhangsan")
    return manifest.build(run_dir, run_id=RUN_ID, month="2026-10")


def kinds(differences) -> list[tuple[str, str, str]]:
    return [(d.kind, d.file, d.message) for d in differences]


# --- files and manifests -----------------------------------------------------------------


def test_untouched_files_match_their_manifest(tmp_path, sample):
    body = hashed_folder(tmp_path, sample)
    assert check_files(tmp_path, body) == []


def test_changed_byte_missing_and_extra_files_are_named(tmp_path, sample):
    body = hashed_folder(tmp_path, sample)
    pdf = tmp_path / "payslips/zhangsan.pdf"
    data = bytearray(pdf.read_bytes())
    data[3] ^= 0x01
    pdf.write_bytes(bytes(data))
    (tmp_path / "results/problems.csv").unlink()
    (tmp_path / "payslips/intruder.pdf").write_bytes(b"%PDF")
    found = kinds(check_files(tmp_path, body))
    assert found == [
        ("missing_file", "results/problems.csv", "listed in manifest.json but missing"),
        ("extra_file", "payslips/intruder.pdf", "present but not listed in manifest.json"),
        ("changed_file", "payslips/zhangsan.pdf", "sha256 differs from manifest.json"),
    ]


def test_size_change_is_reported_with_both_sizes(tmp_path, sample):
    body = hashed_folder(tmp_path, sample)
    with (tmp_path / "results/summary.json").open("ab") as handle:
        handle.write(b" ")
    diffs = [d for d in check_files(tmp_path, body) if "size" in d.message]
    assert len(diffs) == 1 and diffs[0].file == "results/summary.json"
    assert int(diffs[0].found) == int(diffs[0].expected) + 1


def test_payslip_index_checks_hash_size_and_presence(tmp_path, sample):
    body = hashed_folder(tmp_path, sample)
    entry = next(e for e in body["files"] if e["path"] == "payslips/zhangsan.pdf")
    rows = [{"userid": "zhangsan", "file": entry["path"], "sha256": entry["sha256"],
             "size": str(entry["size"]), "net": "11537.36"},
            {"userid": "lisi", "file": "payslips/lisi.pdf", "sha256": "0" * 64, "size": "1",
             "net": "8045.97"}]
    assert kinds(check_payslip_index(tmp_path, body, rows)) == [
        ("missing_file", "payslips/lisi.pdf", "payslip listed in manifest.csv is missing")]
    rows[0]["sha256"] = "f" * 64
    found = check_payslip_index(tmp_path, body, rows[:1])
    assert [(d.kind, d.message) for d in found] == [
        ("changed_file", "sha256 differs from manifest.csv"),
        ("manifest", "manifest.csv and manifest.json give different sha256 for this payslip")]


def test_folder_without_manifest_is_not_a_finished_run(tmp_path):
    report = verify(tmp_path)
    assert not report.ok
    assert kinds(report.differences) == [
        ("manifest", "manifest.json", "missing or unreadable: not a finished run folder")]
    assert str(report).startswith("FAILED") and "manifest.json" in str(report)


# --- results tables ----------------------------------------------------------------------


def test_changed_amount_in_a_line_is_named_with_both_values(sample):
    result, _ = sample
    want = tables.line_rows(result)
    got = [dict(r) for r in want]
    got[1]["amount"] = "1077.60"
    diffs = compare_lines(want, got)
    assert [(d.userid, d.code, d.message, d.expected, d.found) for d in diffs] == [
        ("zhangsan", "OT_WORKDAY", "amount differs", "1077.59", "1077.60")]
    assert str(diffs[0]) == ("[line] results/line_items.csv user=zhangsan code=OT_WORKDAY: "
                             "amount differs (expected '1077.59', found '1077.60')")


def test_missing_and_invented_lines(sample):
    want = tables.line_rows(sample[0])
    got = [dict(r) for r in want if r["code"] != "DED_ABSENT"]
    got.append({**want[0], "code": "BONUS", "amount": "500.00"})
    diffs = {(d.code, d.message) for d in compare_lines(want, got)}
    assert diffs == {("DED_ABSENT", "line DED_ABSENT is missing"),
                     ("BONUS", "line BONUS does not follow from the inputs")}


def test_repeated_codes_are_matched_by_item_and_order(sample):
    want = tables.line_rows(sample[0])
    assert compare_lines(want, list(reversed(want))) == []


def test_employee_rows_and_summary(sample):
    result, problems = sample
    want = tables.employee_rows(result)
    got = [dict(r) for r in want]
    got[0]["net"] = "0"
    del got[2]
    diffs = compare_employees(want, got)
    assert {(d.userid, d.message) for d in diffs} == {("zhangsan", "net differs"),
                                                       ("wangwu", "employee is missing")}
    summary = tables.summary(result, problems, RUN_ID)
    rows = tables.problem_rows(problems)
    assert compare_summary(summary, summary, rows) == []
    moved = {**summary, "pack": {**summary["pack"], "path": "inputs/rules/x.yaml"}}
    assert compare_summary(summary, moved, rows) == []  # the copy lives elsewhere by design
    edited = {**summary, "totals": {**summary["totals"], "net": "1.00"}}
    assert [d.message for d in compare_summary(summary, edited, rows)] == ["totals differs"]
    assert [d.message for d in compare_summary(summary, summary, rows[:1])] == [
        "problem counts differ from problems.csv"]


def test_problems_recomputed_must_be_listed(sample):
    _, problems = sample
    rows = tables.problem_rows(problems)
    assert compare_problems(problems, rows) == []
    diffs = compare_problems(problems, rows[1:])
    assert [(d.userid, d.message) for d in diffs] == [
        ("zhangsan", "problem ot_split_mismatch is not listed")]


def test_embedded_payslip_data_is_compared_line_by_line(sample):
    from engine.payslip.pdf import payslip_data
    from engine.payslip.context import PayslipContext

    result, _ = sample
    emp = result.employees[0]
    ctx = PayslipContext(company="c", month="2026-10", run_id=RUN_ID, pack=result.pack,
                         snapshot_sha256="s" * 64)
    data = json.loads(json.dumps(payslip_data(emp, ctx)))
    kwargs = dict(run_id=RUN_ID, month="2026-10", pack_sha256=result.pack.sha256)
    assert compare_payslip(data, emp, "payslips/zhangsan.pdf", **kwargs) == []
    data["lines"][0]["amount"] = "10001.00"
    data["totals"]["net"] = "0"
    diffs = compare_payslip(data, emp, "payslips/zhangsan.pdf", **kwargs)
    assert [(d.kind, d.code, d.message) for d in diffs] == [
        ("payslip", "", "embedded totals differs"),
        ("payslip", "BASE", "embedded amount differs")]
    data = json.loads(json.dumps(payslip_data(emp, ctx)))
    data["lines"][1]["trace"]["formula"] = "1"
    assert [d.message for d in compare_payslip(data, emp, "x.pdf", **kwargs)] == [
        "embedded line traces differ"]
    assert compare_payslip(data, emp, "x.pdf", **{**kwargs, "run_id": "other"})[0].message == \
        "embedded run_id differs"


# --- a real run folder through the pipeline ----------------------------------------------


def test_report_is_printable():
    report = VerifyReport(run_dir="r", run_id="abc", month="2026-10",
                          checked={"files": 3, "lines": 9})
    assert report.ok and str(report) == ("OK run abc (2026-10) in r: checked 3 files, 9 lines; "
                                          "no differences")


def test_untouched_simulated_run_verifies(demo_run):
    report = verify(demo_run)
    assert report.ok, str(report)
    assert report.checked["payslips"] > 0 and report.checked["lines"] > 0


def _first_payslip(run_dir: Path) -> dict[str, str]:
    text = (run_dir / "manifest.csv").read_text("utf-8")
    return next(csv.DictReader(io.StringIO(text, newline="")))


def test_changed_byte_in_a_payslip_pdf_is_caught(demo_copy):
    row = _first_payslip(demo_copy)
    pdf = demo_copy / row["file"]
    data = bytearray(pdf.read_bytes())
    index = data.index(b"/Producer") if b"/Producer" in data else len(data) // 2
    data[index + 1] ^= 0x20
    pdf.write_bytes(bytes(data))
    report = verify(demo_copy)
    found = {(d.kind, d.file, d.message) for d in report.differences}
    assert ("changed_file", row["file"], "sha256 differs from manifest.json") in found
    assert ("changed_file", row["file"], "sha256 differs from manifest.csv") in found


def test_changed_amount_in_line_items_csv_is_caught(demo_copy):
    path = demo_copy / "results/line_items.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    target = next(r for r in rows if Decimal(r["amount"]) > 0)
    old = target["amount"]
    target["amount"] = str(Decimal(old) + Decimal("0.01"))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    report = verify(demo_copy)
    lines = [d for d in report.differences if d.kind == "line"]
    assert [(d.userid, d.code, d.message, d.expected, d.found) for d in lines] == [
        (target["userid"], target["code"], "amount differs", old, target["amount"])]
    assert ("changed_file", "results/line_items.csv") in {(d.kind, d.file)
                                                          for d in report.differences}


def test_removed_payslip_is_caught(demo_copy):
    row = _first_payslip(demo_copy)
    (demo_copy / row["file"]).unlink()
    report = verify(demo_copy)
    found = {(d.kind, d.file, d.userid, d.message) for d in report.differences}
    assert ("missing_file", row["file"], "", "listed in manifest.json but missing") in found
    assert ("missing_file", row["file"], row["userid"],
            "payslip listed in manifest.csv is missing") in found


def test_edited_rule_pack_copy_is_caught(demo_copy):
    body = json.loads((demo_copy / "manifest.json").read_text("utf-8"))
    rel = body["inputs"]["rules"]
    pack = demo_copy / rel
    pack.write_text(pack.read_text("utf-8") + "\n# edited after the run\n", "utf-8")
    report = verify(demo_copy)
    found = {(d.kind, d.file, d.message) for d in report.differences}
    assert ("changed_file", rel, "sha256 differs from manifest.json") in found
    assert ("pack", rel, "rule pack copy does not hash to the pack the run used") in found


def test_removed_snapshot_file_cannot_be_recomputed(demo_copy):
    fetch = demo_copy / "snapshot/fetch.json"
    shutil.move(fetch, demo_copy / "fetch.json.bak")
    report = verify(demo_copy)
    assert any(d.kind == "missing_file" and d.file == "snapshot/fetch.json"
               for d in report.differences)
    assert not report.ok


def _rehash(run_dir: Path) -> None:
    """What a careful forger does after editing: recompute every hash in both manifests."""
    body = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    body["files"] = [e.model_dump() for e in manifest.file_entries(run_dir)]
    sizes = {e["path"]: e for e in body["files"]}
    text = (run_dir / "manifest.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for row in rows:
        row["sha256"], row["size"] = sizes[row["file"]]["sha256"], str(sizes[row["file"]]["size"])
    manifest.write(run_dir, body, rows)


def test_forged_csv_with_rehashed_manifest_is_caught_by_recomputation(demo_copy):
    path = demo_copy / "results/employees.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    rows[0]["net"] = str(Decimal(rows[0]["net"]) + 100)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    _rehash(demo_copy)
    report = verify(demo_copy)
    assert [(d.kind, d.file, d.userid, d.message) for d in report.differences] == [
        ("employee", "results/employees.csv", rows[0]["userid"], "net differs")]


def test_forged_payslip_data_with_rehashed_manifest_is_caught(demo_copy):
    import pikepdf

    from engine.payslip.pdf import DATA_NAME, data_bytes, embedded_data

    row = _first_payslip(demo_copy)
    pdf = demo_copy / row["file"]
    data = embedded_data(pdf)
    line = next(x for x in data["lines"] if Decimal(x["amount"]) > 0)
    line["amount"] = str(Decimal(line["amount"]) + 1)
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        doc.attachments[DATA_NAME] = pikepdf.AttachedFileSpec(doc, data_bytes(data),
                                                              filename=DATA_NAME)
        doc.save(pdf)
    _rehash(demo_copy)
    report = verify(demo_copy)
    assert [(d.kind, d.file, d.code, d.message) for d in report.differences] == [
        ("payslip", row["file"], line["code"], "embedded amount differs")]


def test_forged_trace_and_broken_parquet_are_caught(demo_copy):
    (demo_copy / "results/line_items.parquet").write_bytes(b"garbage")
    traces = demo_copy / "results/traces.jsonl"
    first = json.loads(traces.read_text("utf-8").splitlines()[0])
    text = traces.read_text("utf-8")
    traces.write_text(text.replace('"rounding": "half_up', '"rounding": "up', 1), "utf-8")
    _rehash(demo_copy)
    found = [(d.kind, d.file, d.userid, d.code, d.message) for d in verify(demo_copy).differences]
    assert len(found) == 2
    assert found[0][:2] == ("unreadable", "results/line_items.parquet")
    assert found[1] == ("trace", "results/traces.jsonl", first["userid"], first["code"],
                        "trace of line 1 differs")


def test_paths_outside_the_run_folder_are_refused(tmp_path, sample):
    run_dir = tmp_path / "run"
    body = hashed_folder(run_dir, sample)
    (tmp_path / "outside.txt").write_text("x")
    body["files"].append({"path": "../outside.txt", "sha256": "0" * 64, "size": 1})
    assert ("manifest", "../outside.txt", "listed path is outside the run folder") in kinds(
        check_files(run_dir, body))
    rows = [{"userid": "u", "file": "../outside.txt", "sha256": "", "size": "", "net": ""}]
    assert [(d.kind, d.message) for d in check_payslip_index(run_dir, body, rows)] == [
        ("manifest", "payslip path is outside the run folder")]


def test_payslip_dropped_from_the_index_is_missing(demo_copy):
    text = (demo_copy / "manifest.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    dropped = rows.pop(0)
    manifest.write(demo_copy, json.loads((demo_copy / "manifest.json").read_text("utf-8")), rows)
    found = [(d.kind, d.file, d.userid, d.message) for d in verify(demo_copy).differences]
    assert found == [("payslip", "manifest.csv", dropped["userid"], "payslip is missing"),
                     ("extra_file", dropped["file"], "",
                      "payslip file not listed for any employee in manifest.csv")]
