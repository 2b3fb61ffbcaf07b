"""Packed results (engine.rules.packed) and the results/ writers that walk them.

A packed month must be the month: every employee equal to the one computed, the record
and roster columns the very objects of the snapshot and the roster, and every file of
``results/`` byte for byte what the whole-month writers make of the same month. The last
is checked on a 300-employee simulated month through the real pipeline, against the
same month computed again into plain tuples and written from month-sized lists.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.rules import packed
from engine.rules.lines import Status
from engine.rules.packed import Packed, View, remap, select
from engine.run import columns, exports, tables, workbook
from engine.run.results import write_results

from run_samples import sample_result

WRITTEN = ("problems.csv", "summary.json", "traces.jsonl", "line_items.parquet",
           "line_items.csv", "columns.csv", "employees.csv", "payroll.xlsx")


def test_packed_employees_are_the_computed_ones(monkeypatch):
    monkeypatch.setattr(packed, "BATCH", 2)  # several batches, one of them short
    employees = sample_result()[0].employees
    box = Packed(employees)
    assert len(box) == len(employees) and box == employees and employees == tuple(box)
    assert [e.model_dump(mode="json") for e in box] == [e.model_dump(mode="json")
                                                         for e in employees]
    assert all(a.record is b.record and a.roster is b.roster for a, b in zip(box, employees))
    assert box[-1] == employees[-1] and box[1:3] == list(employees[1:3])
    with pytest.raises(IndexError):
        box[len(employees)]


def test_remap_and_select_keep_the_kind(monkeypatch):
    monkeypatch.setattr(packed, "BATCH", 2)
    employees = sample_result()[0].employees
    box = Packed(employees)
    renamed = remap(box, lambda e: e.model_copy(update={"name": e.name + "!"}))
    assert isinstance(renamed, Packed) and [e.name for e in renamed] == [
        e.name + "!" for e in employees]
    assert isinstance(remap(employees, lambda e: e), tuple)
    paid = select(box, lambda e: e.status is Status.OK)
    assert isinstance(paid, View)
    want = [e for e in employees if e.status is Status.OK]
    assert list(paid) == want and list(paid) == want and len(paid) == len(want)
    assert select(employees, lambda e: e.status is Status.OK) == want


def old_results(folder: Path, result, problems, run_id: str, period, pack) -> None:
    """The whole-month writers: every table a list, then written (as before packing)."""
    results = folder / "results"
    summary = tables.summary(result, list(problems), run_id)
    exports.write_csv(results / "problems.csv", tables.problem_rows(problems),
                      tables.PROBLEM_COLUMNS)
    exports.write_json(results / "summary.json", summary)
    exports.write_jsonl(results / "traces.jsonl", [
        {"userid": line.userid, "code": line.code, "item": line.item,
         "trace": line.trace.model_dump(mode="json")}
        for emp in result.employees for line in emp.lines])
    (results / "line_items.parquet").write_bytes(exports.parquet_bytes(
        tables.line_rows(result, precise=True), tables.LINE_COLUMNS))
    exports.write_csv(results / "line_items.csv", tables.line_rows(result),
                      tables.LINE_COLUMNS, tables.NUMERIC)
    spec = columns.employee_columns(result, pack)
    exports.write_csv(results / "columns.csv", columns.dictionary_rows(spec),
                      columns.DICTIONARY_COLUMNS)
    rows = tables.employee_rows(result, pack)
    exports.write_csv(results / "employees.csv", rows, tuple(c.name for c in spec),
                      tables.numeric_columns(result, pack))
    (results / "payroll.xlsx").write_bytes(workbook.payroll_xlsx(
        spec, rows, tables.line_rows(result), tables.LINE_COLUMNS, summary,
        created=f"{period.last_day.isoformat()}T00:00:00"))


@pytest.fixture(scope="module")
def month_300(tmp_path_factory) -> Path:
    from engine.pipeline import demo_month

    run_dir = tmp_path_factory.mktemp("packed") / "run"
    demo_month(run_dir, employees=300, month="2026-10", seed=3, workers=1)
    return run_dir


def test_a_simulated_month_is_written_byte_for_byte_as_a_whole_one(month_300, tmp_path):
    from engine.run.recompute import recompute

    manifest = json.loads((month_300 / "manifest.json").read_text("utf-8"))
    again = recompute(month_300, manifest)  # plain tuples: nothing packed
    assert isinstance(again.result.employees, tuple) and len(again.result.employees) == 300
    period = _period(manifest["month"])
    box = again.result.model_copy(update={"employees": Packed(again.result.employees)})
    old_results(tmp_path / "old", again.result, again.problems, again.run_id, period, again.pack)
    write_results(tmp_path / "new", box, again.problems, again.run_id, period, again.pack)
    for name in WRITTEN:
        old = (tmp_path / "old" / "results" / name).read_bytes()
        assert (tmp_path / "new" / "results" / name).read_bytes() == old, name
        if name not in ("problems.csv", "summary.json"):  # the run's list has more problems
            assert (month_300 / "results" / name).read_bytes() == old, name


def _period(month: str):
    from engine.period import as_period

    return as_period(month)


def test_a_packed_month_writes_the_same_run_folder_as_a_plain_one(month_300, tmp_path):
    """300 employees are kept as plain objects (under ``PACK_ABOVE``); the same month
    packed, as a large one is, writes every file of the run folder byte for byte alike."""
    from engine.pipeline import demo_month

    assert packed.collector(300) is tuple
    assert packed.collector(packed.PACK_ABOVE + 1) is packed.collect
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(packed, "PACK_ABOVE", 0)
        demo_month(tmp_path / "run", employees=300, month="2026-10", seed=3, workers=1)
    files = sorted(p.relative_to(month_300) for p in month_300.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "run")
                           for p in (tmp_path / "run").rglob("*") if p.is_file())
    for rel in files:
        assert (tmp_path / "run" / rel).read_bytes() == (month_300 / rel).read_bytes(), rel
