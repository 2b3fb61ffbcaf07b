"""The Dask executor: payslips rendered on a Dask distributed cluster.

``--executor dask://HOST:PORT`` (the scheduler's address). Workers may run on other
machines, so nothing of the submitting machine is named to them: every task carries the
template folder's bytes (``TemplateBundle``, materialised once per worker process under
a temporary folder named by its hash) and the renderer check (``RendererCheck``: the
font files' hashes and the versions of the libraries that decide a PDF's bytes). A
worker whose fonts or libraries differ refuses to render, so a run's payslips are
byte-identical to a local run or the run stops with the reason. Results (PDF bytes) come
back to the submitting process, which writes the run folder.

Tasks are chunks of a few employees, submitted in order with a bounded number in flight
(back-pressure: the submitting process never holds more than that many results), and
handed back in order. When a worker is lost, the scheduler gives its tasks to another
(up to ``distributed.scheduler.allowed-failures`` times); a task that still fails stops
the run with a ``RenderError``.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict

from engine.errors import ConfigError, RenderError
from engine.payslip.context import PayslipContext
from engine.payslip.fonts import DEFAULT_FONTS, font_files
from engine.payslip.pdf import Renderer
from engine.payslip.subset import harfbuzz_version
from engine.payslip.workers import Rendered, Task, render_task, worker_renderer

CHUNK = 8  # employees per Dask task: amortises the scheduler's per-task overhead
IN_FLIGHT_PER_WORKER = 3
MAX_TEMPLATE_BYTES = 50 * 1024 * 1024


class TemplateBundle(BaseModel):
    """A template folder as bytes: relative POSIX path → content, and their hash."""

    model_config = ConfigDict(frozen=True)

    files: dict[str, bytes]
    sha256: str

    @classmethod
    def of(cls, folder: Path) -> "TemplateBundle":
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}
        if sum(len(b) for b in files.values()) > MAX_TEMPLATE_BYTES:
            raise ConfigError(f"template folder {folder} is over 50 MB; too big to send")
        digest = hashlib.sha256()
        for name, body in files.items():
            digest.update(f"{name}\0{len(body)}\0".encode() + body)
        return cls(files=files, sha256=digest.hexdigest())

    def materialise(self, root: Path) -> Path:
        """Write the files under ``root/<sha256>`` (once) and return that folder."""
        folder = root / self.sha256[:32]
        if folder.is_dir():
            return folder
        root.mkdir(parents=True, exist_ok=True)
        # written aside and renamed: two worker processes of one machine may race here
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
        for name, body in self.files.items():
            rel = PurePosixPath(name)
            if rel.is_absolute() or ".." in rel.parts:
                raise ConfigError(f"template bundle holds an unsafe path {name!r}")
            path = staging.joinpath(*rel.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        try:
            staging.rename(folder)
        except OSError:  # another process was first: its copy has the same bytes
            shutil.rmtree(staging, ignore_errors=True)
        return folder


class RendererCheck(BaseModel):
    """What must be equal on the submitting machine and a worker for equal PDF bytes."""

    model_config = ConfigDict(frozen=True)

    fonts: tuple[tuple[str, str], ...]  # (family, sha256 of its file)
    libraries: tuple[tuple[str, str], ...]  # (distribution, version)

    @classmethod
    def here(cls) -> "RendererCheck":
        from importlib.metadata import version

        fonts = tuple((f["family"], f["sha256"]) for f in font_files(DEFAULT_FONTS))
        libs = tuple((name, version(name)) for name in ("weasyprint", "pikepdf", "fonttools"))
        return cls(fonts=fonts, libraries=libs + (("harfbuzz", harfbuzz_version()),))

    def differences(self, other: "RendererCheck") -> list[str]:
        mine, theirs = dict(self.fonts + self.libraries), dict(other.fonts + other.libraries)
        return [f"{key}: {mine.get(key)} here, {theirs.get(key)} on the worker"
                for key in sorted(set(mine) | set(theirs)) if mine.get(key) != theirs.get(key)]


# --- worker side ------------------------------------------------------------------------

_WORKER: dict[tuple[str, str], Renderer] = {}
_CHECKED: dict[str, RendererCheck] = {}


def _renderer(bundle: TemplateBundle, check: RendererCheck, lang: str) -> Renderer:
    if "here" not in _CHECKED:
        _CHECKED["here"] = RendererCheck.here()
    differences = check.differences(_CHECKED["here"])
    if differences:
        raise ConfigError("this Dask worker would print different payslip bytes: "
                          + "; ".join(differences))
    key = (bundle.sha256, lang)
    if key not in _WORKER:
        root = Path(tempfile.gettempdir()) / "wecom-payroll-templates"
        _WORKER[key] = worker_renderer(bundle.materialise(root), lang)
    return _WORKER[key]


def render_chunk(bundle: TemplateBundle, check: RendererCheck, ctx: PayslipContext,
                 tasks: list[Task]) -> list[Rendered]:
    """A Dask task: render a few employees on this worker with the submitted templates."""
    renderer = _renderer(bundle, check, ctx.lang)
    local = ctx.model_copy(update={"template_dir": renderer.template_dir})
    return [render_task(task, local, renderer) for task in tasks]


# --- submitting side --------------------------------------------------------------------


class DaskExecutor:
    """Render on the Dask cluster whose scheduler is at ``address`` (``tcp://host:port``)."""

    def __init__(self, address: str, template_dir: Path, lang: str = "zh",
                 timeout: float = 30.0, chunk: int = CHUNK) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ConfigError("--executor dask:// needs the dask and distributed packages "
                              "(pip install 'wecom-payroll[dask]')") from exc
        self.template_dir, self.lang, self.address = template_dir, lang, address
        self.chunk = max(1, chunk)
        self.bundle = TemplateBundle.of(template_dir.resolve())
        self.check = RendererCheck.here()
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
            self.client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach a Dask scheduler with workers at {address}: "
                              f"{exc}") from exc

    def __repr__(self) -> str:
        return f"dask:{self.address}"

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def fits(self, ctx: PayslipContext) -> bool:
        return ctx.template_dir.resolve() == self.template_dir.resolve() and ctx.lang == self.lang

    def render(self, tasks: Iterable[Task], ctx: PayslipContext) -> Iterator[Rendered]:
        """Results in task order; ``tasks`` may be a stream still being produced."""
        source, size = iter(tasks), self.chunk
        chunks = iter(lambda: list(islice(source, size)), [])
        pending: deque = deque()
        limit = max(2, self.workers * IN_FLIGHT_PER_WORKER)

        def submit() -> None:
            chunk = next(chunks, None)
            if chunk is not None:
                pending.append(self.client.submit(render_chunk, self.bundle, self.check, ctx,
                                                  chunk, pure=False))

        for _ in range(limit):
            submit()
        while pending:
            future = pending.popleft()
            try:
                results = future.result()
            except ConfigError:
                raise
            except Exception as exc:  # KilledWorker, lost scheduler, … (distributed's own)
                raise RenderError(f"Dask cluster {self.address} could not render payslips: "
                                  f"{type(exc).__name__}: {exc}") from exc
            submit()
            yield from results

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
