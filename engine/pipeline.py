"""The month, stage by stage: fetch → compute → payslips → run folder.

This module only orders the stages and moves their results between them; each stage is a
function of its own package. ``fetch_month`` is the one stage that talks to the network;
everything after it reads the snapshot, so ``compute_run`` can recompute a month offline
(``payroll verify`` does exactly that). While the fetch runs, the streaming month
(``engine.stream``) makes the payslips of each batch already stored; ``compute_run`` then
keeps those its own computation would have made byte for byte and renders the rest.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence


from engine.errors import RulePackError
from engine.executor import Executor, ExecutorSpec, open_executor
from engine.exports.maps import bank_map_path, load_bank_map, load_iit_map
from engine.exports.stage import build_exports, created_stamp, write_exports
from engine.payslip.context import DEFAULT_TEMPLATES, PayslipContext
from engine.payslip.fonts import font_files
from engine.payslip.identity import CompanyIdentity
from engine.payslip.identity import resolve as resolve_company
from engine.period import Period, as_period
from engine.problems import Problem
from engine.safetext import text_problems
from engine.progress import Progress, Silent
from engine.roster import Roster, load_roster
from engine.rules.apply import compute
from engine.rules.cases import run_cases
from engine.rules.lines import PayrollResult
from engine.rules.loader import load_pack
from engine.rules import packed
from engine.run import chain, exports, manifest, tables
from engine.run.chain import chain_start
from engine.run.folder import (DEMO_MARKER, atomic_write, clear_for_demo, lock_run_folder,
                               prepare, remove_leftovers, removed_if_left_empty)
from engine.run.inputs import number_columns, write_password_hashes
from engine.run.opened import Run
from engine.run.results import write_ledger, write_results
from engine.run.summary import summary_html, write_rendered
from engine.run.prepared import (Handover, Prepared, context_for, prepare_inputs,
                                 reuse_snapshot)
from engine.stream import MonthStream, Streamed
from engine.stream.fetching import fetch_streaming, finish_stream, month_stream
from engine.stream.final import adopt_month, month_tasks, render_month
from engine.wecom.snapshot import Snapshot, load_snapshot

DEFAULT_COMPANY = "示例科技有限公司"


class RunOutcome(Run):
    """What a finished run reports back: the run folder opened as by ``engine.open_run``
    (``lines``, ``employees``, ``problems``, ``ledger`` DataFrames, ``summary``,
    ``payslip(userid)``), and the run's problems as :class:`Problem` objects."""

    def __init__(self, run_dir: Path, problems: Sequence[Problem]) -> None:
        super().__init__(run_dir)
        self.problem_items: tuple[Problem, ...] = tuple(problems)


def preflight(pack, period: Period | None = None) -> None:
    """Refuse, before anything is fetched or written, a pack whose own test cases fail or
    that has no parameter values in force for ``period``."""
    report = run_cases(pack)
    if report.failed:
        raise RulePackError(f"{report.failed} of the pack's test cases fail; run "
                            f"`payroll rules test {pack.info.path}` for details",
                            path=pack.info.path)
    if period is not None:  # the month's program, built for nobody: raises what compute would
        compute(pack, period, Roster(), {}, ())


def render_stage(result: PayrollResult, ctx: PayslipContext, run_dir: Path,
                 workers: int | None, pool: Executor | None,
                 progress: Progress, prepared: "Prepared", snapshot: Snapshot,
                 streamed: Mapping[str, Streamed] | None = None,
                 planned: tuple[list, Mapping[str, bytes]] | None = None
                 ) -> tuple[list, list[Problem]]:
    """One payslip per employee with status ok, on the executor when one is running; a
    payslip the streaming month made from the same inputs is kept (``render_month``;
    ``planned``: the tasks and their keys, already made while the stream ran)."""
    tasks, keys = planned or (month_tasks(result, ctx, prepared, snapshot), None)
    files, problems, kept = render_month(tasks, ctx, run_dir / "payslips",
                                         streamed=streamed or {}, progress=progress,
                                         workers=workers, executor=pool, keys=keys)
    if streamed:
        progress.note(f"{kept} of {len(tasks)} payslips made during the fetch were kept, "
                      f"{len(tasks) - kept} rendered after it")
    return files, problems


