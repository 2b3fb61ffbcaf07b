"""A simulated month end to end: wall time per stage and peak memory.

Runs ``engine.pipeline.demo_month`` (local WeCom simulator on loopback, fetch, compute,
payslips, run folder) and then ``verify`` on the result, first for N/10 employees (the
baseline) and then for N, each in its own process so peak memory is its own. Prints
each stage's wall time and the per-employee cost of the large run as a ratio of the
baseline's (1.0 = linear scaling). Timings on a shared machine are noisy.

It also prints the overlap ratio of the large run: its wall time (fetch to manifest,
without verify) divided by the larger of the two floors a month cannot beat, the API's
(``ceil(employees / 100)`` data calls at 60 calls per rate window) and the cores'
(payslip CPU seconds, measured as the worker processes' CPU, divided by the cores).
1.0 means the run took only as long as its slowest resource; a sequential month is
about 1 + fetch/payslips.

    .venv/bin/python benchmarks/month_bench.py --employees 10000
    .venv/bin/python benchmarks/month_bench.py --employees 2000 --no-baseline --window 60
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class StageClock:
    """A progress reporter that only records when each stage starts and finishes."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float, float | None]] = []

    def start(self, stage: str, total: int) -> None:
        self.finish()
        self.marks.append((stage, time.monotonic(), None))

    def advance(self, n: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def finish(self, *_args) -> None:
        if self.marks and self.marks[-1][2] is None:
            stage, began, _ = self.marks[-1]
            self.marks[-1] = (stage, began, time.monotonic())

    def stages(self, began: float, ended: float) -> dict[str, float]:
        """Seconds per reported stage; time outside any stage is ``(between stages)``."""
        self.finish()
        out: dict[str, float] = {}
        for stage, start, stop in self.marks:
            out[stage] = out.get(stage, 0.0) + ((stop or ended) - start)
        out["(between stages)"] = max(0.0, (ended - began) - sum(out.values()))
        return out


# pipeline steps that report no progress of their own, timed by wrapping them in place
STEPS = ("load_pack", "load_roster", "load_snapshot", "copy_inputs", "compute", "write_results",
         "summary_html", "write_rendered", "write_manifest")


def instrument(timings: dict[str, float]) -> None:
    """Wrap the pipeline's step functions so each one's wall time is added to ``timings``."""
    import functools

    import engine.pipeline as pipeline

    def timed(name, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            began = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                timings[name] = timings.get(name, 0.0) + time.monotonic() - began
        return wrapper

    for name in STEPS:
        if hasattr(pipeline, name):
            setattr(pipeline, name, timed(name, getattr(pipeline, name)))


class CoreMeter:
    """The machine's busy cores over a run, from ``/proc/stat`` twice a second: where the
    run leaves cores idle (its start, its tail) is where the overlap ratio is lost."""

    def __init__(self, period: float = 0.5) -> None:
        import threading

        self.period, self.samples = period, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _read() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle and iowait
        return sum(fields) - idle, sum(fields)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), *self._read()))
            self._stop.wait(self.period)

    def __enter__(self) -> "CoreMeter":
        if os.path.exists("/proc/stat"):
            self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            self.samples.append((time.monotonic(), *self._read()))

    def busy(self, buckets: int = 10) -> list[float]:
        """Mean busy cores in each of ``buckets`` equal slices of the run."""
        if len(self.samples) < 2:
            return []
        start, end = self.samples[0][0], self.samples[-1][0]
        width, sums = (end - start) / buckets or 1.0, [0.0] * buckets
        cores = os.cpu_count() or 1
        for (t0, b0, a0), (t1, b1, a1) in zip(self.samples, self.samples[1:]):
            share = (b1 - b0) / max(a1 - a0, 1) * cores * (t1 - t0)  # core-seconds
            sums[min(buckets - 1, int((t0 - start) / width))] += share
        return [round(s / width, 2) for s in sums]


