"""Verify and approve a whole run folder, the parts written after the manifest included.

Sits on top of the stages, like ``engine.pipeline``: ``engine.run.verify`` proves the
results and payslips from the folder's own evidence; the areas written after the
manifest are checked here in their own way: ``approval.json`` must name the manifest's
sha256 (and, with a public key, carry valid signatures), ``review/`` must match its own
index and have been built from this manifest, ``delivery/deliveries.jsonl`` must only
ever have sent files whose sha256 the manifest lists.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from engine.errors import VerifyError
from engine.progress import Progress
from engine.run.verify import VerifyReport, verify


def verify_run(run_dir: Path, *, public_key: Any = None, progress: Progress | None = None,
               **checks: Any) -> VerifyReport:
    """``payroll verify``: the run, its approval, review site and delivery journal.
    ``checks`` are ``engine.run.verify.verify``'s options (``render``, ``passwords``,
    ``templates``, ``workers``, ``render_only``)."""
    from engine.delivery import audit as delivery_audit
    from engine.review import approval, site

    report = verify(run_dir, progress=progress, **checks)
    if not (run_dir / "manifest.json").is_file():
        return report
    extra = [*approval.check(run_dir, public_key), *site.check(run_dir),
             *delivery_audit.check(run_dir)]
    checked = dict(report.checked)
    checked["post-manifest areas"] = sum(1 for name in ("approval.json", "review", "delivery")
                                         if (run_dir / name).exists())
    return report.model_copy(update={"differences": (*report.differences, *extra),
                                     "checked": checked})


def approve_run(run_dir: Path, *, by: str, note: str = "", now: datetime,
                sign_key: Any = None, progress: Progress | None = None,
                templates: Path | None = None, workers: int | None = None) -> dict[str, Any]:
    """``payroll approve``: verify the run with ``--render`` (every payslip and the finance
    summary drawn again, byte for byte: what is approved is what the numbers say), and
    only if it proves itself write the approval."""
    from engine.review import approval

    report = verify_run(run_dir, progress=progress, render=True, templates=templates,
                        workers=workers)
    require_ok(report, "not approved")
    return approval.write(run_dir, by=by, note=note, now=now, checked=dict(report.checked),
                          sign_key=sign_key)


def require_ok(report: VerifyReport, refusal: str) -> None:
    """Raise ``VerifyError`` (exit 8) naming the first difference unless the report is clean."""
    if not report.ok:
        raise VerifyError(f"{refusal}: payroll verify found {len(report.differences)} "
                          f"difference(s); the first: {report.differences[0]}")


def require_rendered(run_dir: Path, userids: Any, *, templates: Path | None = None,
                     workers: int | None = None, progress: Progress | None = None) -> None:
    """``payroll send``: the run still verifies and the payslips about to be sent equal a
    fresh rendering of the recomputed month (``verify --render`` on those employees)."""
    report = verify_run(run_dir, progress=progress, render=True, templates=templates,
                        workers=workers, render_only=set(userids))
    require_ok(report, "refusing to send")