def roster_facts(roster: Roster) -> dict[str, Any]:
    """What the manifest records about the roster file: how it was decoded and read."""
    return {"encoding": roster.encoding, "employees": len(roster.employees),
            "headers": dict(sorted(roster.headers.items()))}


def write_manifest(run_dir: Path, ctx: PayslipContext, files: Sequence,
                   inputs: dict[str, str], snapshot_sha256: str,
                   extra: dict[str, Any] | None = None) -> None:
    """Hash every file and mark the run finished (the last write of a run)."""
    payslip_rows = [{"userid": f.userid, "file": f.path, "sha256": f.sha256,
                     "size": str(f.size), "net": tables.dec(f.net), "secure": f.secure}
                    for f in files]
    remove_leftovers(run_dir)
    body = manifest.build(run_dir, run_id=ctx.run_id, month=ctx.month, fonts=font_files(),
                          extra={"inputs": inputs,
                                 "pack": ctx.pack.model_dump(mode="json", exclude={"path"}),
                                 "snapshot_sha256": snapshot_sha256,
                                 "company": ctx.company, "lang": ctx.lang, **(extra or {})},
                          hashed={f.path: (f.sha256, f.size) for f in files})
    manifest.write(run_dir, body, payslip_rows)


def compute_run(run_dir: Path, snapshot: Snapshot, pack, *, roster_path: Path,
                company: str | CompanyIdentity = DEFAULT_COMPANY, lang: str = "zh",
                workers: int | None = None,
                template_dir: Path | None = None, encrypt_with: str | None = None,
                logo: str | None = None, names: str = "wecom",
                extra_problems: Sequence[Problem] = (), progress: Progress | None = None,
                pool: Executor | None = None,
                extra_manifest: dict[str, Any] | None = None, previous: Path | None = None,
                opening: Path | None = None, payslips: bool = True,
                bank_map: str | Path | None = None, iit_version: str | None = None,
                prepared: Handover | None = None,
                stream: MonthStream | None = None) -> RunOutcome:
    """Everything after the fetch: ledger opening, compute, ledger closing, payslips
    (unless ``payslips`` is false: a trial run), exports (tax sheet, bank files with the
    map ``bank_map``, contributions), results, manifest.

    Roster, pack and the ledger's opening (the previous run's closing or an import) are
    copied into ``inputs/`` first and read back from there (``prepare_inputs``; or already,
    before the fetch: ``prepared``), so the run is computed from exactly the files it
    keeps. ``stream`` is the streaming month, still making its last payslips: the month's
    files are written meanwhile, as if every payslip is made (``early_files``), and again
    after them only if one was not or reported a problem.
    """
    progress = progress or Silent()
    period = snapshot.period
    ready: Prepared = prepared.take() if prepared is not None else prepare_inputs(
        run_dir, pack, period, roster_path=roster_path, company=company, logo=logo,
        encrypt_with=encrypt_with, bank_map=bank_map, previous=previous, opening=opening)
    roster, pack, source = ready.roster, ready.pack, ready.source
    copies = dict(ready.copies)
    ctx = context_for(run_dir, ready, period, snapshot.plan_sha256, lang=lang,
                      template_dir=template_dir, encrypt_with=encrypt_with)
    progress.note(f"computing {len(roster.employees)} employees with {pack.info.name} "
                  f"{pack.info.version}")
    try:
        month = chain.compute_month(pack, period, roster, snapshot, run_dir, source,
                                    [*extra_problems, *ready.roster_problems,
                                     *snapshot.problems],
                                    names, collect=packed.collector(len(roster.employees)))
        problems = [*month.problems, *text_problems(month.result.employees)]
        early = planned = None
        if stream is not None and len(roster.employees) <= packed.PACK_ABOVE:
            # the stream makes the month's last payslips from its tasks, and its files are
            # written meanwhile
            planned = adopt_month(stream, month.result, ctx, ready, snapshot)
            early = early_files(run_dir, month, problems, ready, ctx, period, iit_version,
                                progress)
        streamed = finish_stream(stream, progress)
    finally:
        if stream is not None:
            stream.abort()  # after an error: the stream's threads and workers let go
    files, render_problems = (render_stage(month.result, ctx, run_dir, workers, pool,
                                           progress, ready, snapshot, streamed, planned)
                              if payslips else ([], []))
    month = month.held(render_problems)  # no payslip made: not paid, balances unchanged
    if encrypt_with:
        copies["passwords"] = write_password_hashes(run_dir, encrypt_with, files)
    extra: dict[str, Any] = {"roster": roster_facts(roster), "names": names}
    snapshot_sha256, has_ledger = snapshot.sha256, month.ledger is not None
    if early is not None and not render_problems:
        facts, problems = early
    else:
        progress.note("writing exports, results, finance summary and manifest"
                      if early is None else
                      "a payslip reported a problem: the month's files are written again")
        html, facts, problems = write_month(run_dir, month, [*problems, *render_problems],
                                            ready, ctx, period, iit_version)
        # the month is written: its results, and the snapshot and roster they refer to,
        # are let go before the finance summary's PDF is laid out (a large company's
        # largest step)
        del month, snapshot, roster, ready
        write_rendered(run_dir, html)
    extra.update({"exports": facts, **(extra_manifest or {})})
    if has_ledger:
        extra["ledger"] = source
    if not payslips:
        extra["payslips"] = "skipped"
    write_manifest(run_dir, ctx, files, inputs=copies, snapshot_sha256=snapshot_sha256,
                   extra=extra)
    return RunOutcome(run_dir, problems)


