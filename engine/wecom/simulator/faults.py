"""Fault injection and rate windows: what makes the simulator as hostile as WeCom.

Sits in front of every endpoint handler of ``server.py``. ``FaultDice`` decides, from a
seeded generator, which calls lose their connection, get a gateway error, a transient
errcode or a truncated body, so a fault run is reproducible for a given call sequence.
``RateWindows`` counts calls per endpoint in fixed windows and blocks an endpoint with
45009 once a call goes over its limit, for as long as WeCom would (a whole block, not
just the rest of the window).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Callable

CHECKIN_TRANSIENT = (-1, 301022, 301070)


@dataclass(frozen=True)
class Faults:
    error_rate: float = 0.0  # share of data calls answered with -1 (or 301022/301070 on checkin)
    latency: float = 0.0  # seconds added to each answer
    truncate_rate: float = 0.0  # share of answers whose JSON body is cut in half (HTTP 200)
    reset_rate: float = 0.0  # share of connections closed without an answer
    revoke_after: int | None = None  # revoke all tokens once after this many data calls
    http5xx_rate: float = 0.0  # share of calls answered by the gateway with 502/503
    # every errmsg and some record fields repeat the caller's access token and the corp
    # secret (one copy JSON-escaped), as a careless gateway or a hostile server might
    echo_secrets: bool = False
    seed: int = 0


@dataclass(frozen=True)
class Roll:
    """The fate of one call, drawn before it is served."""

    reset: bool = False
    http5xx: int = 0  # 0, or the gateway status to answer with
    error: int = 0  # 0, or a transient errcode (applies to data calls only)
    truncate: bool = False


class FaultDice:
    """Seeded fault decisions; four draws per call keep the sequence stable."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._lock = threading.Lock()
        self._data_calls = 0
        self._revoked = False

    def roll(self, endpoint: str) -> Roll:
        f = self.faults
        with self._lock:
            draws = [self._rng.random() for _ in range(4)]
            pick = self._rng.randrange(len(CHECKIN_TRANSIENT))
        transient = CHECKIN_TRANSIENT[pick] if endpoint.startswith("checkin/") else -1
        return Roll(reset=draws[0] < f.reset_rate,
                    http5xx=(502 if pick % 2 else 503) if draws[1] < f.http5xx_rate else 0,
                    error=transient if draws[2] < f.error_rate else 0,
                    truncate=draws[3] < f.truncate_rate)

    def data_call_done(self) -> bool:
        """Count one answered data call; True exactly once, when tokens must be revoked."""
        with self._lock:
            self._data_calls += 1
            limit = self.faults.revoke_after
            if limit is not None and not self._revoked and self._data_calls >= limit:
                self._revoked = True
                return True
            return False


class RateWindows:
    """Fixed windows per endpoint; over the limit → blocked for ``block_seconds``."""

    def __init__(self, window_seconds: float, block_seconds: float,
                 limit_for: Callable[[str], int | None], clock: Callable[[], float]) -> None:
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self._window = window_seconds
        self._block = block_seconds
        self._limit_for = limit_for
        self._clock = clock
        self._origin = clock()
        self._lock = threading.Lock()
        self._admitted: Counter[tuple[int, str]] = Counter()
        self._seen: Counter[tuple[int, str]] = Counter()
        self._blocked: dict[str, float] = {}

    def window_index(self) -> int:
        return int((self._clock() - self._origin) // self._window)

    def admit(self, endpoint: str) -> bool:
        """Count a call; False means answer 45009."""
        now = self._clock()
        index = int((now - self._origin) // self._window)
        with self._lock:
            self._seen[(index, endpoint)] += 1
            until = self._blocked.get(endpoint)
            if until is not None:
                if now < until:
                    return False
                # The block is over: counting starts afresh, like WeCom after a ban.
                del self._blocked[endpoint]
                self._admitted[(index, endpoint)] = 0
            self._admitted[(index, endpoint)] += 1
            limit = self._limit_for(endpoint)
            if limit is not None and self._admitted[(index, endpoint)] > limit:
                self._blocked[endpoint] = now + self._block
                return False
            return True

    def blocked(self, endpoint: str) -> bool:
        with self._lock:
            until = self._blocked.get(endpoint)
        return until is not None and self._clock() < until

    def windows(self) -> list[tuple[int, str, int]]:
        """Calls received per (window index, endpoint), blocked calls included."""
        with self._lock:
            return sorted((w, ep, n) for (w, ep), n in self._seen.items())
