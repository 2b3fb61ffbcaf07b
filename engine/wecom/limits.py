"""Client-side rate limiting: stay under each endpoint's calls-per-window ceiling.

Sits between the fetch loop and the wire. The service counts calls per app and blocks
an endpoint for a whole window (45009) when the ceiling is passed, so the client keeps
its own sliding log. A call occupies a slot from the moment it is sent and its time
stamp is taken when its answer arrives: the server saw the call no later than that, so
a call sent one window after a completion can never land in the same server window.
Clock and sleep are injected so tests run on a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from engine.errors import WeComError

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_MAX_WAITS = 100_000  # a guard against a clock that never advances
_MIN_WAIT = 1e-6


class RateLimiter:
    """Sliding-window limiter with one log per endpoint; thread-safe."""

    def __init__(self, limits: Mapping[str, int], window: float, *,
                 clock: Clock = time.monotonic, sleep: Sleep = time.sleep,
                 default: int | None = None) -> None:
        self.limits = dict(limits)
        self.default = default  # the ceiling of keys not in ``limits`` (e.g. one per member)
        self.window = window
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._done: dict[str, deque[float]] = {}
        self._inflight: dict[str, int] = {}
        self._blocked_until: dict[str, float] = {}
        self.waited: dict[str, float] = {}

    def acquire(self, endpoint: str) -> float:
        """Block until ``endpoint`` has a free slot; returns the seconds waited."""
        total = 0.0
        for _ in range(_MAX_WAITS):
            delay = self._try_take(endpoint)
            if delay <= 0:
                with self._lock:
                    self.waited[endpoint] = self.waited.get(endpoint, 0.0) + total
                return total
            self._sleep(delay)
            total += delay
        raise WeComError(f"{endpoint}: rate limiter made no progress (clock not advancing?)")

    def release(self, endpoint: str) -> None:
        """The call's answer arrived (or it failed): stamp its slot with now."""
        with self._lock:
            self._inflight[endpoint] = max(0, self._inflight.get(endpoint, 0) - 1)
            now = self._clock()
            log = self._done.setdefault(endpoint, deque())
            log.append(now)
            self._prune(log, now)

    def block(self, endpoint: str, seconds: float) -> int | None:
        """The service blocked ``endpoint``: hold every call until the block ends and
        lower the ceiling. Returns the new ceiling, or None when this block was already
        known (another thread's call hit it first): a block lowers the ceiling once."""
        with self._lock:
            now = self._clock()
            if self._blocked_until.get(endpoint, 0.0) > now:
                return None
            self._blocked_until[endpoint] = now + seconds
            log = self._done.setdefault(endpoint, deque())
            self._prune(log, now)
            # the service accepted everything before the refused call (the last stamp)
            accepted = max(0, len(log) - 1)
            current = self.limits.get(endpoint, accepted + 1)
            floor = max(1, current // 4)
            self.limits[endpoint] = max(floor, min(current - 1, accepted * 95 // 100))
            return self.limits[endpoint]

    def _prune(self, log: deque[float], now: float) -> None:
        while log and log[0] <= now - self.window:
            log.popleft()

    def _try_take(self, endpoint: str) -> float:
        with self._lock:
            now = self._clock()
            blocked = self._blocked_until.get(endpoint, 0.0) - now
            if blocked > 0:
                return max(blocked, _MIN_WAIT)
            limit = self.limits.get(endpoint, self.default)
            inflight = self._inflight.get(endpoint, 0)
            if limit is None:
                self._inflight[endpoint] = inflight + 1
                return 0.0
            log = self._done.setdefault(endpoint, deque())
            self._prune(log, now)
            if len(log) + inflight < limit:
                self._inflight[endpoint] = inflight + 1
                return 0.0
            if not log:  # every slot is in flight: poll shortly
                return self.window / 100
            # never 0 here: 0 means "taken", and float rounding can make this 0
            return max(log[0] + self.window - now, _MIN_WAIT)
