"""Render every payslip of a run into a folder, on a pool of long-lived worker processes.

Payslip stage entry point, called after compute with the run's results. File names are
chosen up front in the parent (unique and sanitised); each worker process (spawn start
method: no state forked from the parent) builds one ``Renderer`` (font configuration,
parsed stylesheet, image cache, glyph coverage) and reuses it for many payslips, and is
replaced after ``RECYCLE_AFTER`` payslips so memory stays bounded. One employee that
cannot be rendered becomes a ``Problem``; the others are unaffected. ``workers=1``
renders in this process.

Each worker warms up before its first task (one throw-away render of the sample payslip
loads fonts, Pango and the glyph coverage) and then freezes the garbage collector's view
of everything built so far, so later collections only scan the objects of the payslip
being rendered, and collects less often. Tasks travel in chunks to keep the inter-process traffic small.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from engine.errors import PayrollError, RunFolderError
from engine.files import atomic_write
from engine.payslip.context import PayslipContext
from engine.payslip.names import plan_names
from engine.payslip.pdf import Renderer, render_pdf
from engine.payslip.secure import SECURE_DIR, delivery_password, encrypt
from engine.problems import Problem, error
from engine.rules.lines import EmployeeResult, Status

RECYCLE_AFTER = 400  # payslips per worker process before it is replaced
Progress = Callable[[int, int], None]


class PayslipFile(BaseModel):
    """One written payslip master, as listed in the run's manifest."""

    model_config = ConfigDict(frozen=True)

    userid: str
    path: str  # relative to the output folder's parent, e.g. "payslips/ZhangSan.pdf"
    sha256: str
    size: int
    net: Decimal


Task = tuple[int, EmployeeResult, str]
Outcome = tuple[int, PayslipFile | None, list[Problem]]


def plan(results: Iterable[EmployeeResult]) -> list[Task]:
    """Employees to render (status OK only), each with its unique file name."""
    ok = [x for x in results if x.status is Status.OK]
    return list(zip(range(len(ok)), ok, plan_names(r.userid for r in ok)))


def _inside(out_dir: Path, name: str) -> Path:
    path = out_dir / name
    if path.resolve().parent != out_dir.resolve():  # names are sanitised; this is the proof
        raise RunFolderError(f"payslip name {name!r} escapes {out_dir}")
    return path


def _write(result: EmployeeResult, pdf: bytes, ctx: PayslipContext, out_dir: Path,
           name: str, password: str | None) -> PayslipFile:
    # the delivery copy is made before anything is written: a payslip whose copy fails
    # is not issued at all, so no master is left behind without its copy
    secure = encrypt(pdf, password) if password else None
    atomic_write(_inside(out_dir, name), pdf)
    if secure is not None:
        atomic_write(_inside(out_dir / SECURE_DIR, name), secure)
    return PayslipFile(userid=result.userid, path=f"{out_dir.name}/{name}",
                       sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
                       net=result.totals.net)


def render_one(task: Task, ctx: PayslipContext, out_dir: Path,
               renderer: Renderer | None = None) -> Outcome:
    """Render and write one payslip; any failure becomes an error for that employee and
    no file of theirs is written (the employee is then held: ``status=error``)."""
    index, result, name = task
    password = None
    if ctx.encrypt_with:  # checked first: a payslip that cannot be delivered is not made
        password, problems = delivery_password(result, ctx.encrypt_with)
        if problems:
            return index, None, problems
    try:
        pdf = render_pdf(result, ctx, renderer)
        return index, _write(result, pdf, ctx, out_dir, name, password), []
    except RunFolderError:
        raise  # the folder itself is unusable: no point trying the next employee
    except PayrollError as exc:
        return index, None, [error("payslip", "render_failed", str(exc), userid=result.userid)]
    except Exception as exc:  # a bug must not cost the other employees their payslips
        return index, None, [error("payslip", "render_crashed",
                                   f"{type(exc).__name__}: {exc}", userid=result.userid)]


_WORKER: dict[str, object] = {}