def write_month(run_dir: Path, month: chain.Month, problems: list[Problem], ready: Prepared,
                ctx: PayslipContext, period: Period, iit_version: str | None
                ) -> tuple[str, dict[str, Any], list[Problem]]:
    """The month's exports, results and ledger; the finance summary's HTML, the exports'
    facts for the manifest and every problem of the run."""
    result = month.result
    exported = build_exports(result, bank_map=ready.bank_map, iit_version=iit_version,
                             company=ready.identity.name,
                             created=created_stamp(period.last_day.isoformat()),
                             pack=ready.pack, ledger=month.ledger)
    problems = [*problems, *exported.problems]
    write_exports(run_dir, exported)
    summary = write_results(run_dir, result, problems, ctx.run_id, period, ready.pack)
    if month.ledger is not None:
        write_ledger(run_dir, month.ledger)
    return summary_html(result, problems, summary, ready.identity.name), exported.facts, problems


def early_files(run_dir: Path, month: chain.Month, problems: list[Problem], ready: Prepared,
                ctx: PayslipContext, period: Period, iit_version: str | None,
                progress: Progress
                ) -> tuple[dict[str, Any], list[Problem]]:
    """While the stream makes the last payslips: the month's files as they will be when
    every payslip is made without a problem (the usual case), so the cores that render
    are the only wait left. Not for a packed month: it would hold the month and its
    snapshot while the finance summary is laid out."""
    progress.note("writing exports, results and finance summary while the last payslips "
                  "are made")
    html, facts, problems = write_month(run_dir, month, problems, ready, ctx, period,
                                        iit_version)
    write_rendered(run_dir, html)
    return facts, problems


# --- the month with the network: fetch, then compute -------------------------------------


def fetch_only(month: str | Period, run_dir: Path, *, roster: Path | None = None,
               config: Path | None = None, settings=None, progress: Progress | None = None):
    """``payroll fetch``: the snapshot alone, for a later offline compute."""
    from engine.wecom.fetch import run_fetch
    from engine.wecom.settings import load_settings

    settings = settings or load_settings(config)
    period = as_period(month, settings.tz)
    progress = progress or Silent()
    userids = load_roster(roster)[0].userids() if roster else None  # refused before writing
    with removed_if_left_empty(run_dir), lock_run_folder(run_dir, on_stale=progress.note):
        run_dir.mkdir(parents=True, exist_ok=True)
        report, _problems = run_fetch(settings, period, run_dir, userids, progress)
    return report


