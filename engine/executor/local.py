"""The local executor: long-lived payslip worker processes on this machine.

The default executor of ``engine.executor`` (``--executor local:N``). Spawn start method:
no state forked from the parent. Each worker builds its renderer once
(``engine.payslip.workers.worker_renderer``) and is replaced after ``RECYCLE_AFTER``
payslips so memory stays bounded (long-lived WeasyPrint processes grow slowly). Started
early by the pipeline so the workers' seconds of start-up (imports, fonts, a warm-up
render) overlap with the fetch. One worker renders in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sized
from pathlib import Path

from engine.errors import PayrollError
from engine.payslip.context import PayslipContext
from engine.payslip.pdf import Renderer
from engine.payslip.workers import Rendered, Task, render_task, worker_renderer

# payslips per worker process before it is replaced: a warm worker grows slowly (184 MB
# after 250 payslips, 196 MB after 2,000), and each new one costs about 2 s of CPU to start
RECYCLE_AFTER = 2000
CHUNK = 2  # payslips per message to a worker

_WORKER: dict[str, object] = {}


def _init_worker(template_dir: Path, lang: str) -> None:
    # an initializer that raises makes the pool respawn workers forever: keep the error
    # and raise it from the first task instead, which ends the run in the parent
    try:
        _WORKER["renderer"] = worker_renderer(template_dir, lang)
    except PayrollError as exc:
        _WORKER["failed"] = exc


def _work(job: tuple[Task, PayslipContext]) -> Rendered:
    if "failed" in _WORKER:
        raise _WORKER["failed"]
    task, ctx = job
    return render_task(task, ctx, _WORKER["renderer"])


class LocalExecutor:
    """``workers`` processes (default: all cores); results in task order."""

    def __init__(self, template_dir: Path, lang: str = "zh", workers: int | None = None) -> None:
        self.template_dir, self.lang = template_dir, lang
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool = None
        self._renderer: Renderer | None = None
        if self.workers > 1:
            self._pool = multiprocessing.get_context("spawn").Pool(
                processes=self.workers, initializer=_init_worker,
                initargs=(template_dir, lang),
                # the pool counts messages, not payslips: one chunk size for every call
                maxtasksperchild=max(1, RECYCLE_AFTER // CHUNK))

    def __repr__(self) -> str:
        return f"local:{self.workers}"

    def fits(self, ctx: PayslipContext) -> bool:
        return ctx.template_dir.resolve() == self.template_dir.resolve() and ctx.lang == self.lang

    def render(self, tasks: Iterable[Task], ctx: PayslipContext) -> Iterator[Rendered]:
        """Results in task order. ``tasks`` may be a list or a stream still being produced
        (the streaming month): the pool's feeder thread draws from it as workers free up."""
        known = len(tasks) if isinstance(tasks, Sized) else None
        if self._pool is None or (known is not None and known < 2):
            if self._renderer is None:
                self._renderer = Renderer(self.template_dir, self.lang)
            return (render_task(task, ctx, self._renderer) for task in tasks)
        # small chunks: a streamed batch's last payslips do not wait in a half-filled chunk
        # for the next batch, and a worker is replaced after RECYCLE_AFTER payslips
        return self._pool.imap(_work, ((task, ctx) for task in tasks), chunksize=CHUNK)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> "LocalExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
