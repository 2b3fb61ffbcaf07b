"""Stage 1, fetch: one month of attendance for every employee, stored as a snapshot.

Reads the directory and leave types, then asks ``getcheckin_monthdata`` in batches of at
most 100 userids planned deterministically from the sorted id list. A batch sunk by an
unknown userid (301021) is bisected until the bad ids are isolated; an oversized one
(301023) is halved. A few batches run at once (``concurrency``): at the compressed
windows of tests the round trip, not the ceiling, would otherwise bound the rate; the
shared limiter keeps them all under the ceiling. Each finished batch is written to the
snapshot at once, so a killed fetch run again with the same arguments skips every
finished batch. The index (``fetch.json``) is written last. Every id asked for ends up
either with exactly one record or in the missing report with its reason. Progress goes
to an injected ``engine.progress.Progress``; rate-limit waits appear as notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict

from engine.errors import WeComError
from engine.period import Period
from engine.problems import Problem, info, warning
from engine.progress import Progress, Silent
from engine.wecom.client import MAX_BATCH, MAX_USERID_BYTES, Exchange, WeComClient, listener_for
from engine.wecom.errors import BatchSizeError, BatchUserError
from engine.wecom.models import LeaveType
from engine.wecom.reconcile import INVALID_ID, STAGE, BatchResult, merge, reconcile_batch
from engine.wecom.settings import WeComSettings
from engine.wecom.snapshot import FORMAT, INDEX, SnapshotStore, batch_name

DEPARTMENTS = "directory/departments.json"
VACATION = "vacation.json"


class FetchReport(BaseModel):
    """What a fetch did; the snapshot holds the data itself."""

    model_config = ConfigDict(frozen=True)

    period: Period
    snapshot_dir: str
    requested: tuple[str, ...]
    fetched: int
    missing: dict[str, str]
    batches: int
    resumed_batches: int
    calls: dict[str, int]


def plan_batches(userids: Iterable[str], size: int = MAX_BATCH) -> list[list[str]]:
    """Sorted unique ids cut into batches of ``size``; never an empty batch."""
    ids = sorted(set(userids))
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def valid_userid(uid: str) -> bool:
    return 1 <= len(uid.encode("utf-8")) <= MAX_USERID_BYTES


def fetch_batch(client: WeComClient, period: Period, userids: list[str]) -> list[Exchange]:
    """Every exchange needed to settle one batch (bisecting on 301021, halving on 301023)."""
    exchanges: list[Exchange] = []
    pending = [userids]
    for _ in range(4 * len(userids)):  # a full bisection needs under 2n calls
        if not pending:
            return exchanges
        ids = pending.pop(0)
        try:
            exchanges.append(client.monthdata(period, ids))
        except (BatchUserError, BatchSizeError) as exc:
            if exc.answer is not None:
                exchanges.append(exc.answer)
            if len(ids) > 1:
                half = len(ids) // 2
                pending[:0] = [ids[:half], ids[half:]]
    raise WeComError(f"batch of {len(userids)} userids did not settle")  # bound guard


def fetch_directory(client: WeComClient, store: SnapshotStore) -> tuple[list[str], list[str]]:
    """Userids of the app's directory (each once) and the snapshot files they came from.

    Only ids are read here; the loader validates the stored users for later stages."""
    departments = _stored_or_fetch(store, DEPARTMENTS, client.departments)
    ids = sorted({_int(d.get("id")) for d in departments.data.get("department_id") or []
                  if isinstance(d, dict)} - {0})
    files, users = [DEPARTMENTS], set()
    for dept in ids:
        rel = f"directory/users-{dept:06d}.json"
        exchange = _stored_or_fetch(store, rel, lambda d=dept: client.users(d))
        files.append(rel)
        users.update(u["userid"] for u in exchange.data.get("userlist") or []
                     if isinstance(u, dict) and isinstance(u.get("userid"), str) and u["userid"])
    return sorted(users), files


def fetch_leave_types(client: WeComClient, store: SnapshotStore) -> list[LeaveType]:
    exchange = _stored_or_fetch(store, VACATION, client.leave_types)
    return [LeaveType.model_validate(t) for t in exchange.data.get("lists") or []
            if isinstance(t, dict)]


def _stored_or_fetch(store: SnapshotStore, rel: str, ask) -> Exchange:
    stored = store.read_exchanges(rel)
    if stored:
        return stored[0]
    exchange = ask()
    store.write_exchanges(rel, [exchange])
    return exchange


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def choose_userids(roster: list[str] | None,
                   directory: list[str]) -> tuple[list[str], dict[str, str], list[Problem]]:
    """Ids to ask for, ids refused before asking, and directory/roster differences."""
    known = set(directory)
    wanted = sorted(set(roster)) if roster is not None else sorted(known)
    problems: list[Problem] = []
    if roster is not None:
        problems += [warning(STAGE, "not_in_directory", "roster userid not in the app's "
                             "directory (departed, or outside the app's visible range)",
                             userid=u) for u in wanted if u not in known]
        problems += [info(STAGE, "not_in_roster", "directory user not in the roster: not "
                          "paid", userid=u) for u in sorted(known - set(wanted))]
    invalid = {u: INVALID_ID for u in wanted if not valid_userid(u)}
    problems += [warning(STAGE, "invalid_userid", INVALID_ID, userid=u) for u in invalid]
    return [u for u in wanted if u not in invalid], invalid, problems


class Watcher(Protocol):
    """Who hears of the fetch's files as they are stored (the streaming month): ``planned``
    once the directory and leave types are in, before any attendance batch; ``stored`` for
    every batch file, finished now or by an earlier run, on the fetch's calling thread."""

    def planned(self, store: SnapshotStore, directory_files: list[str],
                leave_file: str) -> None: ...

    def stored(self, store: SnapshotStore, rel: str) -> None: ...


