"""Fetch throughput against the simulator with a shortened rate window.

Runs the real client and month fetch over loopback HTTP and reports how close the
monthdata calls come to the ceiling (calls per window as a ratio of the limit, target
>= 0.95, zero 45009) and employees per minute scaled to the real 60 s window (target
>= 5,700 of 6,000). A baseline is measured in the same run: the same fetch with the
limit lifted, which shows how fast the simulator answers when nothing throttles.

    .venv/bin/python benchmarks/fetch_bench.py [--employees 20000] [--window 2.0]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from engine.period import parse_month
from engine.wecom.client import MONTHDATA, WeComClient
from engine.wecom.fetch import fetch_month
from engine.wecom.settings import load_settings
from engine.wecom.simulator import SimConfig, Simulator

PERIOD = parse_month("2026-10")
LIMIT = 60
PER_CALL = 100


def run(employees: int, window: float, limit: int) -> dict:
    """One fetch; returns call start times, simulator stats and elapsed seconds."""
    starts: list[float] = []

    def stamp(request: httpx.Request) -> None:
        if request.url.path.endswith(MONTHDATA):
            starts.append(time.monotonic())

    limits = {MONTHDATA: limit}
    config = SimConfig(employees=employees, seed=11, window_seconds=window, limits=limits)
    with Simulator(config) as sim, tempfile.TemporaryDirectory() as out, \
            httpx.Client(event_hooks={"request": [stamp]}) as http:
        settings = load_settings(environ={}, corp_id=config.corp_id,
                                 corp_secret=config.corp_secret, api_base=sim.url,
                                 window_seconds=window, limits=limits)
        report, _ = fetch_month(WeComClient(settings, http), PERIOD, Path(out))
        stats = sim.stats.snapshot()
    return {"starts": starts, "stats": stats, "fetched": report.fetched}


def steady_rate(starts: list[float], limit: int) -> float:
    """Calls per second after the first window's burst, over whole multiples of the
    limit: call k+limit may start only one window after call k answered, so this is the
    rate the limiter sustains (a partial last window would flatter it)."""
    if len(starts) <= 2 * limit:
        return (len(starts) - 1) / (starts[-1] - starts[0])
    rounds = (len(starts) - 1 - limit) // limit
    return rounds * limit / (starts[limit + rounds * limit] - starts[limit])


def full_windows(stats: dict) -> list[int]:
    """Monthdata calls the simulator counted in each window fully inside the fetch."""
    counts = [(w, n) for w, ep, n in stats["windows"] if ep == MONTHDATA]
    return [n for w, n in counts[1:-1]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=20_000)
    parser.add_argument("--window", type=float, default=2.0)
    args = parser.parse_args()

    base = run(min(args.employees, 5_000), args.window, 1_000_000)
    base_rate = steady_rate(base["starts"], LIMIT)
    print(f"baseline (no limit, {base['fetched']} employees): "
          f"{base_rate:.1f} monthdata calls/s")

    limited = run(args.employees, args.window, LIMIT)
    rate = steady_rate(limited["starts"], LIMIT)
    per_window = rate * args.window
    windows = full_windows(limited["stats"])
    print(f"limited ({limited['fetched']} employees, window {args.window:g}s, "
          f"limit {LIMIT}/window): {len(limited['starts'])} monthdata calls")
    print(f"  calls per window (steady): {per_window:.2f} = {per_window / LIMIT:.3f} of the "
          f"limit (target >= 0.95)")
    if windows:
        mean = sum(windows) / len(windows)
        print(f"  simulator's full windows: {windows} -> mean {mean / LIMIT:.3f} of the limit")
    print(f"  employees/min at the real 60 s window: {per_window * PER_CALL:.0f} of "
          f"{LIMIT * PER_CALL} (target >= 5700)")
    print(f"  45009 answers: {limited['stats']['rate_limited']} (target 0)")
    print(f"  the limiter ran at {rate / base_rate:.3f} of the unthrottled baseline rate")


if __name__ == "__main__":
    main()
