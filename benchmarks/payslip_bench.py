"""Payslip throughput: payslips per second for 1 worker and for all cores, against a naive
baseline measured in the same run.

Run from the repository root: ``.venv/bin/python benchmarks/payslip_bench.py [-n 60]``.
The naive baseline renders each payslip with a fresh ``HTML(string=...).write_pdf()``:
stylesheet linked and parsed per document, no shared ``FontConfiguration``, no image
cache. The pooled numbers include writing the files; "steady" leaves out the workers'
start-up (spawn, imports, font coverage), counted from the first finished payslip.
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


def naive(results, ctx) -> float:
    helper = Renderer(ctx.template_dir, ctx.lang)  # only to build the same HTML
    moment = pinned_time(ctx.month, None).replace(tzinfo=None)
    start = time.perf_counter()
    for result in results:
        html = helper.html(result, ctx).replace(
            "</head>", '<link rel="stylesheet" href="payslip.css"></head>', 1)
        attachment = weasyprint.Attachment(string=data_bytes(payslip_data(result, ctx)),
                                           name=DATA_NAME, relationship="Data",
                                           created=moment, modified=moment)
        weasyprint.HTML(string=html, base_url=ctx.template_dir.as_uri() + "/").write_pdf(
            pdf_variant=PDF_VARIANT, attachments=[attachment])
    return time.perf_counter() - start


def pooled(results, ctx, workers: int) -> tuple[float, float]:
    stamps: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        files, problems = render_all(results, ctx, Path(tmp) / "payslips", workers=workers,
                                     progress=lambda done, total: stamps.append(
                                         time.perf_counter()))
        total = time.perf_counter() - start
    assert len(files) == len(results) and not problems, problems
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return len(results) / total, steady


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=60, help="payslips per measurement")
    args = parser.parse_args()
    ctx, results = context(), employees(args.n)
    cores = os.cpu_count() or 1
    base = args.n / naive(results[: max(4, args.n // 4)], ctx) * max(4, args.n // 4) / args.n
    one, one_steady = pooled(results, ctx, 1)
    many, many_steady = pooled(results, ctx, cores)
    print(f"payslips: {args.n}, cores: {cores}")
    print(f"naive baseline (1 core)     {base:7.2f} payslips/s   1.00x")
    print(f"1 worker  end-to-end        {one:7.2f} payslips/s  {one / base:5.2f}x baseline")
    print(f"1 worker  steady            {one_steady:7.2f} payslips/s  {one_steady / base:5.2f}x")
    print(f"{cores} workers end-to-end        {many:7.2f} payslips/s  {many / base:5.2f}x baseline"
          f"  {many / one:5.2f}x 1 worker")
    print(f"{cores} workers steady            {many_steady:7.2f} payslips/s  "
          f"{many_steady / base:5.2f}x baseline  {many_steady / one_steady:5.2f}x 1 worker")


if __name__ == "__main__":
    main()
