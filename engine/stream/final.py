"""The month's payslips after the fetch: keep what the stream made right, render the rest.

Last step of the payslip stage, called by the pipeline with the tasks of the whole
month's computation (exactly those of a sequential run) and what :class:`MonthStream`
made during the fetch. Once the whole month is computed the stream is handed its tasks
(``adopt_month``) and renders the employees it has not reached from them, so no batch is
computed twice. A streamed payslip is kept only when it was made from the task itself or
from a task of the same key (``payslip_key``: result, file name, password, snapshot
file, run context), so the kept file is the very bytes the task would render; every
other task is rendered now. Payslips
streamed for an employee the whole month does not pay, or under another name, are
removed, so the folder holds what a sequential run writes and nothing else.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from engine.executor import Executor, render_tasks
from engine.payslip.context import PayslipContext
from engine.payslip.workers import PayslipFile, Task, plan
from engine.problems import Problem
from engine.progress import Progress
from engine.rules.lines import PayrollResult, Status
from engine.rules.packed import select
from engine.run.prepared import Prepared
from engine.stream.month import MonthStream, Streamed, payslip_key
from engine.wecom.snapshot import Snapshot


def render_month(tasks: list[Task], ctx: PayslipContext, out_dir: Path, *,
                 streamed: Mapping[str, Streamed], progress: Progress,
                 workers: int | None = None, executor: Executor | None = None,
                 keys: Mapping[str, bytes] | None = None
                 ) -> tuple[list[PayslipFile], list[Problem], int]:
    """Files and problems in task order, as ``render_tasks`` gives them for ``tasks``, and
    how many payslips were kept from the stream (``keys``: the tasks' own, by userid, when
    :func:`task_keys` made them already)."""
    kept: dict[str, Streamed] = {}
    todo: list[Task] = []
    for task in tasks:
        made = streamed.get(task[1].userid)
        if made is not None and _made_from(made, task, ctx, keys):
            kept[task[1].userid] = made
        else:
            todo.append((len(todo), *task[1:]))
    progress.start("payslips", len(tasks))
    progress.advance(len(kept))
    try:
        new_files, new_problems = render_tasks(
            todo, ctx, out_dir, workers=workers, executor=executor,
            progress=lambda done, total: progress.advance(1))
    finally:
        progress.finish()
    files, problems = _in_task_order(tasks, kept, new_files, new_problems)
    _remove_stale(out_dir.parent, streamed, {f.path for f in files})
    return files, problems, len(kept)


def _made_from(made: Streamed, task: Task, ctx: PayslipContext,
               keys: Mapping[str, bytes] | None) -> bool:
    """Whether the streamed payslip is the one ``task`` renders: made from the task itself
    (adopted by the stream), or from a task of the same key."""
    if made.file is None:
        return False
    if made.task is not None:
        return made.task is task
    key = keys.get(task[1].userid) if keys is not None else None
    return made.key == (key if key is not None else payslip_key(task, ctx))


def month_tasks(result: PayrollResult, ctx: PayslipContext, prepared: Prepared,
                snapshot: Snapshot) -> list[Task]:
    """One payslip task per employee of the whole month with status ok."""
    return plan(select(result.employees, lambda e: e.status is Status.OK),
                prepared.passwords, ctx.encrypt_with, names=prepared.file_names,
                sources=snapshot.source_of)


def adopt_month(stream: MonthStream, result: PayrollResult, ctx: PayslipContext,
                prepared: Prepared, snapshot: Snapshot) -> tuple[list[Task], dict[str, bytes]]:
    """The whole month's tasks, handed to the stream still making payslips (it renders
    every employee it has not queued from them, :meth:`MonthStream.adopt`), and the keys
    of the tasks the stream made from its own batches, for :func:`render_month`."""
    tasks = month_tasks(result, ctx, prepared, snapshot)
    return tasks, task_keys(tasks, ctx, stream.adopt(tasks, ctx))


def task_keys(tasks: list[Task], ctx: PayslipContext,
              only: Collection[str] | None = None) -> dict[str, bytes]:
    """Each task's key by userid (see ``payslip_key``), made ahead of :func:`render_month`
    while the stream still renders; ``only``: the userids whose keys are needed (those
    the stream made from its own batches), else all."""
    return {task[1].userid: payslip_key(task, ctx) for task in tasks
            if only is None or task[1].userid in only}


def _in_task_order(tasks: list[Task], kept: Mapping[str, Streamed],
                   new_files: list[PayslipFile], new_problems: list[Problem]
                   ) -> tuple[list[PayslipFile], list[Problem]]:
    """One list of files and problems ordered as a sequential run lists them (userids are
    unique in a month: the roster refuses a second row of one)."""
    files_by = {f.userid: f for f in new_files}
    problems_by: dict[str, list[Problem]] = {}
    for problem in new_problems:
        problems_by.setdefault(problem.userid or "", []).append(problem)
    files: list[PayslipFile] = []
    problems: list[Problem] = []
    for task in tasks:
        userid = task[1].userid
        made = kept.get(userid)
        file = made.file if made is not None else files_by.get(userid)
        if file is not None:
            files.append(file)
        problems.extend(made.problems if made is not None else problems_by.get(userid, ()))
    return files, [*problems, *problems_by.get("", ())]  # none yet: every render problem names one


def _remove_stale(run_dir: Path, streamed: Mapping[str, Streamed], final: set[str]) -> None:
    """Delete streamed payslips (and their delivery copies) no final task wrote."""
    for made in streamed.values():
        if made.file is None or made.file.path in final:
            continue
        (run_dir / made.file.path).unlink(missing_ok=True)
        if made.file.secure:
            (run_dir / made.file.secure).unlink(missing_ok=True)
