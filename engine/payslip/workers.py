"""Payslip tasks: what one worker does with one employee, and what the run keeps of it.

Payslip stage, between compute and the run folder. ``plan`` names every file up front in
the submitting process (unique and sanitised); ``render_task`` turns one task into PDF
bytes (and the encrypted delivery copy) wherever it runs, touching no file, so a worker
process on this machine and a Dask worker on another do exactly the same thing;
``collect`` writes the results into the run folder in task order. One employee that
cannot be rendered becomes a ``Problem``; the others are unaffected.

Worker processes build one ``Renderer`` (font configuration, parsed stylesheets, common
font, glyph coverage) and reuse it for many payslips (``worker_renderer``). Each warms up
before its first task (one throw-away render of the sample payslip) and then freezes the
garbage collector's view of everything built so far, so later collections only scan the
objects of the payslip being rendered, and collects less often. The executors that drive
these workers live in ``engine.executor``.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from engine.errors import PayrollError, RunFolderError
from engine.files import atomic_write
from engine.payslip.context import PayslipContext
from engine.payslip.names import plan_names
from engine.payslip.pdf import Renderer, render_payslip, render_pdf
from engine.payslip.secure import (SECURE_DIR, delivery_password, encrypt, password_hash,
                                   salt_for)
from engine.problems import Problem, error
from engine.rules.lines import EmployeeResult, Status

Progress = Callable[[int, int], None]


class PayslipFile(BaseModel):
    """One written payslip master, as listed in the run's manifest."""

    model_config = ConfigDict(frozen=True)

    userid: str
    path: str  # relative to the output folder's parent, e.g. "payslips/ZhangSan.pdf"
    sha256: str
    size: int
    net: Decimal
    secure: str = ""  # the encrypted delivery copy, e.g. "payslips/secure/ZhangSan.pdf"
    password_salt: str = ""  # hex; with password_hash: the scrypt hash of its password
    password_hash: str = ""


# index, employee, file name, password, (snapshot file, sha256) of the employee's record
Task = tuple[int, EmployeeResult, str, str | None, tuple[str, str] | None]
# index, PDF/A master (None: not rendered), encrypted copy (None: none), problems (the
# warnings of a rendered one), (salt, scrypt hash) of the copy's password (None: no copy)
Rendered = tuple[int, bytes | None, bytes | None, list[Problem], tuple[str, str] | None]


def plan(results: Iterable[EmployeeResult], passwords: Mapping[str, str] | None = None,
         column: str | None = None, *, names: Mapping[str, str] | None = None,
         sources: Callable[[str], tuple[str, str] | None] | None = None,
         start: int = 0) -> list[Task]:
    """Employees to render (status OK only), each with its unique file name (from
    ``names`` by userid when given, else planned here), its delivery password when copies
    are encrypted (from ``passwords`` by userid, else from the employee's own roster
    ``column``) and the snapshot file its record came from (``sources``); task indexes
    count from ``start``."""
    ok = [x for x in results if x.status is Status.OK]
    if column is None:
        keys: list[str | None] = [None] * len(ok)
    elif passwords is not None:
        keys = [passwords.get(r.userid) for r in ok]
    else:
        keys = [r.roster.get(column) for r in ok]
    files = ([names[r.userid] for r in ok] if names is not None
             else plan_names(r.userid for r in ok))
    found = [sources(r.userid) if sources else None for r in ok]
    return list(zip(range(start, start + len(ok)), ok, files, keys, found))


def render_task(task: Task, ctx: PayslipContext, renderer: Renderer | None = None) -> Rendered:
    """One payslip as bytes (and its delivery copy); any failure becomes an error for that
    employee and nothing of theirs comes back (the employee is then held: ``status=error``)."""
    index, result, _name, password, source = task
    ctx = ctx.for_source(source)
    if ctx.encrypt_with:  # checked first: a payslip that cannot be delivered is not made
        password, problems = delivery_password(result.userid, password, ctx.encrypt_with)
        if problems:
            return index, None, None, problems, None
    try:
        pdf, warnings = render_payslip(result, ctx, renderer)
        # the delivery copy is made before anything is written: a payslip whose copy
        # fails is not issued at all, so no master is left behind without its copy
        if not password:
            return index, pdf, None, warnings, None
        salt = salt_for(ctx.run_id, result.userid)  # scrypt here: on the workers' cores
        return (index, pdf, encrypt(pdf, password), warnings,
                (salt.hex(), password_hash(password, salt)))
    except PayrollError as exc:
        return index, None, None, [error("payslip", "render_failed", str(exc),
                                         userid=result.userid)], None
    except Exception as exc:  # a bug must not cost the other employees their payslips
        return index, None, None, [error("payslip", "render_crashed",
                                         f"{type(exc).__name__}: {exc}",
                                         userid=result.userid)], None


def _inside(out_dir: Path, name: str) -> Path:
    path = out_dir / name
    if path.resolve().parent != out_dir.resolve():  # names are sanitised; this is the proof
        raise RunFolderError(f"payslip name {name!r} escapes {out_dir}")
    return path


def write_rendered(task: Task, rendered: Rendered, out_dir: Path) -> PayslipFile | None:
    """Write one rendered payslip (master, then its encrypted copy) into ``out_dir``."""
    result, name = task[1], task[2]
    _, pdf, secure, _problems, hashed = rendered
    if pdf is None:
        return None
    atomic_write(_inside(out_dir, name), pdf)
    fields: dict[str, str] = {}
    if secure is not None and hashed is not None:
        atomic_write(_inside(out_dir / SECURE_DIR, name), secure)
        fields = {"secure": f"{out_dir.name}/{SECURE_DIR}/{name}",
                  "password_salt": hashed[0], "password_hash": hashed[1]}
    return PayslipFile(userid=result.userid, path=f"{out_dir.name}/{name}",
                       sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
                       net=result.totals.net, **fields)


def collect(tasks: list[Task], rendered: Iterable[Rendered], out_dir: Path,
            progress: Progress | None = None) -> tuple[list[PayslipFile], list[Problem]]:
    """Write results as they arrive (in task order); files and problems in task order."""
    files: list[PayslipFile] = []
    problems: list[Problem] = []
    for count, outcome in enumerate(rendered, start=1):
        if outcome[0] != count - 1:
            raise RunFolderError(f"payslip results out of order: {outcome[0]} != {count - 1}")
        file = write_rendered(tasks[outcome[0]], outcome, out_dir)
        if file is not None:
            files.append(file)
        problems.extend(outcome[3])
        if progress:
            progress(count, len(tasks))
    return files, problems


def warm_up(renderer: Renderer, ctx: PayslipContext) -> None:
    """One discarded render of the sample employee, so the first real payslip is not slow."""
    from engine.payslip.sample import zhangsan  # the sample is only needed here

    try:
        render_pdf(zhangsan(), ctx, renderer)
    except PayrollError:
        pass  # a company template may not fit the sample; real payslips report their own errors


def worker_renderer(template_dir: Path, lang: str) -> Renderer:
    """A worker process's renderer: built, warmed up, and the collector tuned."""
    from engine.payslip.sample import context as sample_context

    renderer = Renderer(template_dir, lang)
    warm_up(renderer, sample_context(template_dir=template_dir, lang=lang))
    gc.freeze()
    # a payslip allocates some 100,000 short-lived objects; collecting the young
    # generation every 700 allocations cost about 3% of the worker's time
    gc.set_threshold(50_000, 20, 20)
    return renderer
