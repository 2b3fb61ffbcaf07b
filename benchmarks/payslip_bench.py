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

import weasyprint  # noqa: E402

from engine.payslip.pdf import (DATA_NAME, PDF_VARIANT, Renderer, data_bytes,  # noqa: E402
                                payslip_data, pinned_time)
from engine.payslip.sample import context, zhangsan  # noqa: E402
from engine.payslip.workers import render_all  # noqa: E402


def employees(n: int):
    return [zhangsan(userid=f"user{i:05d}", name=f"张{'三四五六七八九十'[i % 8]}{i}")
            for i in range(n)]


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=60, help="payslips per measurement")
    args = parser.parse_args()
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