def run_month(month: str | Period, roster_path: Path, rules_path: Path, run_dir: Path, *,
              config: Path | None = None, settings=None, force: bool = False,
              company: str | None = None, template_dir: Path | None = None,
              encrypt_with: str | None = None, logo: str | None = None,
              address: str | None = None, names: str = "wecom",
              workers: int | None = None, lang: str = "zh",
              executor: "str | ExecutorSpec | None" = None,
              progress: Progress | None = None, on_prepared: Callable[[Path], None] | None = None,
              extra_manifest: dict[str, Any] | None = None, previous: Path | None = None,
              opening: Path | None = None, snapshot_from: Path | None = None,
              payslips: bool = True, bank_map: str | Path | None = None,
              iit_version: str | None = None, stream_payslips: bool = True) -> RunOutcome:
    """The whole month against the WeCom API named by the settings (``payroll run``).

    ``executor`` picks where payslips are rendered: ``local`` / ``local:N`` (default,
    worker processes here) or ``dask://HOST:PORT`` (see ``engine.executor``).
    ``on_prepared`` is called once the folder is ready, before the fetch (the demo marks
    its folder there); ``extra_manifest`` adds keys to ``manifest.json``. With
    ``snapshot_from`` the month's data comes from that run instead of WeCom;
    ``previous``/``opening`` give the ledger's opening (see ``chain_start``). Payslips are
    made while the fetch runs (``engine.stream``; the same files as made after it) unless
    ``stream_payslips`` is false."""
    from engine.wecom.settings import load_settings

    progress = progress or Silent()
    if snapshot_from is None:
        settings = settings or load_settings(config)
    period = as_period(month, settings.tz if settings else "Asia/Shanghai")
    # every check that can fail before the fetch runs before it: nothing is written yet
    pack = load_pack(rules_path)
    preflight(pack, period)
    # a bad map or tax-sheet version stops the run before the fetch
    load_bank_map(bank_map_path(bank_map))
    load_iit_map().version(iit_version)
    previous = chain_start(pack, period.month, run_dir, previous, opening)
    # read again from its copy by compute_run; an unusable roster stops the run here
    # (only its userids are kept: compute_run reads the copy, two rosters would be held)
    userids = load_roster(roster_path, amounts=number_columns(pack))[0].userids()
    # the payslips' company: refused (exit 2) before anything is written when there is none
    identity = resolve_company(run_dir, name=company, logo=logo, address=address,
                               settings_file=config or _config_from_environment())
    # one run at a time per folder, from preparing it to its manifest
    with removed_if_left_empty(run_dir), lock_run_folder(run_dir, on_stale=progress.note):
        prepare(run_dir, force=force)
        if on_prepared is not None:
            on_prepared(run_dir)
        # payslip workers start now: their seconds of start-up overlap with the fetch
        pool_cm = (open_executor(executor, template_dir or DEFAULT_TEMPLATES, lang, workers)
                   if payslips
                   else nullcontext())
        with pool_cm as pool:
            if snapshot_from is not None:
                reuse_snapshot(snapshot_from, run_dir, period.month)
            prepared = prepare_inputs(run_dir, pack, period, roster_path=roster_path,
                                      company=identity, logo=logo, encrypt_with=encrypt_with,
                                      bank_map=bank_map, previous=previous, opening=opening)
            stream = None
            if snapshot_from is None:  # the fetch's problems are stored in the snapshot
                stream = (month_stream(run_dir, prepared, period, pool, names=names,
                                       lang=lang, template_dir=template_dir,
                                       encrypt_with=encrypt_with, progress=progress)
                          if stream_payslips and payslips and pool is not None else None)
                fetch_streaming(settings, period, run_dir, userids, progress, stream)
            # handed over, not kept here: compute_run lets it go once the month is written
            handed = Handover(prepared)
            del prepared
            return compute_run(run_dir, load_snapshot(run_dir), pack, roster_path=roster_path,
                               company=identity, lang=lang, workers=workers,
                               template_dir=template_dir, encrypt_with=encrypt_with, logo=logo,
                               names=names,
                               progress=progress, pool=pool, extra_manifest=extra_manifest,
                               previous=previous, opening=opening, payslips=payslips,
                               bank_map=bank_map, iit_version=iit_version,
                               prepared=handed, stream=stream)


