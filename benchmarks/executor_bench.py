"""Payslips per second on a Dask LocalCluster of 1 and 2 workers against the local pool.

Run from the repository root: ``.venv/bin/python benchmarks/executor_bench.py [-n 120]``.
Each executor is started and warmed up (one small batch rendered and discarded) before it
is timed, so the numbers are steady-state rendering plus the executor's own traffic
(tasks out, PDF bytes back, files written by this process). The Dask clusters run on this
machine (``distributed.LocalCluster``, one thread per worker process), so "2 workers"
can only be as fast as two free cores; on a shared machine compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.executor import render_all  # noqa: E402
from engine.executor.cluster import DaskExecutor  # noqa: E402
from engine.executor.local import LocalExecutor  # noqa: E402
from engine.payslip.context import DEFAULT_TEMPLATES  # noqa: E402
from engine.payslip.sample import context, zhangsan  # noqa: E402


def people(n: int, offset: int = 0):
    return [zhangsan(userid=f"user{i:05d}", name=f"张{'三四五六七八九十'[i % 8]}{i}")
            for i in range(offset, offset + n)]


def timed(executor, n: int) -> float:
    ctx = context()
    with tempfile.TemporaryDirectory() as tmp:
        render_all(people(4 * max(1, executor.workers), 90000), ctx, Path(tmp) / "warm",
                   executor=executor)
        start = time.perf_counter()
        files, problems = render_all(people(n), ctx, Path(tmp) / "payslips", executor=executor)
        seconds = time.perf_counter() - start
    assert len(files) == n and not problems, problems
    return n / seconds


def dask_rate(workers: int, n: int) -> float:
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as cluster:
        with DaskExecutor(cluster.scheduler_address, DEFAULT_TEMPLATES) as executor:
            executor.client.wait_for_workers(workers, timeout=60)
            return timed(executor, n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=120, help="payslips per measurement")
    args = parser.parse_args()
    with LocalExecutor(DEFAULT_TEMPLATES, "zh", 1) as one:
        local1 = timed(one, args.n)
    with LocalExecutor(DEFAULT_TEMPLATES, "zh", 2) as two:
        local2 = timed(two, args.n)
    dask1, dask2 = dask_rate(1, args.n), dask_rate(2, args.n)
    print(f"payslips: {args.n}, cores: {os.cpu_count()}, load average: "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"local pool 1 worker (in process) {local1:6.2f} payslips/s")
    print(f"local pool 2 workers             {local2:6.2f} payslips/s")
    print(f"dask 1 worker                    {dask1:6.2f} payslips/s  "
          f"{dask1 / local1:4.2f}x local 1")
    print(f"dask 2 workers                   {dask2:6.2f} payslips/s  "
          f"{dask2 / dask1:4.2f}x dask 1, {dask2 / local2:4.2f}x local 2")


if __name__ == "__main__":
    main()
