"""The recomputation ``verify`` rests on: the month computed again from the folder's own
snapshot and inputs equals the run, and each results/ file read back is compared with it."""

from __future__ import annotations

import csv
import io
import json

from engine.run.folder import listed_inside
from engine.run.recompute import (check_ledger, check_summary_html, compare_tables, read_results,
                                  recompute)


def _manifest(run_dir):
    return json.loads((run_dir / "manifest.json").read_text("utf-8"))


def test_the_recomputed_month_is_the_run(demo_run):
    manifest = _manifest(demo_run)
    again = recompute(demo_run, manifest)
    assert again.run_id == manifest["run_id"] and again.result.month == manifest["month"]
    assert again.snapshot_sha256 == manifest["snapshot_sha256"]
    assert again.pack_sha256 == manifest["pack"]["sha256"]
    found, unreadable = read_results(demo_run)
    assert unreadable == [] and found["lines"] and found["traces"]
    assert compare_tables(again, manifest["run_id"], found) == []
    assert check_ledger(demo_run, again) == []
    # every employee's record names the snapshot file (and its hash) it came from
    assert {u for u in again.sources} >= {e.userid for e in again.result.employees}


def test_each_unreadable_result_file_is_one_difference_and_its_checks_are_skipped(demo_copy):
    (demo_copy / "results/line_items.parquet").write_bytes(b"not parquet")
    (demo_copy / "results/summary.json").write_text("{", "utf-8")
    found, unreadable = read_results(demo_copy)
    assert [(d.kind, d.file) for d in unreadable] == [
        ("unreadable", "results/line_items.parquet"), ("unreadable", "results/summary.json")]
    assert found["parquet"] is None and found["summary"] is None
    again = recompute(demo_copy, _manifest(demo_copy))
    assert compare_tables(again, again.run_id, found) == []  # the rest still agrees


def test_a_changed_employee_row_is_named(demo_copy):
    path = demo_copy / "results/employees.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))
    rows[0]["net"] = "1.00"
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), "utf-8")
    again = recompute(demo_copy, _manifest(demo_copy))
    found, _ = read_results(demo_copy)
    diffs = compare_tables(again, again.run_id, found)
    assert [(d.file, d.userid) for d in diffs] == [("results/employees.csv", rows[0]["userid"])]
    assert diffs[0].found == "1.00"


def test_an_edited_summary_page_and_a_dropped_ledger_row_are_caught(demo_copy):
    manifest = _manifest(demo_copy)
    again = recompute(demo_copy, manifest)
    found, _ = read_results(demo_copy)
    page = demo_copy / "results/summary.html"
    page.write_text(page.read_text("utf-8").replace("</body>", "<p>x</p></body>"), "utf-8")
    summary = {**found["summary"]}
    assert [d.kind for d in check_summary_html(demo_copy, manifest, again, summary,
                                               found["problems"])] == ["summary"]
    # the demo pack keeps a ledger: a row dropped from ledger.csv is missing from it
    ledger = demo_copy / "results/ledger.csv"
    lines = ledger.read_bytes().split(b"\n")
    ledger.write_bytes(b"\n".join(lines[:1] + lines[2:]))
    diffs = check_ledger(demo_copy, again)
    assert [d.kind for d in diffs] == ["ledger"] and "differs" in diffs[0].message
    assert diffs[0].found == "null"


def test_listed_paths_stay_inside_the_folder(tmp_path):
    assert listed_inside(tmp_path, tmp_path / "payslips/a.pdf")
    for bad in ("../x.pdf", "payslips/../../x"):
        assert not listed_inside(tmp_path, tmp_path / bad)
    assert not listed_inside(tmp_path, tmp_path)
    assert not listed_inside(tmp_path, tmp_path.parent / "other")