def _config_from_environment() -> Path | None:
    import os

    named = os.environ.get("WECOM_CONFIG")
    return Path(named) if named else None


# --- the demo: the same path against a local simulator ---------------------------------


def _demo_date(period: Period) -> str:
    """The simulator's fixed HTTP Date: 09:00 Beijing time on the day after the month."""
    from datetime import datetime, time, timedelta, timezone
    from email.utils import format_datetime

    moment = datetime.combine(period.last_day + timedelta(days=1), time(1, 0), timezone.utc)
    return format_datetime(moment, usegmt=True)


def demo_month(run_dir: Path, *, employees: int = 60, month: str | Period, seed: int = 1,
               chaos: bool = False, workers: int | None = None, lang: str = "zh",
               executor: "str | ExecutorSpec | None" = None, window_seconds: float = 60.0,
               progress: Progress | None = None,
               bank_map: str | Path | None = None, rules: Path | None = None,
               stream_payslips: bool = True) -> RunOutcome:
    """``payroll demo``: start the simulator, then run the month exactly as ``run_month``.

    ``window_seconds`` is the simulator's rate window (WeCom's: 60 s; benchmarks shorten
    it to fetch a large company quickly)."""
    import tempfile

    from engine.wecom.settings import load_settings
    from engine.wecom.simulator import Faults, SimConfig, Simulator

    period = as_period(month)
    faults = Faults(error_rate=0.05, revoke_after=3, seed=seed) if chaos else Faults()
    config = SimConfig(employees=employees, seed=seed, fixed_date=_demo_date(period), faults=faults,
                       window_seconds=window_seconds)
    demo = {"made_by": "payroll demo", "simulator": True, "employees": employees,
            "seed": seed, "chaos": chaos, "company": DEFAULT_COMPANY}

    def mark(folder: Path) -> None:
        atomic_write(folder / DEMO_MARKER, exports.json_bytes(demo))

    with lock_run_folder(run_dir):  # the demo's own clearing happens under the lock too
        clear_for_demo(run_dir)  # refuses (exit 7) anything but an earlier demo run
        with Simulator(config) as sim, tempfile.TemporaryDirectory() as tmp:
            roster_path = Path(tmp) / "roster.csv"
            sim.company.write_roster(roster_path)
            settings = load_settings(environ={}, corp_id=config.corp_id,
                                     corp_secret=config.corp_secret,
                                     agent_id=str(config.agent_id),
                                     api_base=sim.url, window_seconds=window_seconds,
                                     retry_initial_seconds=0.05)
            return run_month(period, roster_path, rules or default_pack(), run_dir,
                             settings=settings, company=DEFAULT_COMPANY, workers=workers,
                             lang=lang, executor=executor, progress=progress,
                             on_prepared=mark, extra_manifest={"demo": demo},
                             bank_map=bank_map, stream_payslips=stream_payslips)


def default_pack() -> Path:
    """``rules/cn-payroll.yaml`` of this checkout: cn-default's gross pay, then social
    insurance, housing fund and income tax withheld (the pack of ``run`` and ``demo``)."""
    return Path(__file__).resolve().parent.parent / "rules" / "cn-payroll.yaml"


def labour_pack() -> Path:
    """``rules/cn-default.yaml`` of this checkout (labour-law gross pay only), the base a
    new company folder copies and extends."""
    return Path(__file__).resolve().parent.parent / "rules" / "cn-default.yaml"