def _init_worker(template_dir: Path, lang: str, warm: PayslipContext) -> None:
    # an initializer that raises makes the pool respawn workers forever: keep the error
    # and raise it from the first task instead, which ends the run in the parent
    try:
        _WORKER["renderer"] = Renderer(template_dir, lang)
    except PayrollError as exc:
        _WORKER["failed"] = exc
        return
    warm_up(_WORKER["renderer"], warm)
    gc.freeze()
    # a payslip allocates some 100,000 short-lived objects; collecting the young
    # generation every 700 allocations cost about 3% of the worker's time
    gc.set_threshold(50_000, 20, 20)


def warm_up(renderer: Renderer, ctx: PayslipContext) -> None:
    """One discarded render of the sample employee, so the first real payslip is not slow."""
    from engine.payslip.sample import zhangsan  # the sample is only needed here

    try:
        render_pdf(zhangsan(), ctx, renderer)
    except PayrollError:
        pass  # a company template may not fit the sample; real payslips report their own errors


def _work(job: tuple[Task, PayslipContext, Path]) -> Outcome:
    if "failed" in _WORKER:
        raise _WORKER["failed"]
    task, ctx, out_dir = job
    return render_one(task, ctx, out_dir, _WORKER["renderer"])


def _in_process(tasks: list[Task], ctx: PayslipContext, out_dir: Path) -> Iterable[Outcome]:
    renderer = Renderer(ctx.template_dir, ctx.lang)
    return (render_one(task, ctx, out_dir, renderer) for task in tasks)


class PayslipPool:
    """Long-lived spawn workers, started early so their start-up (importing WeasyPrint,
    loading fonts, a warm-up render: seconds) overlaps with the fetch and compute.

    ``PayslipPool(ctx.template_dir, ctx.lang, workers)`` used as a context manager; the
    run's context (run id, hashes) travels with each task since it is only known later.
    """

    def __init__(self, template_dir: Path, lang: str = "zh", workers: int | None = None) -> None:
        from engine.payslip.sample import context as sample_context

        self.template_dir, self.lang = template_dir, lang
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool = None
        if self.workers > 1:
            warm = sample_context(template_dir=template_dir, lang=lang)
            self._pool = multiprocessing.get_context("spawn").Pool(
                processes=self.workers, initializer=_init_worker,
                initargs=(template_dir, lang, warm), maxtasksperchild=RECYCLE_AFTER)

    def fits(self, ctx: PayslipContext) -> bool:
        return ctx.template_dir.resolve() == self.template_dir.resolve() and ctx.lang == self.lang

    def outcomes(self, tasks: list[Task], ctx: PayslipContext, out_dir: Path) -> Iterable[Outcome]:
        if self._pool is None or len(tasks) < 2:
            return _in_process(tasks, ctx, out_dir)
        chunk = max(1, min(16, len(tasks) // (self.workers * 4)))
        jobs = ((task, ctx, out_dir) for task in tasks)
        return self._pool.imap_unordered(_work, jobs, chunksize=chunk)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> "PayslipPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render_all(results: Iterable[EmployeeResult], ctx: PayslipContext, out_dir: Path,
               workers: int | None = None, progress: Progress | None = None,
               pool: PayslipPool | None = None) -> tuple[list[PayslipFile], list[Problem]]:
    """Write the payslip of every OK employee into ``out_dir``; files in input order.

    Uses ``pool`` when given (and built for this template folder and language), else a
    pool of ``workers`` processes for this call alone.
    """
    tasks = plan(results)
    if pool is not None and pool.fits(ctx):
        return _collect(pool.outcomes(tasks, ctx, out_dir), len(tasks), progress)
    workers = max(1, min(workers or os.cpu_count() or 1, len(tasks) or 1))
    with PayslipPool(ctx.template_dir, ctx.lang, workers) as own:
        return _collect(own.outcomes(tasks, ctx, out_dir), len(tasks), progress)


def _collect(outcomes: Iterable[Outcome], total: int,
             progress: Progress | None) -> tuple[list[PayslipFile], list[Problem]]:
    done: dict[int, PayslipFile] = {}
    problems: dict[int, list[Problem]] = {}
    for count, (index, file, found) in enumerate(outcomes, start=1):
        if file is not None:
            done[index] = file
        problems[index] = found
        if progress:
            progress(count, total)
    return ([done[i] for i in sorted(done)],
            [p for i in sorted(problems) for p in problems[i]])
