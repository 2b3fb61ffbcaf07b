"""Payslip throughput: payslips per second for 1 worker and for all cores, against a naive
baseline measured in the same run.

Run from the repository root: ``.venv/bin/python benchmarks/payslip_bench.py [-n 60]``.
The naive baseline renders each payslip with a fresh ``HTML(string=...).write_pdf()``:
stylesheet linked and parsed per document, no shared ``FontConfiguration``, no image
cache. The pooled numbers include writing the files; "steady" leaves out the workers'
start-up (spawn, imports, font coverage, warm-up render), counted from the first finished
chunk. "cpu" is CPU time per payslip: this process's for the naive and 1-worker runs, the
workers' (reaped children) for the pooled run, so it is less disturbed by other load.
Numbers on a shared machine are noisy: compare the ratios, not the absolute values.

``--ab REV`` measures warm CPU per payslip of this checkout against the renderer of git
revision ``REV`` (e.g. ``main``), exported with ``git archive`` into a temporary folder.
Each side renders the same sample employees in a process of its own (fonts loaded and
one warm-up render first, then CPU time of ``-n`` payslips); the sides alternate for
``--rounds`` rounds so load from other processes falls on both, and the median of each
side is compared. The older side keeps Python's default collector settings unless
``--same-gc`` gives it this checkout's worker settings as well.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import weasyprint  # noqa: E402

from engine.payslip.pdf import (DATA_NAME, PDF_VARIANT, Renderer, data_bytes,  # noqa: E402
                                payslip_data, pinned_time)
from engine.payslip.sample import context, varied  # noqa: E402
from engine.executor import render_all  # noqa: E402


def employees(n: int):
    """Sample employees with their own names and amounts (a cache of repeated text must
    earn its keep on text that differs as a month's payslips do)."""
    return [varied(i) for i in range(n)]


def cpu_time(children: bool = False) -> float:
    t = os.times()
    return t.children_user + t.children_system if children else t.user + t.system


def naive(results, ctx) -> tuple[float, float]:
    helper = Renderer(ctx.template_dir, ctx.lang)  # only to build the same HTML
    moment = pinned_time(ctx.month, None).replace(tzinfo=None)
    start, cpu = time.perf_counter(), cpu_time()
    for result in results:
        html = helper.html(result, ctx).replace(
            "</head>", '<link rel="stylesheet" href="payslip.css"></head>', 1)
        attachment = weasyprint.Attachment(string=data_bytes(payslip_data(result, ctx)),
                                           name=DATA_NAME, relationship="Data",
                                           created=moment, modified=moment)
        weasyprint.HTML(string=html, base_url=ctx.template_dir.as_uri() + "/").write_pdf(
            pdf_variant=PDF_VARIANT, attachments=[attachment])
    return time.perf_counter() - start, (cpu_time() - cpu) / len(results)


def pooled(results, ctx, workers: int) -> tuple[float, float, float]:
    stamps: list[float] = []
    children = workers > 1
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), cpu_time(children)
        files, problems = render_all(results, ctx, Path(tmp) / "payslips", workers=workers,
                                     progress=lambda done, total: stamps.append(
                                         time.perf_counter()))
        total = time.perf_counter() - start
        cpu = (cpu_time(children) - cpu) / len(results)
    assert len(files) == len(results) and not problems, problems
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if stamps[-1] > stamps[0] else 0.0
    return len(results) / total, steady, cpu * 1000


