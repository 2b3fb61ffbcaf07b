"""Shared state of a running simulator: tokens, call statistics and error messages.

Used by the endpoint handlers of ``api.py``. Tokens follow WeCom's rules: one token per
app, the same token returned while it is valid, a new one after it expires or is
revoked. ``SimStats`` is what tests and benchmarks read afterwards to check that a client
stayed inside the rate limits and did not hammer ``gettoken``.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Callable

MORE_INFO = "more info at https://open.work.weixin.qq.com/devtool/query?e="

TEXTS: dict[int, str] = {
    -1: "system busy",
    40001: "invalid credential, access_token is invalid or not latest",
    40004: "invalid media type",
    40006: "invalid file size",
    40007: "invalid media_id",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40056: "invalid agentid",
    40058: "invalid Parameter",
    41001: "access_token missing",
    41004: "corpsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    44001: "empty media data",
    45009: "api freq out of limit",
    47001: "data format error",
    48002: "api forbidden",
    60003: "department not found",
    60020: "not allow to access from your ip",
    81013: "user & party & tag all invalid",
    301021: "userid in useridlist not in the corp directory",
    301022: "system error of checkin, please retry",
    301023: "useridlist is empty or has more than 100 members",
    301024: "time interval of the request is out of range",
    301070: "checkin data is not ready, please retry",
}


def errmsg(code: int, ip: str, hint: str) -> str:
    """The official errmsg form; success is a bare "ok"."""
    if code == 0:
        return "ok"
    return f"{TEXTS.get(code, 'error')}, hint: [{hint}], from ip: {ip}, {MORE_INFO}{code}"


@dataclass
class _Token:
    value: str
    issued: float
    revoked: bool = False


class TokenStore:
    """The app's access tokens; checks give 0, 40014 or 42001."""

    def __init__(self, lifetime: int, clock: Callable[[], float], seed: int) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._seed = seed
        self._lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}
        self._current: _Token | None = None
        self.issued = 0

    def get(self) -> str:
        """The current token, or a fresh one once it expired or was revoked."""
        with self._lock:
            now = self._clock()
            cur = self._current
            if cur and not cur.revoked and now - cur.issued < self._lifetime:
                return cur.value
            self.issued += 1
            digest = hashlib.sha512(f"{self._seed}|token|{self.issued}".encode()).digest()
            value = base64.urlsafe_b64encode(digest + digest[::-1]).decode().rstrip("=")
            self._current = self._tokens[value] = _Token(value, now)
            return value

    def check(self, value: str) -> int:
        with self._lock:
            token = self._tokens.get(value)
            if token is None:
                return 40014
            if token.revoked:
                # WeCom answers a revoked token either way; clients must handle both.
                return 42001 if value[-1] in "ACEGIKMOQSUWYacegikmoqsuwy02468-" else 40014
            if self._clock() - token.issued >= self._lifetime:
                return 42001
            return 0

    def values(self) -> list[str]:
        """Every token issued so far (tests look for them in what a client wrote)."""
        with self._lock:
            return list(self._tokens)

    def revoke_all(self) -> None:
        with self._lock:
            for token in self._tokens.values():
                token.revoked = True


class SimStats:
    """Thread-safe counters of what the simulator saw and answered."""

    def __init__(self, windows: Callable[[], list[tuple[int, str, int]]],
                 tokens_issued: Callable[[], int]) -> None:
        self._lock = threading.Lock()
        self._windows = windows
        self._tokens_issued = tokens_issued
        self.calls: Counter[str] = Counter()
        self.errcodes: Counter[int] = Counter()
        self.answers: Counter[tuple[str, int]] = Counter()
        self.faults: Counter[str] = Counter()

    def call(self, endpoint: str) -> None:
        with self._lock:
            self.calls[endpoint] += 1

    def answer(self, endpoint: str, code: int) -> None:
        with self._lock:
            self.errcodes[code] += 1
            self.answers[(endpoint, code)] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def snapshot(self) -> dict:
        with self._lock:
            by_endpoint: dict[str, dict[int, int]] = {}
            for (endpoint, code), n in sorted(self.answers.items()):
                by_endpoint.setdefault(endpoint, {})[code] = n
            return {
                "calls": dict(self.calls),
                "errcodes": dict(self.errcodes),
                "answers": by_endpoint,
                "rate_limited": self.errcodes.get(45009, 0),
                "gettoken_calls": self.calls.get("gettoken", 0),
                "tokens_issued": self._tokens_issued(),
                "windows": self._windows(),
                "faults": dict(self.faults),
            }
