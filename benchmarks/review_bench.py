"""Benchmark of the review page: how fast it opens for a big company, in real Chromium.

Builds a month for N employees of the simulated company (records made directly, no HTTP;
cn-default computed by the engine), writes the review site (``engine.review.data``) and
opens it through ``payroll review``'s server in headless Chromium (``/usr/bin/chromium``
driven by Playwright). Prints, for N and for a 1,000-employee baseline measured in the
same run: seconds to write the site, its size, seconds from the start of the navigation
(the page's own clock) until the page is usable (summary, charts and the first page of
employees and problems drawn) and until every chunk is in, and for a search across all
employees; then the ratios N : baseline.
Usage: ``python benchmarks/review_bench.py [N]`` (default 100000).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.files import atomic_write  # noqa: E402
from engine.period import parse_month  # noqa: E402
from engine.review.data import build  # noqa: E402
from engine.review.server import ReviewServer  # noqa: E402
from engine.review.site import ASSETS, _asset  # noqa: E402
from engine.roster import parse_rows  # noqa: E402
from engine.rules.apply import compute  # noqa: E402
from engine.rules.loader import load_pack  # noqa: E402
from engine.run.tables import problem_rows, summary  # noqa: E402
from engine.wecom.models import LeaveType, MonthRecord  # noqa: E402
from engine.wecom.simulator.company import make_company  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def month(n: int):
    company = make_company(n, 1)
    period = parse_month("2026-10")
    records = {u.userid: MonthRecord.model_validate(
        company.month_record(u.userid, period.starttime, period.endtime)) for u in company.users}
    roster, _ = parse_rows(company.roster_rows(), "roster.csv")
    leaves = [LeaveType.model_validate(t) for t in company.leave_types]
    return compute(load_pack(ROOT / "rules" / "cn-default.yaml"), period, roster, records, leaves)


def write(run_dir: Path, n: int) -> tuple[float, int]:
    result, problems = month(n)
    start = time.perf_counter()
    facts = {"run_id": "bench", "company": "示例科技有限公司", "approval": None,
             "approval_valid": False, "delivery": None,
             **{k: v for k, v in summary(result, problems, "bench").items()
                if k in ("totals", "problems")}}
    files = {name: _asset(name) for name in ASSETS}
    data = build(result, problem_rows(problems), facts,
                 {e.userid: f"payslips/{e.userid}.pdf" for e in result.employees})
    files.update({f"data/{k}": v for k, v in data.items()})
    for name, body in files.items():
        atomic_write(run_dir / "review" / name, body)
    return time.perf_counter() - start, sum(len(b) for b in files.values())


def open_page(context, run_dir: Path, query: str) -> dict[str, float]:
    with ReviewServer(run_dir) as server:
        page = context.new_page()
        page.goto(server.url, wait_until="commit")
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        page.wait_for_function("() => PAYROLL.loadedAt && PAYROLL.loadedAt.employees"
                               " && PAYROLL.loadedAt.problems", timeout=300_000)
        # the page's own clock, from the start of the navigation
        ready = page.evaluate("() => PAYROLL.readyAt") / 1000
        complete = page.evaluate("() => Math.max(PAYROLL.loadedAt.employees,"
                                 " PAYROLL.loadedAt.problems)") / 1000
        t0 = time.perf_counter()
        page.fill("#search", query)
        page.wait_for_function("() => document.querySelectorAll('#employees tbody tr').length"
                               " === 1", timeout=60_000)
        search = time.perf_counter() - t0
        page.close()
    return {"ready": ready, "complete": complete, "search": search}


def main() -> None:
    from playwright.sync_api import sync_playwright

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    work = Path(tempfile.mkdtemp(prefix="review-bench-"))
    results = {}
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(work / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS,
                viewport={"width": 1400, "height": 1000}, bypass_csp=True)
            for size in (1000, n):
                run_dir = work / f"run-{size}"
                seconds, size_bytes = write(run_dir, size)
                open_page(context, run_dir, "ZhangSan")  # warm the browser's caches once
                timings = open_page(context, run_dir, "ZhangSan")
                results[size] = {"write": seconds, "mb": size_bytes / 1e6, **timings}
                print(f"{size:>7} employees: site {size_bytes / 1e6:.1f} MB written in "
                      f"{seconds:.1f} s; page usable after {timings['ready']:.2f} s, all "
                      f"chunks in after {timings['complete']:.2f} s, search over all "
                      f"{timings['search']:.2f} s", flush=True)
            context.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base, big = results[1000], results[n]
    print(f"ratios {n} : 1000 employees — page usable {big['ready'] / base['ready']:.2f}×, "
          f"all chunks {big['complete'] / base['complete']:.1f}×, site size "
          f"{big['mb'] / base['mb']:.0f}×")


if __name__ == "__main__":
    main()
