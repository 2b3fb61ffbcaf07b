"""The delivery journal: ``delivery/deliveries.jsonl``, append-only, one event a line.

Written by the sender, read by the sender on a rerun, by ``payroll send --status``, the
review page and ``payroll verify``. Each line is written with one ``write`` on a file
opened for appending and fsync'd before the next call leaves, so after a crash (even
``kill -9``) the journal holds everything that happened, except at most the outcome of
the one call that was in flight. Events of one employee, in order:

``uploaded`` (media_id, its created_at and the sha256 of the bytes uploaded),
``intent`` (written before ``message/send``), then one outcome: ``sent`` (msgid),
``failed`` (WeCom refused this employee: reason, errcode), ``error`` (the call failed
before anything was delivered) or ``in_doubt`` (the answer was lost: maybe delivered).

:func:`fold` turns the events into one :class:`Entry` per employee.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Iterator

from engine.errors import RunFolderError
from engine.run.folder import DELIVERY

JOURNAL = f"{DELIVERY}/deliveries.jsonl"
LOCK = f"{DELIVERY}/.lock"


class State(str, Enum):
    PENDING = "pending"  # nothing delivered yet (or a failure that left nothing behind)
    SENT = "sent"  # WeCom confirmed the message: never sent again
    FAILED = "failed"  # WeCom refused this employee (invalid, unlicensed, 81013 …)
    IN_DOUBT = "in_doubt"  # an intent without a confirmed outcome: maybe delivered


@dataclass
class Entry:
    """What the journal knows about one employee."""

    userid: str
    state: State = State.PENDING
    sha256: str = ""  # of the file sent (or about to be)
    media_id: str = ""
    media_created: int = 0
    media_sha256: str = ""
    msgid: str = ""
    reason: str = ""
    intent_time: float = 0.0
    attempts: int = 0
    doubted: bool = False  # an earlier intent never got an outcome
    events: list[str] = field(default_factory=list)


def _apply(entry: Entry, event: dict[str, Any]) -> None:
    kind = str(event.get("event", ""))
    entry.events.append(kind)
    if kind == "uploaded":
        entry.media_id = str(event.get("media_id", ""))
        entry.media_created = int(event.get("created_at") or 0)
        entry.media_sha256 = str(event.get("sha256", ""))
    elif kind == "intent":
        entry.doubted = entry.doubted or entry.state is State.IN_DOUBT
        entry.state, entry.attempts = State.IN_DOUBT, entry.attempts + 1
        entry.intent_time = float(event.get("time") or 0)
        entry.sha256, entry.media_id = str(event.get("sha256", "")), str(event.get("media_id", ""))
        entry.reason = "sent to WeCom, no answer recorded (crash or lost answer)"
    elif kind == "sent":
        entry.state, entry.msgid, entry.reason = State.SENT, str(event.get("msgid", "")), ""
    elif kind == "failed":
        entry.state, entry.reason = State.FAILED, str(event.get("reason", ""))
    elif kind == "error" and entry.state is not State.SENT:
        # a call refused before it was processed; an earlier intent may still have arrived
        entry.state = State.IN_DOUBT if entry.doubted else State.PENDING
        entry.reason = str(event.get("reason", ""))
    elif kind == "in_doubt" and entry.state is not State.SENT:
        entry.state, entry.reason = State.IN_DOUBT, str(event.get("reason", ""))


def read_events(run_dir: Path) -> Iterator[dict[str, Any]]:
    """Every complete event; a torn last line (a crash mid-write) is skipped."""
    path = run_dir / JOURNAL
    if not path.is_file():
        return
    for number, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue  # only the last line can be torn: every earlier one was fsync'd whole
        if isinstance(event, dict):
            event["_line"] = number
            yield event


def fold(events: Iterator[dict[str, Any]]) -> dict[str, Entry]:
    """One entry per employee, from the events in order. A ``sent`` is final."""
    entries: dict[str, Entry] = {}
    for event in events:
        userid = str(event.get("userid", ""))
        if not userid:
            continue
        entry = entries.setdefault(userid, Entry(userid))
        if entry.state is State.SENT and event.get("event") != "sent":
            entry.events.append(str(event.get("event", "")))
            continue  # nothing after a confirmed delivery can undo it
        _apply(entry, event)
    return entries


def load(run_dir: Path) -> dict[str, Entry]:
    return fold(read_events(run_dir))


class Journal:
    """The open journal of one ``payroll send``; holds an exclusive lock on the run."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / JOURNAL
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(run_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise RunFolderError(f"cannot open {self.path.parent}: {exc.strerror}") from exc
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._lock)
            raise RunFolderError(f"another `payroll send` is delivering {run_dir} right now; "
                                 "wait for it to finish") from None
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._heal()

    def _heal(self) -> None:
        """End a torn last line so the next event starts on a line of its own."""
        size = os.fstat(self._fd).st_size
        if size:
            with self.path.open("rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    self._write(b"\n")

    def _write(self, data: bytes) -> None:
        os.write(self._fd, data)
        os.fsync(self._fd)

    def append(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields}, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
        self._write(line.encode("utf-8") + b"\n")

    def close(self) -> None:
        os.close(self._fd)
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        os.close(self._lock)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
