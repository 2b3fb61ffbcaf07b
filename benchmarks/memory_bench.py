"""Peak memory of a large month, and which step it is reached in.

The WeCom simulator runs in a process of its own (``payroll simulator``, the answers a
real company's WeCom would send), so the measured process holds only what the engine
holds. The month is fetched with a short rate window, computed and written whole;
payslips are rendered for a sample only (``--payslips``, the first N employees: a PDF's
memory is the worker's and does not grow with the company). A sampler thread reads the
process's resident set (``/proc/self/statm``) every few milliseconds and attributes it to
the pipeline step running at that moment, so the report names where the peak is.

    .venv/bin/python benchmarks/memory_bench.py --employees 100000 --window 1
    .venv/bin/python benchmarks/memory_bench.py --employees 10000 --tracemalloc

``--tracemalloc`` adds, per step, the Python heap's peak and the allocation sites still
holding the most memory when the step ends (slower; for finding peaks, not for timing).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from month_bench import StageClock, sample_payslips  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
# pipeline steps whose memory is attributed to them (wrapped in place, outermost first)
STEPS = {"engine.wecom.fetch": ("run_fetch",),
         "engine.run.prepared": ("copy_inputs", "load_inputs"),
         "engine.pipeline": ("load_snapshot", "text_problems",
                             "build_exports", "write_exports", "write_results",
                             "write_ledger", "summary_html", "write_rendered",
                             "write_manifest", "render_stage"),
         "engine.run.chain": ("compute_month",)}


class Sampler(threading.Thread):
    """Resident set size every ``interval`` seconds, the highest per step."""

    def __init__(self, interval: float = 0.005, trace: bool = False) -> None:
        super().__init__(daemon=True)
        self.interval, self.trace = interval, trace
        self.step = "(start)"
        self.peaks: dict[str, float] = {}
        self.heap: dict[str, dict] = {}
        self.order: list[str] = []
        self.stop = threading.Event()

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE / 2**20

    def note(self) -> None:
        rss = self.rss_mb()
        if rss > self.peaks.get(self.step, 0.0):
            self.peaks[self.step] = rss

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.note()

    def enter(self, name: str) -> str:
        self.note()
        outer, self.step = self.step, name
        if name not in self.order:
            self.order.append(name)
        if self.trace:
            import tracemalloc

            tracemalloc.reset_peak()
        return outer

    def leave(self, outer: str) -> None:
        self.note()
        if self.trace:
            import tracemalloc

            current, peak = tracemalloc.get_traced_memory()
            top = tracemalloc.take_snapshot().statistics("lineno")[:5]
            self.heap[self.step] = {"peak_mb": peak / 2**20, "held_mb": current / 2**20,
                                    "held_by": [f"{s.size / 2**20:7.1f} MB {s.traceback}"
                                                for s in top]}
        self.step = outer


def instrument(sampler: Sampler) -> None:
    """Wrap each step in place; the pipeline looks them up by module attribute at call time."""
    import importlib

    def wrapped(name, fn):
        @functools.wraps(fn)
        def step(*args, **kwargs):
            outer = sampler.enter(name)
            try:
                return fn(*args, **kwargs)
            finally:
                sampler.leave(outer)
        return step

    for module_name, names in STEPS.items():
        module = importlib.import_module(module_name)
        for name in names:
            setattr(module, name, wrapped(name, getattr(module, name)))


def child(args: argparse.Namespace) -> dict:
    """One measured month in this (fresh) process."""
    from engine.pipeline import DEFAULT_COMPANY, default_pack, run_month
    from engine.wecom.settings import load_settings
    from engine.wecom.simulator import SimConfig

    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    sampler = Sampler(trace=args.tracemalloc)
    instrument(sampler)
    sample_payslips(args.payslips)
    sim = SimConfig()
    settings = load_settings(environ={}, corp_id=sim.corp_id, corp_secret=sim.corp_secret,
                             agent_id=str(sim.agent_id), api_base=args.url,
                             window_seconds=args.window, retry_initial_seconds=0.05)
    clock = StageClock()
    base = sampler.rss_mb()
    sampler.start()
    began = time.monotonic()
    run_month(args.month, args.roster, default_pack(), args.out, settings=settings,
              company=DEFAULT_COMPANY, workers=args.workers, progress=clock,
              stream_payslips=False)  # the sample is rendered after the fetch
    wall = time.monotonic() - began
    sampler.stop.set()
    sampler.join()
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"employees": args.employees, "wall": wall, "start_mb": base,
            "peak_mb": kib / 1024,
            "steps": {s: sampler.peaks.get(s, 0.0) for s in sampler.order},
            "seconds": clock.stages(began, began + wall), "heap": sampler.heap}


def start_simulator(employees: int, window: float, roster: Path) -> tuple[subprocess.Popen, str]:
    """``payroll simulator`` on a free port; returns the process and its URL."""
    cmd = [sys.executable, "-m", "engine.cli", "simulator", "--port", "0", "--employees",
           str(employees), "--window", str(window), "--roster-out", str(roster)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "WeCom simulator on " in line:
            url = line.split("WeCom simulator on ", 1)[1].split(";")[0].strip()
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep it drained
            return proc, url
    raise SystemExit(f"the simulator did not start (exit {proc.wait()})")


def show(result: dict) -> None:
    print(f"{result['employees']} employees: {result['wall']:.1f} s, peak RSS "
          f"{result['peak_mb']:.0f} MB (at start {result['start_mb']:.0f} MB)")
    print("  highest resident set per step:")
    for step, mb in result["steps"].items():
        print(f"    {step:<16} {mb:7.0f} MB")
    print("  seconds per reported stage:")
    for stage, seconds in result["seconds"].items():
        print(f"    {stage:<16} {seconds:7.1f} s")
    for step, heap in result["heap"].items():
        print(f"  {step}: Python heap peak {heap['peak_mb']:.0f} MB, held at its end "
              f"{heap['held_mb']:.0f} MB")
        for site in heap["held_by"]:
            print(f"      {site}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--window", type=float, default=1.0,
                        help="rate window of the simulator and the client, seconds (WeCom: 60)")
    parser.add_argument("--payslips", type=int, default=200, help="payslips rendered (a sample)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--keep", type=Path, help="write the run folder here (kept)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--roster", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0
    print(f"load average at start: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as tmp:
        roster = Path(tmp) / "roster.csv"
        sim, url = start_simulator(args.employees, args.window, roster)
        try:
            cmd = [sys.executable, __file__, "--child", "--url", url, "--roster", str(roster),
                   "--out", str(args.keep or Path(tmp) / "run"), "--employees", str(args.employees),
                   "--month", args.month, "--window", str(args.window),
                   "--payslips", str(args.payslips), "--workers", str(args.workers),
                   *(["--tracemalloc"] if args.tracemalloc else [])]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        finally:
            sim.terminate()
            sim.wait()
    if done.returncode:
        raise SystemExit(f"the month failed:\n{done.stderr[-3000:]}")
    show(json.loads(done.stdout.strip().splitlines()[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
