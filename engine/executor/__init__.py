"""Where payslips are rendered: the executor room, beside the payslip workers.

Chosen by the pipeline from ``--executor``: ``local`` or ``local:N`` (worker processes on
this machine, the default: all cores) or ``dask://HOST:PORT`` (a Dask distributed
cluster). Both implement one small interface, ``Executor``: ``render(tasks, ctx)`` takes
the planned tasks of ``engine.payslip.workers`` and yields their results in task order;
``render_all`` writes them into the run folder as they come, so the run's files are the
same bytes whichever executor rendered them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from engine.errors import ConfigError
from engine.payslip.context import PayslipContext
from engine.payslip.workers import PayslipFile, Progress, Rendered, Task, collect, plan
from engine.problems import Problem
from engine.rules.lines import EmployeeResult

_LOCAL = re.compile(r"^local(?::(\d+))?$")
_DASK = re.compile(r"^(?:dask|tcp)://([^/:\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$")


class Executor(Protocol):
    """Renders payslip tasks somewhere and hands the results back in task order."""

    workers: int

    def fits(self, ctx: PayslipContext) -> bool: ...

    def render(self, tasks: Iterable[Task], ctx: PayslipContext) -> Iterator[Rendered]: ...

    def close(self) -> None: ...


class ExecutorSpec(BaseModel):
    """``--executor`` parsed: local worker processes, or a Dask scheduler's address."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["local", "dask"]
    workers: int | None = None  # local: None means all cores
    address: str | None = None  # dask: tcp://host:port


def parse_executor(spec: "str | ExecutorSpec | None",
                   workers: int | None = None) -> ExecutorSpec:
    """The ``--executor`` text (``local``, ``local:N``, ``dask://HOST:PORT``) as a spec."""
    if isinstance(spec, ExecutorSpec):
        return spec
    text = (spec or "local").strip()
    local = _LOCAL.match(text)
    if local:
        count = int(local.group(1)) if local.group(1) else workers
        if count is not None and count < 1:
            raise ConfigError(f"--executor {text}: at least one worker")
        if workers and local.group(1) and workers != count:
            raise ConfigError(f"--workers {workers} contradicts --executor {text}")
        return ExecutorSpec(kind="local", workers=count)
    dask = _DASK.match(text)
    if dask:
        if workers:
            raise ConfigError("--workers applies to the local executor; a Dask cluster has "
                              "the workers its scheduler knows")
        return ExecutorSpec(kind="dask", address=f"tcp://{dask.group(1)}:{dask.group(2)}")
    raise ConfigError(f"--executor must be local, local:N or dask://HOST:PORT, got {text!r}")


def open_executor(spec: "str | ExecutorSpec | None", template_dir: Path, lang: str = "zh",
                  workers: int | None = None) -> Executor:
    """The executor ``spec`` names, started (use as a context manager or ``close()``)."""
    spec = parse_executor(spec, workers)
    if spec.kind == "local":
        from engine.executor.local import LocalExecutor

        return LocalExecutor(template_dir, lang, spec.workers)
    from engine.executor.cluster import DaskExecutor

    return DaskExecutor(str(spec.address), template_dir, lang)


def render_all(results: Iterable[EmployeeResult], ctx: PayslipContext, out_dir: Path,
               workers: int | None = None, progress: Progress | None = None,
               executor: Executor | None = None, passwords: Mapping[str, str] | None = None,
               sources: Callable[[str], tuple[str, str] | None] | None = None
               ) -> tuple[list[PayslipFile], list[Problem]]:
    """Write the payslip of every OK employee into ``out_dir``; files in input order.

    Uses ``executor`` when given (and built for this template folder and language), else
    a local pool of ``workers`` processes for this call alone. With ``ctx.encrypt_with``,
    the delivery passwords come from ``passwords`` (userid → password) or, without it,
    from each employee's roster column of that name. ``sources`` names the snapshot file
    each employee's record came from (see ``PayslipContext.for_source``).
    """
    return render_tasks(plan(results, passwords, ctx.encrypt_with, sources=sources), ctx,
                        out_dir, workers, progress, executor)


def render_tasks(tasks: list[Task], ctx: PayslipContext, out_dir: Path,
                 workers: int | None = None, progress: Progress | None = None,
                 executor: Executor | None = None) -> tuple[list[PayslipFile], list[Problem]]:
    """Render and write planned ``tasks`` (indexes 0, 1, …) as :func:`render_all` does."""
    if executor is not None and executor.fits(ctx):
        return collect(tasks, executor.render(tasks, ctx), out_dir, progress)
    from engine.executor.local import LocalExecutor

    count = max(1, min(workers or os.cpu_count() or 1, len(tasks) or 1))
    with LocalExecutor(ctx.template_dir, ctx.lang, count) as own:
        return collect(tasks, own.render(tasks, ctx), out_dir, progress)
