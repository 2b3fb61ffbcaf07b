"""Benchmark of payslip file-name planning: the run's planner against a quadratic one.

Before the hostile-input work, each new name was checked against every name given so
far (folding them all again), so 40,000 ids took about 112 s and 100,000 about 700 s.
The planner now keeps a set of folded names. This script plans the same ids with both,
in the same run, at growing sizes, and prints their times and ratio; then plans
``--large`` ids with the run's planner alone (the quadratic one would take minutes).
The ids mix plain ones with ids that sanitise alike (``a/b`` and ``a\\b``), differ only
in case, or are reserved on Windows, so the collision paths are exercised too.

Usage: ``python benchmarks/names_bench.py [--sizes 1000,2000,5000] [--large 100000]``.
Times are CPU time of this process (``time.process_time``): the machine may be shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.payslip import names  # noqa: E402


def ids(n: int) -> list[str]:
    """``n`` distinct userids, one in five of a colliding or hostile kind."""
    kinds = (lambda i: f"user{i:06d}", lambda i: f"dept/{i % 97}\\{i}",
             lambda i: f"User{i:06d}X" if i % 2 else f"user{i:06d}x",
             lambda i: f"CON.{i}", lambda i: f"张{i}..pdf")
    return [kinds[0](i) if i % 5 else kinds[(i // 5) % 5](i) for i in range(n)]


def quadratic(userids: list[str]) -> list[str]:
    """The old algorithm: every candidate compared with every name given so far."""
    given: list[str] = []
    for userid in userids:
        planner = names.NamePlanner(given)  # folds all of ``given`` again, as it did
        given.append(planner.name(userid))
    return given


def timed(fn, userids: list[str]) -> tuple[float, list[str]]:
    start = time.process_time()
    result = fn(userids)
    return time.process_time() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,5000")
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args(argv)
    print(f"{'ids':>8} {'planner s':>10} {'quadratic s':>12} {'ratio':>7}")
    for n in (int(s) for s in args.sizes.split(",")):
        userids = ids(n)
        fast, planned = timed(names.plan_names, userids)
        slow, baseline = timed(quadratic, userids)
        assert planned == baseline, "the two planners disagree"
        print(f"{n:>8} {fast:>10.3f} {slow:>12.3f} {slow / fast:>6.0f}×")
    if args.large:
        userids = ids(args.large)
        seconds, planned = timed(names.plan_names, userids)
        assert len({names.fold(p) for p in planned}) == len(userids)
        print(f"{args.large:,} ids planned in {seconds:.2f} s, every name unique")


if __name__ == "__main__":
    main()
