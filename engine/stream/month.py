"""Compute and render each attendance batch as the fetch stores it (see ``engine.stream``).

The fetch tells :meth:`MonthStream.planned` when the directory is in (the run id, and so
the payslips' context, follow from it) and :meth:`MonthStream.stored` of every stored
batch file. A compute thread takes the stored files in order, computes each batch's
employees (roster, pack, ledger opening and leave types are all known before the first
batch) and queues their payslip tasks; a writer thread hands that queue to the executor
as one stream of tasks and writes each payslip into the run folder as it comes back. The
task queue is bounded: when rendering falls behind, the compute thread waits, never the
fetch, which returns as soon as WeCom has answered (the pipeline computes the whole month
and writes its results while the last payslips are made). :meth:`finish` ends the
stream and hands back, per userid, what was made.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from engine.payslip.context import PayslipContext
from engine.payslip.workers import PayslipFile, Task, plan, write_rendered
from engine.problems import Problem
from engine.progress import Beside, Progress
from engine.roster import Roster
from engine.rules.program import Program
from engine.run.chain import compute_month
from engine.wecom.models import RecordBuilder
from engine.wecom.snapshot import SnapshotStore, load_batch, load_leave_types, plan_digest

QUEUE_TASKS = 64  # payslip tasks computed ahead of the workers (a few seconds of work)
_END = None
_ADOPT = object()  # to the compute thread: the whole month's tasks are there (adopt())


def payslip_key(task: Task, ctx: PayslipContext) -> bytes:
    """What a payslip's bytes follow from: the employee's result, its file name, password
    and snapshot file, and the run's context.

    The models go in as pydantic's JSON of every field (some 2.5 times faster than a
    pickle, which walks them in Python): a Decimal is written as its text, so
    ``Decimal('1.0')`` and ``Decimal('1.00')`` (printed differently) never compare equal.
    The one field whose type the JSON does not tell, a trace input (``Decimal | str``,
    both written as a string), adds its kind."""
    _index, result, name, password, source = task
    digest = hashlib.sha256(json.dumps([name, password, source]).encode())
    digest.update(b"\0" + ctx.model_dump_json().encode() + b"\0")
    digest.update(result.model_dump_json().encode())
    digest.update(b"\0" + "".join("d" if isinstance(value, Decimal) else "s"
                                  for line in result.lines
                                  for value in line.trace.inputs.values()).encode())
    return digest.digest()


@dataclass(frozen=True)
class Streamed:
    """One payslip made while the fetch ran: the key it was made from, the file written
    (None: it failed) and the problems its rendering reported; ``task`` is the whole
    month's own task when the payslip was made from it (see :meth:`MonthStream.adopt`),
    its key then not made."""

    key: bytes | None
    file: PayslipFile | None
    problems: tuple[Problem, ...]
    task: Task | None = None


@dataclass(frozen=True)
class _Batch:
    """A batch file as the stream computes it: what ``compute_month`` reads of a snapshot."""

    records: dict[str, Any]
    leave_types: tuple


class MonthStream:
    """The payslips of a month, computed and rendered batch by batch during the fetch."""

    def __init__(self, *, pack, period, roster: Roster, before: tuple[Problem, ...],
                 run_dir: Path, source: dict[str, Any], names_mode: str, executor,
                 file_names: Mapping[str, str], passwords: Mapping[str, str] | None,
                 progress: Progress, opening: Any,
                 make_context: Callable[[str], PayslipContext]) -> None:
        self.pack, self.period, self.roster, self.before = pack, period, roster, before
        self.run_dir, self.source, self.names_mode = run_dir, source, names_mode
        self.executor, self.file_names, self.passwords = executor, file_names, passwords
        self.opening, self.make_context = opening, make_context
        self._by_userid = {e.userid: e for e in roster.employees}
        self._order = {e.userid: n for n, e in enumerate(roster.employees)}
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_TASKS)
        self._stored: queue.Queue = queue.Queue()  # batch files not yet computed: names only
        self._store: SnapshotStore | None = None
        self._computer: threading.Thread | None = None
        self._pending: dict[int, tuple[Task, bytes | None, Task | None]] = {}
        self._done: dict[str, Streamed] = {}
        self._count = 0
        self._stop = threading.Event()
        self._failed: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._ended = False  # finish() or abort() has run
        self._builder = RecordBuilder()
        self._program: Program | None = None  # the pack for the period: built once, not per batch
        self._queued: set[str] = set()  # userids whose payslip task is queued
        self._adopted: list[Task] | None = None  # the whole month's tasks, once computed
        self._switched = threading.Event()  # the compute thread has taken them
        self._own: frozenset[str] = frozenset()  # queued from the stream's own batches
        self.ctx: PayslipContext | None = None
        self.leave_types: tuple = ()
        self.shown = Beside(progress, "payslips made during the fetch", len(roster.employees))

    # --- the fetch's side -------------------------------------------------------------

    def planned(self, store: SnapshotStore, directory_files: list[str],
                leave_file: str) -> None:
        """The directory and leave types are in: the run id and the payslips' context
        follow (``make_context``); the writer thread starts."""
        try:
            ctx = self.make_context(plan_digest(store, directory_files, leave_file))
            self.leave_types = tuple(load_leave_types(store, leave_file, []))
        except Exception as exc:  # never the fetch's failure: see stored()
            self._failed = exc
            self._stop.set()
            return
        if not self.executor.fits(ctx):  # another template folder: rendered after the fetch
            return
        self.ctx, self._store = ctx, store
        self._thread = threading.Thread(target=self._write, name="payslip-stream", daemon=True)
        self._computer = threading.Thread(target=self._compute, name="payslip-compute",
                                          daemon=True)
        self._thread.start()
        self._computer.start()

    def stored(self, store: SnapshotStore, rel: str) -> None:
        """One stored batch file, for the compute thread (the fetch never waits here)."""
        if self.ctx is not None and not self._stop.is_set():
            self._stored.put(rel)

    def _compute(self) -> None:
        """Compute each stored batch and queue its payslips. Making payslips early only
        saves time, so a failure here stops the stream, never the fetch: the whole month
        is computed and rendered after it as usual."""
        try:
            while True:
                rel = self._stored.get()
                if rel is _END or self._stop.is_set() or self._adopted is not None:
                    break
                self._batch(self._store, rel)
            if self._adopted is not None:
                self._feed_adopted()
        except Exception as exc:
            self._failed = exc
            self._stop.set()
        finally:
            self._switched.set()  # adopt() never waits on a thread that has ended

    def _batch(self, store: SnapshotStore, rel: str) -> None:
        records: dict[str, Any] = {}
        load_batch(store, rel, self._builder, set(), records, {})
        sha = store.file_sha256(rel)
        wanted = sorted((u for u in records if u in self._by_userid), key=self._order.get)
        if not wanted:
            return
        roster = self.roster.model_copy(update={"employees": tuple(
            self._by_userid[u] for u in wanted)})
        opening = ({u: self.opening[u] for u in wanted if u in self.opening}
                   if self.opening is not None else None)
        if self._program is None:
            self._program = Program(self.pack, self.period)
        month = compute_month(self.pack, self.period, roster, _Batch(records, self.leave_types),
                              self.run_dir, self.source, self.before, self.names_mode,
                              values=opening, program=self._program)
        tasks = plan(month.result.employees, self.passwords, self.ctx.encrypt_with,
                     names=self.file_names, sources=lambda _u: (rel, sha), start=self._count)
        self._count += len(tasks)
        for task in tasks:
            if not self._put((task, payslip_key(task, self.ctx), None)):
                return  # the whole month is computed: its own tasks are queued instead
            self._queued.add(task[1].userid)

    def _put(self, item, adoptable: bool = True) -> bool:
        """Queue ``item`` unless the stream stops (or, for the stream's own tasks, the
        whole month's tasks are adopted meanwhile)."""
        while not self._stop.is_set() and not (adoptable and self._adopted is not None):
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    # --- the whole month's side -------------------------------------------------------

    def adopt(self, tasks: list[Task], ctx: PayslipContext) -> frozenset[str] | None:
        """The whole month is computed: its ``tasks`` (exactly a sequential run's) are
        rendered for every employee the stream has not queued yet, instead of computing
        the batches still to come a second time. Returns the userids queued from the
        stream's own batches (only their keys need making), or None when the stream
        goes on alone (it stopped, has no context, or another one than ``ctx``)."""
        if self._computer is None or self._stop.is_set() or self.ctx is None or \
                self.ctx.model_dump_json() != ctx.model_dump_json():
            return None
        self._adopted = tasks
        self._stored.put(_ADOPT)  # wakes a compute thread waiting for the next batch
        self._switched.wait()
        return None if self._stop.is_set() else self._own

    def _feed_adopted(self) -> None:
        """Queue the adopted tasks of every employee not yet queued, in the month's order,
        each with its index in the stream."""
        self._own = frozenset(self._queued)
        self._switched.set()
        for task in self._adopted or ():
            if task[1].userid in self._own:
                continue
            if not self._put(((self._count, *task[1:]), None, task), adoptable=False):
                return
            self._count += 1

    # --- the writer's side ------------------------------------------------------------

    def _feed(self) -> Iterator[Task]:
        while True:
            item = self._queue.get()
            if item is _END or self._stop.is_set():
                return
            self._pending[item[0][0]] = item
            yield item[0]

    def _write(self) -> None:
        out_dir = self.run_dir / "payslips"
        try:
            for outcome in self.executor.render(self._feed(), self.ctx):
                task, key, whole = self._pending.pop(outcome[0])
                file = write_rendered(task, outcome, out_dir)
                self._done[task[1].userid] = Streamed(key, file, tuple(outcome[3]), whole)
                self.shown.advance(1)
        except BaseException as exc:  # reported by finish(); the month is then rendered whole
            self._failed = exc
            self._stop.set()

    @property
    def failure(self) -> str:
        """Why the stream stopped early ("" when it did not)."""
        exc = self._failed
        return f"{type(exc).__name__}: {exc}" if exc is not None else ""

    def finish(self) -> dict[str, Streamed]:
        """End the stream and wait for the payslips in flight; userid → what was made.

        A stream that failed (a worker lost, a template error) leaves only the payslips it
        finished; the pipeline renders the rest as a sequential run would."""
        if self._thread is None or self._ended:
            return dict(self._done)
        self._ended = True
        self._end_compute()
        if self._stop.is_set():
            self._end_feed()
        else:
            self._put(_END, adoptable=False)
        self._thread.join()
        return dict(self._done)

    def abort(self) -> None:
        """Stop without waiting for queued payslips (the fetch or the month failed, or
        was interrupted)."""
        self._stop.set()
        if self._thread is None or self._ended:
            return
        self._ended = True
        self._end_compute()
        self._end_feed()
        self._thread.join()

    def _end_compute(self) -> None:
        """Let the compute thread finish the batches stored (all of them, unless the
        stream stopped) and end."""
        self._stored.put(_END)
        if self._computer is not None:
            self._computer.join()

    def _end_feed(self) -> None:
        """Empty the queue and end the feed, so the executor's own feeder thread is never
        left waiting on it (a local pool joins that thread when it closes). Only called
        once the compute thread has ended: nobody else puts into the queue any more."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(_END)
