"""The snapshot: every raw WeCom answer of a month, stored in the run folder.

End of stage 1 and the only input of every later stage, so a month can be recomputed
offline years later. Layout under ``<run>/snapshot/``::

    monthdata/batch-0000.json   one planned batch: its userids and every exchange
    directory/departments.json  department/simplelist
    directory/users-<id>.json   user/simplelist of one department
    vacation.json               oa/vacation/getcorpconf
    fetch.json                  the index, written last: its presence marks a finished fetch

Each exchange keeps the request (endpoint, query without secrets, body, server time)
and the answer text verbatim with the sha256 of its bytes. JSON is written with sorted
keys and atomically (temp file in the same folder, then ``os.replace``), so the same
answers give the same bytes and an interrupted fetch leaves only whole files behind.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.errors import InputError
from engine.files import atomic_write, read_input
from engine.period import Period
from engine.problems import Problem, error
from engine.wecom.client import Exchange
from engine.wecom.models import DirectoryUser, LeaveType, MonthRecord, RecordBuilder
from engine.wecom.reconcile import reconcile_batch
from engine.wecom.redact import shared_redactor

INDEX = "fetch.json"
FORMAT = 1
STAGE = "snapshot"


def dumps(obj: Any) -> bytes:
    """The one JSON encoding of the snapshot: sorted keys, UTF-8, newline-terminated."""
    return (json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode()


class SnapshotStore:
    """Atomic JSON files under one ``snapshot/`` folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, obj: Any) -> None:
        # last net before the disk: any secret value the process has seen is masked
        text = shared_redactor()(dumps(obj).decode("utf-8"))
        atomic_write(self.path(rel), text.encode("utf-8"), fsync=True)

    def read(self, rel: str) -> Any:
        path = self.path(rel)
        data = read_input(path, "snapshot")  # regular file, size-capped
        try:
            return json.loads(data)
        except ValueError as exc:
            raise InputError(f"not JSON: {exc}", path=str(path)) from exc
        except RecursionError:  # nesting deeper than any real answer
            raise InputError("not JSON: nested too deeply", path=str(path)) from None

    def try_read(self, rel: str) -> Any | None:
        """The stored object, or None when absent or damaged (it is fetched again)."""
        try:
            return self.read(rel) if self.path(rel).is_file() else None
        except InputError:
            return None

    def write_exchanges(self, rel: str, exchanges: list[Exchange], **extra: Any) -> None:
        self.write(rel, {**extra, "exchanges": [e.to_json() for e in exchanges]})

    def read_exchanges(self, rel: str) -> list[Exchange] | None:
        stored = self.try_read(rel)
        if not isinstance(stored, dict) or not isinstance(stored.get("exchanges"), list):
            return None
        return [Exchange.from_json(e) for e in stored["exchanges"] if isinstance(e, dict)]

    def file_sha256(self, rel: str) -> str:
        return hashlib.sha256(read_input(self.path(rel), "snapshot")).hexdigest()

    def digest(self, files: list[str], known: dict[str, str] | None = None) -> str:
        """sha256 over the named files (path and content), in sorted order; ``known``
        gives file digests already computed (rel → hex)."""
        total = hashlib.sha256()
        for rel in sorted(set(files)):
            total.update(rel.encode() + b"\0")
            total.update(bytes.fromhex((known or {}).get(rel) or self.file_sha256(rel)))
        return total.hexdigest()


def plan_digest(store: SnapshotStore, directory_files: list[str], leave_file: str) -> str:
    """What a run knows of WeCom before the first attendance batch: the directory's and the
    leave types' answers as stored (with their server times, so a fetch at another moment
    differs). Part of the run id, which every payslip prints while the fetch still runs."""
    return store.digest([*directory_files, *([leave_file] if leave_file else [])])


def batch_name(index: int) -> str:
    return f"monthdata/batch-{index:04d}.json"


class Snapshot(BaseModel):
    """A finished fetch as the later stages see it: validated models only."""

    model_config = ConfigDict(frozen=True)

    period: Period
    records: dict[str, MonthRecord]
    leave_types: tuple[LeaveType, ...]
    directory: tuple[DirectoryUser, ...]
    requested: tuple[str, ...]
    missing: dict[str, str]
    sha256: str
    problems: tuple[Problem, ...] = ()
    # the directory and leave-type answers' digest (``plan_digest``): the run id's share
    plan_sha256: str = ""
    # userid → the batch file its record was read from, and each batch file's sha256: a
    # payslip names the file its attendance came from (``source_of``)
    record_files: dict[str, str] = {}
    file_sha256: dict[str, str] = {}

    def source_of(self, userid: str) -> tuple[str, str] | None:
        """(batch file, its sha256) holding ``userid``'s record, or None."""
        rel = self.record_files.get(userid)
        return (rel, self.file_sha256[rel]) if rel else None