def peak_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest child (ru_maxrss is KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_mb": round(own, 1), "largest_child_mb": round(kids, 1)}


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def sample_payslips(limit: int) -> None:
    """Render only the first ``limit`` payslips (``--payslips``: a memory run of a large
    company without hours of PDFs); the rest of the month is computed and written whole.
    Such a run does not stream (the stream would make every payslip)."""
    import engine.stream.final as final

    whole = final.plan

    def first(results, *args, **kwargs):
        # cut before planning: a plan of every employee would hold each one's whole result
        return whole(itertools.islice(results, limit), *args, **kwargs)

    final.plan = first


def child(employees: int, month: str, workers: int | None, out_dir: Path,
          window: float, payslips: int | None = None, check: bool = True,
          stream: bool = True) -> dict:
    """One measured run (called in a fresh process)."""
    from engine.pipeline import demo_month
    from engine.run.verify import verify

    clock = StageClock()
    steps: dict[str, float] = {}
    instrument(steps)
    if payslips is not None:
        sample_payslips(payslips)
    began = time.monotonic()
    with CoreMeter() as meter:
        outcome = demo_month(out_dir, employees=employees, month=month, seed=1,
                             workers=workers, progress=clock, window_seconds=window,
                             stream_payslips=stream and payslips is None)
    ran = time.monotonic()
    main_cpu = cpu_seconds(resource.RUSAGE_SELF)
    # the payslip workers are this process's children, reaped when the pool closes;
    # with one worker the payslips render here and are inside the "payslips" stage
    worker_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    report = verify(out_dir) if check else None
    ended = time.monotonic()
    stages = clock.stages(began, ran)
    # steps ran inside "(between stages)" unless a stage was open around them
    stages["(between stages)"] = max(0.0, stages["(between stages)"] - sum(steps.values()))
    stages.update({f"  {name}": seconds for name, seconds in steps.items()})
    stages["verify"] = ended - ran
    cores = workers or os.cpu_count() or 1
    floor_fetch = math.ceil(employees / 100) * window / 60
    floor_cpu = worker_cpu / cores
    overlap = {"fetch_floor": floor_fetch, "payslip_cpu": worker_cpu, "cores": cores,
               "main_cpu": main_cpu, "busy_cores": meter.busy(),
               "ratio": (ran - began) / max(floor_fetch, floor_cpu, 1e-9)}
    return {"employees": employees, "payslips": outcome.payslips, "wall": ended - began,
            "streamed": stream and payslips is None,
            "overlap": overlap,
            "run": ran - began, "stages": stages, "verified": report.ok if report else None,
            "differences": len(report.differences) if report else 0, **peak_mb()}


def measure(employees: int, month: str, workers: int | None, keep: Path | None,
            window: float = 60.0, extra: tuple[str, ...] = ()) -> dict:
    with tempfile.TemporaryDirectory(prefix="month-bench-") as tmp:
        out_dir = (keep or Path(tmp)) / f"run-{employees}"
        cmd = [sys.executable, __file__, "--child", "--employees", str(employees),
               "--month", month, "--out", str(out_dir), "--window", str(window), *extra]
        if workers:
            cmd += ["--workers", str(workers)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"run with {employees} employees failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def show(result: dict) -> None:
    mode = "streamed" if result.get("streamed") else "sequential"
    print(f"\n{result['employees']} employees, {result['payslips']} payslips, {mode}: "
          f"{result['wall']:.1f} s wall (run {result['run']:.1f} s), verified="
          f"{result['verified']} ({result['differences']} differences), peak memory "
          f"{result['self_mb']} MB (largest child {result['largest_child_mb']} MB)")
    for stage, seconds in result["stages"].items():
        per = 1000 * seconds / result["employees"]
        print(f"  {stage:<24} {seconds:8.2f} s  {per:8.2f} ms/employee")
    o = result["overlap"]
    print(f"  overlap ratio {o['ratio']:.2f} = run {result['run']:.1f} s / max(fetch floor "
          f"{o['fetch_floor']:.1f} s, payslip cpu {o['payslip_cpu']:.1f} s / {o['cores']} "
          f"cores = {o['payslip_cpu'] / o['cores']:.1f} s)")
    if "main_cpu" in o:  # the submitting process: fetch, compute, files (and simulator)
        print(f"  main process cpu {o['main_cpu']:.1f} s; busy cores by tenth of the run: "
              f"{' '.join(f'{b:.2f}' for b in o['busy_cores'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=10000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="keep run folders here")
    parser.add_argument("--window", type=float, default=60.0,
                        help="the simulator's rate window in seconds (WeCom's is 60)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the N/10 baseline run (overlap ratio and memory only)")
    parser.add_argument("--payslips", type=int, default=None,
                        help="render only this many payslips (a memory run of a large month)")
    parser.add_argument("--no-verify", action="store_true", help="skip payroll verify")
    parser.add_argument("--no-stream", action="store_true",
                        help="make payslips after the fetch (the sequential month)")
    parser.add_argument("--ab", action="store_true",
                        help="run the month streamed and sequential, alternately, and compare")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.employees, args.month, args.workers, args.out,
                               args.window, args.payslips, not args.no_verify,
                               not args.no_stream)))
        return 0
    print(f"load average at start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    extra = (*(("--payslips", str(args.payslips)) if args.payslips is not None else ()),
             *(("--no-verify",) if args.no_verify else ()),
             *(("--no-stream",) if args.no_stream else ()))
    if args.ab:
        return compare_modes(args, extra)
    big = measure(args.employees, args.month, args.workers, args.out, args.window, extra)
    if args.no_baseline:
        show(big)
        return 0
    base_n = max(1, args.employees // 10)
    base = measure(base_n, args.month, args.workers, args.out, args.window, extra)
    for result in (base, big):
        show(result)
    print(f"\nper-employee cost, {args.employees} vs {base_n} employees (1.0 = linear):")
    for key in ("wall", *big["stages"]):
        small = base[key] if key == "wall" else base["stages"].get(key, 0.0)
        large = big[key] if key == "wall" else big["stages"][key]
        if small > 0:
            ratio = (large / args.employees) / (small / base_n)
            print(f"  {key:<24} {ratio:6.2f}")
    print(f"  {'peak memory':<24} {big['self_mb'] / max(base['self_mb'], 1):6.2f} "
          "(absolute, not per employee)")
    return 0


def compare_modes(args, extra: tuple[str, ...]) -> int:
    """The same month streamed and sequential (streamed first), and their ratio."""
    streamed = measure(args.employees, args.month, args.workers, args.out, args.window,
                       tuple(x for x in extra if x != "--no-stream"))
    sequential = measure(args.employees, args.month, args.workers, args.out, args.window,
                         (*extra, "--no-stream") if "--no-stream" not in extra else extra)
    for result in (streamed, sequential):
        show(result)
    print(f"\nstreamed / sequential: run {streamed['run'] / sequential['run']:.2f}, overlap "
          f"ratio {streamed['overlap']['ratio']:.2f} against {sequential['overlap']['ratio']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
