"""The streaming month (engine.stream): payslips made while the fetch runs.

Its promise is that a streamed run folder is the very bytes of a sequential run of the
same inputs. Checked on simulated months through the real pipeline (simulator on
loopback, worker processes), streamed and not, file by file; with a stream that fails
half way; with a fetch resumed from a snapshot already on disk; and on the final pass
alone, with payslips streamed from other inputs or for an employee no longer paid.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest

from engine.executor import render_tasks
from engine.payslip.sample import context, zhangsan
from engine.payslip.workers import plan
from engine.pipeline import demo_month
from engine.progress import Silent
from engine.run.verify import verify
from engine.stream import MonthStream, Streamed, payslip_key
from engine.stream.final import render_month
from tests.conftest import DEMO_MONTH

EMPLOYEES = 130  # two attendance batches of 100 and 30


class Notes(Silent):
    """A reporter that keeps the notes (the stream's kept/rendered count is one)."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        self.notes.append(message)

    def kept(self) -> tuple[int, int]:
        found = [re.match(r"(\d+) of (\d+) payslips made during the fetch were kept", n)
                 for n in self.notes]
        counts = [(int(m.group(1)), int(m.group(2))) for m in found if m]
        return counts[-1] if counts else (0, 0)


def tree(run_dir: Path) -> dict[str, str]:
    return {p.relative_to(run_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(run_dir.rglob("*")) if p.is_file()}


def run(folder: Path, stream: bool, progress=None):
    return demo_month(folder, employees=EMPLOYEES, month=DEMO_MONTH, workers=2,
                      window_seconds=1.0, stream_payslips=stream, progress=progress)


@pytest.fixture(scope="module")
def sequential(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("sequential") / "run"
    run(folder, stream=False)
    return tree(folder)


def test_a_streamed_month_is_the_sequential_month(sequential, tmp_path):
    notes = Notes()
    outcome = run(tmp_path / "run", stream=True, progress=notes)
    kept, total = notes.kept()
    assert total == outcome.payslips > 100 and kept == total  # every payslip came early
    assert tree(tmp_path / "run") == sequential
    assert verify(tmp_path / "run").ok


def behind(monkeypatch) -> None:
    """Rendering well behind the fetch: a short queue, and the stream's executor slowed
    (the month is computed long before the stream reaches its second batch)."""
    import time

    import engine.stream.month as month
    from engine.executor.local import LocalExecutor

    real, calls = LocalExecutor.render, []

    def slowed(self, tasks, ctx):
        calls.append(1)
        results = real(self, tasks, ctx)
        if len(calls) > 1:  # the month's own rendering after the stream: as it is
            return results
        return (time.sleep(0.05) or outcome for outcome in results)

    monkeypatch.setattr(month, "QUEUE_TASKS", 2)
    monkeypatch.setattr(LocalExecutor, "render", slowed)


def test_the_stream_makes_the_rest_from_the_months_own_tasks(sequential, tmp_path,
                                                             monkeypatch):
    """Rendering behind the fetch (a short queue): once the whole month is computed the
    stream renders the employees it has not reached from the month's own tasks, and
    computes no batch twice; the folder is still the sequential month's."""
    made, batches = {}, []
    real_finish, real_batch = MonthStream.finish, MonthStream._batch

    def finish(self):
        made.update(real_finish(self))
        return made

    def batch(self, store, rel):
        batches.append(rel)
        return real_batch(self, store, rel)

    behind(monkeypatch)
    monkeypatch.setattr(MonthStream, "finish", finish)
    monkeypatch.setattr(MonthStream, "_batch", batch)
    notes = Notes()
    outcome = run(tmp_path / "run", stream=True, progress=notes)
    adopted = [m for m in made.values() if m.task is not None]
    own = [m for m in made.values() if m.task is None]
    assert adopted and own and len(adopted) + len(own) == outcome.payslips
    assert all(m.key is None for m in adopted) and all(m.key for m in own)
    assert len(batches) < 2  # the second batch came from the month's tasks
    assert notes.kept() == (outcome.payslips, outcome.payslips)
    assert tree(tmp_path / "run") == sequential


def test_a_stream_is_not_handed_tasks_of_another_context():
    """The month's tasks render with the stream's context: one that differs from the
    month's (another run id, say) keeps the stream to its own batches."""
    from engine.roster import Roster

    stream = MonthStream(pack=None, period=None, roster=Roster(employees=()), before=(),
                         run_dir=Path("."), source={}, names_mode="wecom", executor=None,
                         file_names={}, passwords=None, progress=Silent(), opening=None,
                         make_context=lambda digest: context())
    assert stream.adopt([], context()) is None  # never started
    stream.ctx, stream._computer = context(), object()  # as planned() leaves a started one
    assert stream.adopt([], context().model_copy(update={"run_id": "other"})) is None
    assert stream._adopted is None


def test_a_stream_that_fails_half_way_changes_nothing(sequential, tmp_path, monkeypatch):
    calls = []
    real = MonthStream._batch

    def second_fails(self, store, rel):
        calls.append(rel)
        if len(calls) == 2:
            raise RuntimeError("disk hiccup")
        return real(self, store, rel)

    monkeypatch.setattr(MonthStream, "_batch", second_fails)
    # the stream computes every batch itself (handed the month's tasks, it might not reach
    # the second batch at all)
    monkeypatch.setattr(MonthStream, "adopt", lambda self, tasks, ctx: None)
    notes = Notes()
    run(tmp_path / "run", stream=True, progress=notes)
    assert any("stopped early (RuntimeError: disk hiccup)" in n for n in notes.notes)
    kept, total = notes.kept()
    assert 0 < kept < total  # the first batch's payslips were kept, the rest made after
    assert tree(tmp_path / "run") == sequential


def test_a_stream_that_fails_on_the_months_tasks_changes_nothing(sequential, tmp_path,
                                                                monkeypatch):
    """The stream fails while it renders the month's own tasks: what it made is kept, the
    rest is made after it."""
    real = MonthStream._feed_adopted

    def fails(self):
        real_put, count = self._put, []

        def put(item, adoptable=True):
            count.append(1)
            if len(count) == 3:
                raise RuntimeError("disk hiccup")
            return real_put(item, adoptable)

        self._put = put
        return real(self)

    behind(monkeypatch)  # the month's tasks are handed to the stream
    monkeypatch.setattr(MonthStream, "_feed_adopted", fails)
    notes = Notes()
    run(tmp_path / "run", stream=True, progress=notes)
    assert any("stopped early (RuntimeError: disk hiccup)" in n for n in notes.notes)
    kept, total = notes.kept()
    assert 0 < kept < total
    assert tree(tmp_path / "run") == sequential


def test_an_executor_lost_during_the_stream_changes_nothing(sequential, tmp_path, monkeypatch):
    """The executor fails under the stream (a worker lost): the rest is made after the
    fetch, and the pool's own feeder thread is released (the run does not hang)."""
    from engine.errors import RenderError
    from engine.executor.local import LocalExecutor

    real, calls = LocalExecutor.render, []

    def fails_first_stream(self, tasks, ctx):
        calls.append(1)
        results = real(self, tasks, ctx)
        if len(calls) > 1:
            return results

        def some_then_lost():
            for n, outcome in enumerate(results):
                if n == 5:
                    raise RenderError("worker lost")
                yield outcome
        return some_then_lost()

    monkeypatch.setattr(LocalExecutor, "render", fails_first_stream)
    notes = Notes()
    run(tmp_path / "run", stream=True, progress=notes)
    assert any("stopped early (RenderError: worker lost)" in n for n in notes.notes)
    assert notes.kept()[0] == 5
    assert tree(tmp_path / "run") == sequential


def test_a_payslip_problem_after_the_early_files_writes_them_again(tmp_path, monkeypatch):
    """The month's files are written while the last payslips are made, as if all of them
    are made without a problem; one that reports an error (its employee held: not paid,
    balances kept) has every file written again, the same bytes as a sequential run."""
    import engine.pipeline as pipeline
    from engine.problems import error

    real, held = pipeline.render_stage, []

    def one_fails(*args, **kwargs):
        files, problems = real(*args, **kwargs)
        held.append(files[3].userid)
        failed = error("payslip", "render_failed", "a crafted failure", userid=held[-1])
        return files, [*problems, failed]

    monkeypatch.setattr(pipeline, "render_stage", one_fails)
    notes = Notes()
    run(tmp_path / "streamed", stream=True, progress=notes)
    run(tmp_path / "sequential", stream=False)
    assert any("while the last payslips are made" in n for n in notes.notes)
    assert any("the month's files are written again" in n for n in notes.notes)
    streamed = tree(tmp_path / "streamed")
    assert streamed == tree(tmp_path / "sequential")
    import csv

    with (tmp_path / "streamed" / "results" / "employees.csv").open(encoding="utf-8") as f:
        status = {row["userid"]: row["status"] for row in csv.DictReader(f)}
    assert status[held[0]] == "error" and list(status.values()).count("ok") > 100


def month_against(sim, folder: Path, roster: Path, *, stream: bool, progress=None):
    """``payroll run`` against the simulator ``sim`` (not the demo: it would clear the
    snapshot an interrupted run left)."""
    from engine.pipeline import DEFAULT_COMPANY, default_pack, run_month
    from engine.wecom.settings import load_settings

    config = sim.config
    settings = load_settings(environ={}, corp_id=config.corp_id, corp_secret=config.corp_secret,
                             agent_id=str(config.agent_id), api_base=sim.url,
                             window_seconds=1.0, retry_initial_seconds=0.05)
    return run_month(DEMO_MONTH, roster, default_pack(), folder, settings=settings,
                     company=DEFAULT_COMPANY, workers=2, progress=progress,
                     stream_payslips=stream)


def test_a_resumed_fetch_streams_the_batches_already_stored(tmp_path, monkeypatch):
    """An interrupted run's batch files are on disk: the rerun streams them first."""
    import engine.wecom.fetch as fetch
    from engine.pipeline import _demo_date
    from engine.period import as_period
    from engine.wecom.simulator import SimConfig, Simulator

    config = SimConfig(employees=EMPLOYEES, seed=1, window_seconds=1.0,
                       fixed_date=_demo_date(as_period(DEMO_MONTH)))
    real, done = fetch.fetch_batch, []

    def dies_after_one(*args, **kwargs):
        if done:
            raise KeyboardInterrupt
        done.append(1)
        return real(*args, **kwargs)

    with Simulator(config) as sim:
        roster = tmp_path / "roster.csv"
        sim.company.write_roster(roster)
        month_against(sim, tmp_path / "sequential", roster, stream=False)
        folder = tmp_path / "run"
        monkeypatch.setattr(fetch, "fetch_batch", dies_after_one)
        with pytest.raises(KeyboardInterrupt):
            month_against(sim, folder, roster, stream=True)
        assert not (folder / "manifest.json").exists()
        assert len(list((folder / "snapshot" / "monthdata").glob("batch-*.json"))) == 1
        monkeypatch.setattr(fetch, "fetch_batch", real)
        notes = Notes()
        month_against(sim, folder, roster, stream=True, progress=notes)
    assert any("resuming: 1 of 2 batches" in n for n in notes.notes)
    kept, total = notes.kept()
    assert kept == total > 100
    assert tree(folder) == tree(tmp_path / "sequential")


def test_the_final_pass_keeps_only_what_the_same_inputs_made(tmp_path):
    ctx = context()
    people = [zhangsan(userid=u) for u in ("amy", "bob", "cat")]
    source = lambda _userid: ("monthdata/batch-0000.json", "ab" * 32)  # noqa: E731
    names = {"amy": "amy.pdf", "bob": "bob.pdf", "cat": "cat.pdf"}
    made = plan(people, names=names, sources=source)
    out = tmp_path / "payslips"
    files, _ = render_tasks(made, ctx, out, workers=1)
    streamed = {t[1].userid: Streamed(payslip_key(t, ctx), f, ()) for t, f in zip(made, files)}
    streamed["bob"] = Streamed(b"other inputs", streamed["bob"].file, ())
    for name in names.values():  # marks: a kept file is not rendered again
        (out / name).write_bytes(b"streamed")
    tasks = plan(people[:2], names=names, sources=source)  # cat is no longer paid
    final, problems, kept = render_month(tasks, ctx, out, streamed=streamed,
                                         progress=Silent(), workers=1)
    assert kept == 1 and problems == []
    assert [f.userid for f in final] == ["amy", "bob"]
    assert (out / "amy.pdf").read_bytes() == b"streamed"  # same key: kept as made
    assert (out / "bob.pdf").read_bytes()[:5] == b"%PDF-"  # other inputs: made again
    assert final[1].sha256 == files[1].sha256
    assert not (out / "cat.pdf").exists()  # made during the fetch, not paid: removed


def test_a_key_tells_a_decimal_input_from_its_text():
    ctx = context()
    one = plan([zhangsan(userid="amy")], names={"amy": "amy.pdf"})[0]
    index, line = next((n, line) for n, line in enumerate(one[1].lines)
                       if any(isinstance(v, Decimal) for v in line.trace.inputs.values()))
    inputs = {k: str(v) for k, v in line.trace.inputs.items()}  # same JSON, other types
    other_line = line.model_copy(update={"trace": line.trace.model_copy(
        update={"inputs": inputs})})
    lines = (*one[1].lines[:index], other_line, *one[1].lines[index + 1:])
    other = (one[0], one[1].model_copy(update={"lines": lines}), *one[2:])
    assert one[1].model_dump_json() == other[1].model_dump_json()
    assert payslip_key(one, ctx) != payslip_key(other, ctx)


def test_a_key_follows_the_name_password_and_source():
    ctx = context()
    one = plan([zhangsan(userid="amy")], names={"amy": "amy.pdf"})[0]
    keys = {payslip_key(one, ctx),
            payslip_key((*one[:2], "amy2.pdf", *one[3:]), ctx),
            payslip_key((*one[:3], "secret", one[4]), ctx),
            payslip_key((*one[:4], ("monthdata/batch-0002.json", "0" * 64)), ctx),
            payslip_key(one, ctx.model_copy(update={"run_id": "other"}))}
    assert len(keys) == 5


def test_a_key_tells_decimal_exponents_apart():
    ctx = context()
    one = plan([zhangsan(userid="amy")], names={"amy": "amy.pdf"})[0]
    lines = one[1].totals.model_copy(update={"net": one[1].totals.net.quantize(
        __import__("decimal").Decimal("0.001"))})
    other = (one[0], one[1].model_copy(update={"totals": lines}), *one[2:])
    assert one[1].totals.net == other[1].totals.net
    assert payslip_key(one, ctx) != payslip_key(other, ctx)
    assert payslip_key(one, ctx) == payslip_key(plan([zhangsan(userid="amy")],
                                                     names={"amy": "amy.pdf"})[0], ctx)