# Run inside each side's tree: only APIs both sides have (sample employees, render_pdf);
# names and earnings vary as in ``engine.payslip.sample.varied`` (older trees lack it).
_WARM_CPU = """
import gc, sys, time
from decimal import Decimal as D
sys.path.insert(0, sys.argv[1])
from engine.payslip.pdf import Renderer, render_pdf
from engine.payslip.sample import context, zhangsan
from engine.rules.lines import Category
def person(i):
    p = zhangsan(userid=f"user{i:05d}", name=f"{'张王李赵刘陈杨黄'[i % 8]}{'三四五六七八九十'[i * 3 % 8]}{i}")
    k = D(i * 37 % 1000) + D("0.01") * (i % 100)
    lines = tuple(x.model_copy(update={"amount": x.amount + k})
                  if x.category is Category.EARNING else x for x in p.lines)
    more = {f: getattr(p.totals, f) + 3 * k for f in ("earnings", "net", "gross")}
    return p.model_copy(update={"lines": lines, "totals": p.totals.model_copy(update=more)})
ctx = context()
renderer = Renderer(ctx.template_dir, ctx.lang)
people = [person(i) for i in range(int(sys.argv[2]) + 2)]
for p in people[:2]:
    render_pdf(p, ctx, renderer)
gc.freeze()
start = time.process_time()
for p in people[2:]:
    render_pdf(p, ctx, renderer)
print((time.process_time() - start) / (len(people) - 2))
"""


def warm_cpu(tree: Path, n: int, gc_threshold: bool) -> float:
    """CPU seconds per payslip of ``tree``'s renderer in a fresh, warmed-up process."""
    code = _WARM_CPU if not gc_threshold else _WARM_CPU.replace(
        "gc.freeze()", "gc.freeze(); gc.set_threshold(50_000, 20, 20)")
    out = subprocess.run([sys.executable, "-c", code, str(tree), str(n)], cwd=tree,
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def ab(rev: str, n: int, rounds: int, same_gc: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        sides: dict[str, list[float]] = {rev: [], "this": []}
        for _ in range(rounds):
            sides[rev].append(warm_cpu(old, n, gc_threshold=same_gc))
            # the workers of this checkout collect garbage less often; so does its side
            sides["this"].append(warm_cpu(ROOT, n, gc_threshold=True))
    before, after = (statistics.median(sides[k]) * 1000 for k in (rev, "this"))
    print(f"warm cpu per payslip ({rounds} rounds of {n}, median): {rev} {before:6.1f} ms, "
          f"this checkout {after:6.1f} ms  -> {after / before:4.2f}x of {rev}")
    print("rounds:", {k: [round(v * 1000, 1) for v in vals] for k, vals in sides.items()})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=60, help="payslips per measurement")
    parser.add_argument("--ab", metavar="REV", help="A/B warm CPU per payslip against REV")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (alternating)")
    parser.add_argument("--same-gc", action="store_true",
                        help="A/B: give REV's side this checkout's collector settings too "
                             "(REV's workers may already use them)")
    args = parser.parse_args()
    if args.ab:
        ab(args.ab, args.n, args.rounds, args.same_gc)
        return
    ctx, results = context(), employees(args.n)
    cores = os.cpu_count() or 1
    sample = results[: max(4, args.n // 4)]
    seconds, naive_cpu = naive(sample, ctx)
    base = len(sample) / seconds
    one, one_steady, one_cpu = pooled(results, ctx, 1)
    many, many_steady, many_cpu = pooled(results, ctx, cores)
    print(f"payslips: {args.n}, cores: {cores}, affinity: {len(os.sched_getaffinity(0))}")
    print(f"cpu per payslip: naive {naive_cpu * 1000:6.1f} ms, 1 worker {one_cpu:6.1f} ms, "
          f"{cores} workers {many_cpu:6.1f} ms (incl. start-up and warm-up)")
    print(f"naive baseline (1 core)     {base:7.2f} payslips/s   1.00x")
    print(f"1 worker  end-to-end        {one:7.2f} payslips/s  {one / base:5.2f}x baseline")
    print(f"1 worker  steady            {one_steady:7.2f} payslips/s  {one_steady / base:5.2f}x")
    print(f"{cores} workers end-to-end        {many:7.2f} payslips/s  {many / base:5.2f}x baseline"
          f"  {many / one:5.2f}x 1 worker")
    print(f"{cores} workers steady            {many_steady:7.2f} payslips/s  "
          f"{many_steady / base:5.2f}x baseline  {many_steady / one_steady:5.2f}x 1 worker")


if __name__ == "__main__":
    main()
