"""The simulated delivery side of WeCom: who a file message reaches, and how often.

Used by the ``media/upload`` and ``message/send`` handlers of ``api.py``. It keeps the
rules that make real deliveries go wrong: recipients WeCom does not know come back
lower-cased in ``invaliduser`` (errcode 0 as long as somebody was valid, 81013 when
nobody was), unlicensed members in ``unlicenseduser``, a member gets at most 30
messages per app per window and the extras vanish without an error, a ``media_id`` is
valid for three days, and ``enable_duplicate_check`` swallows the same message to the
same member within the interval. ``delivered`` is the simulator's own count of what
each member received, which tests read to prove "exactly once".
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from engine.wecom.simulator.upload import MediaFile

PER_MEMBER_MESSAGES = 30  # per member per app per window; extras are dropped silently
MEDIA_LIFETIME = 3 * 86400  # seconds a media_id stays usable
DUPLICATE_DEFAULT, DUPLICATE_MAX = 1800, 4 * 3600  # enable_duplicate_check interval


@dataclass(frozen=True)
class Message:
    msgid: str
    msgtype: str
    touser: tuple[str, ...]  # recipients it reached
    dropped: tuple[str, ...]  # valid recipients over the per-member limit (silently lost)
    invalid: tuple[str, ...]
    media_id: str = ""
    filename: str = ""
    content: str = ""
    unlicensed: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()  # swallowed by the duplicate check


@dataclass(frozen=True)
class Received:
    """One message as a member received it (what their WeCom shows)."""

    msgid: str
    msgtype: str
    media_id: str
    filename: str
    sha256: str
    size: int


class Mailroom:
    """Uploaded media, sent messages and each member's inbox; thread-safe."""

    def __init__(self, wall: Callable[[], float], window_index: Callable[[], int]) -> None:
        self._wall, self._window_index = wall, window_index
        self._lock = threading.Lock()
        self.media: dict[str, MediaFile] = {}
        self.messages: list[Message] = []
        self.inbox: dict[str, list[Received]] = {}
        self._per_window: Counter[tuple[int, str]] = Counter()
        self._recent: dict[tuple[str, str, str], tuple[float, str]] = {}

    def store(self, kind: str, filename: str, data: bytes, disposition: bytes) -> MediaFile:
        created, digest = int(self._wall()), hashlib.sha256(data).hexdigest()
        with self._lock:
            media_id = f"3{len(self.media) + 1:06d}{digest[:40]}"
            media = MediaFile(media_id, kind, filename, len(data), digest, created, data,
                              disposition)
            self.media[media_id] = media
        return media

    def usable(self, media_id: str) -> bool:
        """Known and younger than three days."""
        media = self.media.get(media_id)
        return media is not None and self._wall() - media.created_at < MEDIA_LIFETIME

    def deliver(self, msgtype: str, valid: list[str], invalid: list[str],
                unlicensed: list[str], media_id: str, content: str,
                duplicate_interval: int | None) -> Message:
        """Record one accepted message/send; returns what happened to each recipient."""
        window, now = self._window_index(), self._wall()
        key_content = media_id or content
        reached, dropped, swallowed = [], [], []
        with self._lock:
            msgid = f"msg{len(self.messages) + 1:08d}"
            for userid in valid:
                earlier = self._recent.get((userid, msgtype, key_content))
                if duplicate_interval and earlier and now - earlier[0] < duplicate_interval:
                    swallowed.append(userid)
                    continue
                self._per_window[(window, userid)] += 1
                if self._per_window[(window, userid)] > PER_MEMBER_MESSAGES:
                    dropped.append(userid)
                    continue
                reached.append(userid)
                self._recent[(userid, msgtype, key_content)] = (now, msgid)
                self._receive(userid, msgid, msgtype, media_id)
            media = self.media.get(media_id)
            message = Message(msgid, msgtype, tuple(reached), tuple(dropped), tuple(invalid),
                              media_id, media.filename if media else "", content,
                              tuple(unlicensed), tuple(swallowed))
            self.messages.append(message)
        return message

    def _receive(self, userid: str, msgid: str, msgtype: str, media_id: str) -> None:
        media = self.media.get(media_id)
        self.inbox.setdefault(userid, []).append(Received(
            msgid, msgtype, media_id, media.filename if media else "",
            media.sha256 if media else "", media.size if media else 0))

    def delivered(self) -> dict[str, list[dict]]:
        """Every member's received messages, for tests (also served at ``/sim/delivered``)."""
        with self._lock:
            return {userid: [r.__dict__.copy() for r in items]
                    for userid, items in sorted(self.inbox.items())}


def duplicate_interval(data: dict) -> int | None:
    """The duplicate-check interval a message/send asked for, or None."""
    if str(data.get("enable_duplicate_check", 0)) != "1":
        return None
    try:
        seconds = int(data.get("duplicate_check_interval", DUPLICATE_DEFAULT))
    except (TypeError, ValueError):
        seconds = DUPLICATE_DEFAULT
    return max(1, min(seconds, DUPLICATE_MAX))