def fetch_month(client: WeComClient, period: Period, out_dir: Path | str,
                userids: Iterable[str] | None = None,
                progress: Progress | None = None,
                watcher: Watcher | None = None) -> tuple[FetchReport, list[Problem]]:
    """Fetch ``period`` for ``userids`` (the roster) or the whole directory into
    ``<out_dir>/snapshot``; resumes an interrupted fetch in the same folder. ``watcher``
    hears of each stored file (see :class:`Watcher`)."""
    store = SnapshotStore(Path(out_dir) / "snapshot")
    store.path(INDEX).unlink(missing_ok=True)  # the index only ever marks a finished fetch
    shown = progress or Silent()
    previous, client.listener = client.listener, listener_for(shown)
    try:
        shown.note("reading the directory and leave types")
        directory, directory_files = fetch_directory(client, store)
        leave_types = fetch_leave_types(client, store)
        roster = list(userids) if userids is not None else None
        ids, refused, problems = choose_userids(roster, directory)
        if watcher is not None:
            watcher.planned(store, directory_files, VACATION)
        result, resumed, files = _fetch_batches(client, period, store, ids, shown, watcher)
    except BaseException:
        shown.finish()  # leave the terminal clean; finished batches are already on disk
        raise
    finally:
        client.listener = previous
    missing = {**refused, **result.missing}
    requested = sorted(set(roster)) if roster is not None else ids
    problems += result.problems
    store.write(INDEX, {
        "format": FORMAT, "period": period.model_dump(mode="json"),
        "requested": requested,
        "missing": dict(sorted(missing.items())), "batches": files,
        "directory": directory_files, "leave_types_file": VACATION,
        "leave_types": [{"id": t.id, "name": t.name} for t in leave_types],
        "problems": [p.model_dump(mode="json") for p in problems]})
    report = FetchReport(period=period, snapshot_dir=str(store.root), requested=tuple(requested),
                         fetched=len(result.records), missing=missing, batches=len(files),
                         resumed_batches=resumed, calls=dict(client.calls))
    shown.note(f"{report.fetched} records, {len(missing)} missing, "
               f"{resumed}/{report.batches} batches taken from an earlier run")
    shown.finish()
    return report, problems