def load_snapshot(run_dir: Path | str) -> Snapshot:
    """Read ``<run_dir>/snapshot`` back; a bad record is a problem, never a crash."""
    store = SnapshotStore(Path(run_dir) / "snapshot")
    if not store.path(INDEX).is_file():
        raise InputError("no finished fetch here (fetch.json missing): run the fetch again",
                         path=str(store.path(INDEX)))
    index = store.read(INDEX)
    try:
        period = Period.model_validate(index["period"])
        batches = [str(b) for b in index["batches"]]
        requested = tuple(str(u) for u in index["requested"])
    except (KeyError, TypeError, ValidationError) as exc:
        raise InputError(f"malformed index: {exc}", path=str(store.path(INDEX))) from exc
    problems = [Problem.model_validate(p) for p in index.get("problems", [])]
    records, record_files = _load_records(store, batches, problems)
    leave_file = str(index.get("leave_types_file") or "")
    directory_files = [str(f) for f in index.get("directory", [])]
    files = [INDEX, *batches, *directory_files, *([leave_file] if leave_file else [])]
    digests = {rel: store.file_sha256(rel) for rel in sorted(set(batches))}
    return Snapshot(
        period=period, records=records, requested=requested,
        leave_types=tuple(load_leave_types(store, leave_file, problems)),
        directory=tuple(_dedupe(_load_list(store, f, "userlist", DirectoryUser, problems)
                                for f in directory_files)),
        missing={str(k): str(v) for k, v in dict(index.get("missing", {})).items()},
        sha256=store.digest(files, digests), problems=tuple(problems),
        plan_sha256=plan_digest(store, directory_files, leave_file),
        record_files=record_files, file_sha256=digests)


def load_leave_types(store: SnapshotStore, leave_file: str,
                     problems: list[Problem]) -> list[LeaveType]:
    return _load_list(store, leave_file, "lists", LeaveType, problems)


def load_batch(store: SnapshotStore, rel: str, builder: RecordBuilder, taken: set[str],
               records: dict[str, MonthRecord], bad: dict[str, list[Problem]]) -> list[str]:
    """One batch file's records into ``records`` (malformed ones into ``bad``), skipping
    the userids in ``taken`` (a record in two batches: the first one's is kept); returns
    the userids whose record it added."""
    stored = store.read(rel)
    exchanges = store.read_exchanges(rel)
    if exchanges is None or not isinstance(stored.get("userids"), list):
        raise InputError("malformed batch file", path=str(store.path(rel)))
    batch = reconcile_batch(stored["userids"], exchanges, source=rel)
    del stored, exchanges
    added = []
    for uid, raw in batch.records.items():
        if uid in taken:
            continue
        taken.add(uid)
        try:
            records[uid] = builder.build(raw)
            added.append(uid)
        except ValidationError as exc:
            bad[uid] = [_bad_field(rel, uid, err) for err in exc.errors()]
    return added


def _load_records(store: SnapshotStore, batches: list[str], problems: list[Problem]
                  ) -> tuple[dict[str, MonthRecord], dict[str, str]]:
    """Every batch's records as models (equal parts shared), one batch's raw answers in
    memory at a time (the raw JSON of a large company is several times its models), and
    the batch file each record came from."""
    records: dict[str, MonthRecord] = {}
    bad: dict[str, list[Problem]] = {}
    files: dict[str, str] = {}
    builder, taken = RecordBuilder(), set()
    for rel in batches:
        files.update(dict.fromkeys(load_batch(store, rel, builder, taken, records, bad), rel))
    for uid in sorted(bad):
        problems += bad[uid]
    return {uid: records[uid] for uid in sorted(records)}, files


def _bad_field(rel: str, uid: str, err: Any) -> Problem:
    field = ".".join(str(p) for p in err["loc"])
    return error(STAGE, "bad_record", f"malformed record: {err['msg']}", userid=uid,
                 field=field, source=rel)


def _load_list(store: SnapshotStore, rel: str, key: str, model: type[BaseModel],
               problems: list[Problem]) -> list[Any]:
    if not rel:
        return []
    exchanges = store.read_exchanges(rel) or []
    items: list[Any] = []
    for exchange in exchanges:
        raw = exchange.data.get(key)
        for n, item in enumerate(raw if isinstance(raw, list) else []):
            try:
                items.append(model.model_validate(item))
            except ValidationError as exc:
                problems += [error(STAGE, "bad_item", f"malformed {key}[{n}]: {e['msg']}",
                                   field=".".join(str(p) for p in e["loc"]), source=rel)
                             for e in exc.errors()]
    return items


def _dedupe(groups: Any) -> list[DirectoryUser]:
    """A user in several departments appears once per department: keep the first."""
    seen: dict[str, DirectoryUser] = {}
    for group in groups:
        for user in group:
            seen.setdefault(user.userid, user)
    return [seen[u] for u in sorted(seen)]
