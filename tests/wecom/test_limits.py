"""The client-side rate limiter on a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from engine.errors import WeComError
from engine.wecom.limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(limit=3, window=10.0):
    clock = Clock()
    return RateLimiter({"ep": limit}, window, clock=clock, sleep=clock.sleep), clock


def call(lim: RateLimiter, clock: Clock, latency: float = 0.0) -> float:
    waited = lim.acquire("ep")
    clock.now += latency
    lim.release("ep")
    return waited


def test_the_call_over_the_limit_waits_for_the_oldest_completion():
    lim, clock = limiter()
    assert [call(lim, clock, 0.5) for _ in range(3)] == [0, 0, 0]
    # the first answer arrived at 1000.5: the fourth call may start at 1010.5
    assert call(lim, clock) == pytest.approx(10.5 - 1.5)
    assert clock.now == pytest.approx(1010.5)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 3), min_size=1, max_size=60), st.integers(1, 5))
def test_never_more_than_the_limit_sent_in_any_window(latencies, limit):
    lim, clock = limiter(limit, 10.0)
    sent, done = [], []
    for latency in latencies:
        lim.acquire("ep")
        sent.append(clock.now)
        clock.now += latency
        done.append(clock.now)
        lim.release("ep")
    # the server sees each call somewhere between its send and its answer: in the worst
    # case the earlier call arrives late (at its answer) and the later one early (at send)
    for i in range(len(sent) - limit):
        assert sent[i + limit] - done[i] >= 10.0 - 1e-9


def test_unlimited_endpoints_never_wait():
    lim, clock = limiter()
    assert all(lim.acquire("other") == 0 for _ in range(1000))


def test_block_holds_calls_until_it_ends():
    lim, clock = limiter(limit=100)
    lim.block("ep", 60.0)
    assert call(lim, clock) == pytest.approx(60.0)


def test_a_block_lowers_the_ceiling_below_what_was_accepted_once():
    lim, clock = limiter(limit=60)
    for _ in range(31):  # the 31st was refused with 45009
        call(lim, clock)
    assert lim.block("ep", 5.0) == 28
    assert lim.block("ep", 5.0) is None  # a second thread reporting the same block
    assert lim.limits["ep"] == 28


def test_a_stuck_clock_is_an_error_not_a_hang():
    lim = RateLimiter({"ep": 1}, 10.0, clock=lambda: 5.0, sleep=lambda s: None)
    lim.acquire("ep")
    lim.release("ep")
    with pytest.raises(WeComError, match="no progress"):
        lim.acquire("ep")