def _stored_batch(store: SnapshotStore, rel: str, batch: list[str]) -> list[Exchange] | None:
    """The exchanges of a batch finished by an earlier run, if its file is whole and for
    the same userids (a changed roster plans different batches)."""
    stored = store.try_read(rel)
    if not isinstance(stored, dict) or stored.get("userids") != batch:
        return None
    return store.read_exchanges(rel)


def _fetch_batches(client: WeComClient, period: Period, store: SnapshotStore,
                   ids: list[str], progress: Progress, watcher: Watcher | None = None
                   ) -> tuple[BatchResult, int, list[str]]:
    """Finished batches are read back; the rest run on a few threads (the limiter keeps
    them under the ceiling) and each is written the moment it settles. The watcher
    hears of the resumed batches once the threads have started, then of each new one."""
    batches = plan_batches(ids)
    files = [batch_name(n) for n in range(len(batches))]
    progress.start("fetch", len(ids))
    # per batch only who was found, missing and what looked wrong: the records themselves
    # are on disk and read back by the snapshot loader (a large month's raw answers would
    # otherwise all be held here until the last batch is in)
    settled: dict[int, BatchResult] = {}
    for n, batch in enumerate(batches):
        stored = _stored_batch(store, files[n], batch)
        if stored is not None:
            settled[n] = _slim(reconcile_batch(batch, stored, source=files[n]))
    resumed = len(settled)
    if resumed:
        progress.note(f"resuming: {resumed} of {len(batches)} batches already in the snapshot")
        progress.advance(sum(len(batches[n]) for n in settled))

    def work(n: int) -> BatchResult:
        exchanges = fetch_batch(client, period, batches[n])
        store.write_exchanges(files[n], exchanges, userids=batches[n], batch=n)
        return _slim(reconcile_batch(batches[n], exchanges, source=files[n]))

    todo = [n for n in range(len(batches)) if n not in settled]
    pool = ThreadPoolExecutor(max_workers=client.settings.concurrency,
                              thread_name_prefix="wecom-fetch")
    try:
        futures = {pool.submit(work, n): n for n in todo}
        for n in sorted(settled) if watcher is not None else ():
            watcher.stored(store, files[n])
        for future in as_completed(futures):
            settled[futures[future]] = future.result()
            progress.advance(len(batches[futures[future]]))
            if watcher is not None:
                watcher.stored(store, files[futures[future]])
    finally:
        # On failure or interrupt: queued batches are dropped, running ones finish and
        # are written, so a rerun resumes after them.
        pool.shutdown(wait=True, cancel_futures=True)
    return merge(settled[n] for n in range(len(batches))), resumed, files


_NO_RECORD: dict = {}


def _slim(result: BatchResult) -> BatchResult:
    """The batch's result with every record replaced by one shared empty dict (the fetch
    only counts and reconciles userids; ``merge`` reads the keys)."""
    return result.model_copy(update={"records": dict.fromkeys(result.records, _NO_RECORD)})


def run_fetch(settings: WeComSettings, period: Period, out_dir: Path | str,
              roster_userids: Iterable[str] | None = None, progress: Progress | None = None,
              transport: httpx.BaseTransport | None = None,
              watcher: Watcher | None = None) -> tuple[FetchReport, list[Problem]]:
    """What ``payroll fetch`` calls: settings + period + optional roster ids + run folder."""
    client = WeComClient(settings, httpx.Client(transport=transport,
                                                timeout=settings.timeout_seconds))
    try:
        return fetch_month(client, period, out_dir, roster_userids, progress, watcher)
    finally:
        client.close()
