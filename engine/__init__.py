"""wecom-payroll: payroll and overtime from WeCom attendance reports.

The package mirrors the data flow of a month:
``engine.wecom`` (fetch) → ``engine.rules`` (compute) → ``engine.payslip`` (render) →
``engine.run`` (run folder, verify), ordered by ``engine.pipeline``; ``engine.cli`` is the
command-line shell over the same functions the library offers here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_month", "demo_month", "open_run", "verify", "diff", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy so that `import engine` stays cheap (WeasyPrint and pandas load on first use).
    if name in ("run_month", "demo_month"):
        from engine import pipeline

        return getattr(pipeline, name)
    if name == "open_run":
        from engine.run.opened import open_run

        return open_run
    if name == "verify":
        from engine.run.verify import verify

        return verify
    if name == "diff":
        from engine.run.diff import diff

        return diff
    raise AttributeError(name)
