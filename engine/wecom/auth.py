"""Access tokens: one per app, refreshed ahead of expiry, fetched by one caller at a time.

Used by the client before every call. Tokens are cached per app — the corp id plus a
hash of the secret, because each app's secret yields its own token — and renewed about
five minutes before they expire. The refresh runs under a lock (single flight): callers
that queued behind it find the new token and do not ask again. A rejected token is
evicted only if it is still the current one. The optional file cache is written with
0600 permissions and holds nothing but tokens and their expiry.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from engine.errors import InputError
from engine.files import atomic_write, read_input

REFRESH_EARLY = 300.0


class Token(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    expires_at: float  # wall-clock Unix seconds
    refresh_at: float = 0.0  # when to renew: ahead of expiry

    def __repr__(self) -> str:  # never show the value
        return f"Token(expires_at={self.expires_at}, refresh_at={self.refresh_at})"

    __str__ = __repr__


def app_key(corp_id: str, secret: str) -> str:
    """Cache key of one app: tokens are per secret, not per corp."""
    return f"{corp_id}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"


class TokenCache:
    """The current token of one app; ``fetch`` returns ``(token, expires_in)``."""

    def __init__(self, key: str, fetch: Callable[[], tuple[str, int]], *,
                 clock: Callable[[], float] = time.time, path: Path | None = None,
                 early: float = REFRESH_EARLY,
                 on_token: Callable[[str], None] | None = None) -> None:
        self.key, self._fetch, self._clock = key, fetch, clock
        self.path, self.early = path, early
        self._lock = threading.Lock()
        # every token this cache holds is announced (the client's redactor masks it),
        # including one read from the cache file that this process never fetched
        self._on_token = on_token or (lambda value: None)
        self._token: Token | None = _read_file(path, key) if path else None
        if self._token is not None:
            self._on_token(self._token.value)
        self.refreshes = 0

    def get(self) -> str:
        """A token valid for at least ``early`` more seconds."""
        with self._lock:
            if self._token is None or self._clock() >= self._token.refresh_at:
                self._refresh()
            assert self._token is not None
            return self._token.value

    def invalidate(self, value: str) -> None:
        """Forget ``value`` if it is still current (another caller may have renewed it)."""
        with self._lock:
            if self._token is not None and self._token.value == value:
                self._token = None
                if self.path:
                    _write_file(self.path, self.key, None)

    def _refresh(self) -> None:
        value, expires_in = self._fetch()
        self._on_token(value)
        self.refreshes += 1
        now, lifetime = self._clock(), max(0, expires_in)
        # a short-lived token is renewed at half its life, never on every call
        ahead = min(self.early, lifetime / 2)
        self._token = Token(value=value, expires_at=now + lifetime,
                            refresh_at=now + lifetime - ahead)
        if self.path:
            _write_file(self.path, self.key, self._token)


def _read_file(path: Path, key: str) -> Token | None:
    try:
        # a regular file of a sane size only: a FIFO or a device must not block the fetch
        entry = json.loads(read_input(path, "snapshot").decode("utf-8")).get(key)
        return Token.model_validate(entry) if entry else None
    except (InputError, ValueError, AttributeError, RecursionError):
        return None  # a missing or damaged cache only costs one gettoken


def _write_file(path: Path, key: str, token: Token | None) -> None:
    try:
        data = json.loads(read_input(path, "snapshot").decode("utf-8"))
        data = data if isinstance(data, dict) else {}
    except (InputError, ValueError, RecursionError):
        data = {}
    if token is None:
        data.pop(key, None)
    else:
        data[key] = token.model_dump()
    atomic_write(path, json.dumps(data, sort_keys=True), mode=0o600)
