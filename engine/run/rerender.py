"""``payroll verify --render``: every payslip and the finance summary drawn again.

Called by :mod:`engine.run.verify` after the recomputation. Rendering is deterministic
(pinned dates, content-derived file ids), so the recomputed month rendered with the run's
own context (company, language, run id, pack and snapshot identity, template folder)
must give the payslip PDFs and ``results/summary.pdf`` byte for byte. An amount drawn
over a page while the embedded data stays true is caught here and nowhere else. The cost
is that of the run's own rendering, on the same worker pool.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Collection, Mapping, Sequence

from engine.errors import PayrollError
from engine.progress import Progress
from engine.rules.lines import PayrollResult, Status
from engine.run.compare import SUMMARY_HTML, Difference, difference

SUMMARY_PDF = "results/summary.pdf"


def _company(run_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The employer as the run printed it (``inputs/company.json``, else the manifest)."""
    import json

    from engine.payslip.identity import KEPT

    try:
        kept = json.loads((run_dir / KEPT).read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        kept = {}
    kept = kept if isinstance(kept, dict) else {}
    return {"company": kept.get("name") or manifest.get("company", ""),
            "logo": kept.get("logo", manifest.get("logo")), "address": kept.get("address")}


def payslip_context(run_dir: Path, manifest: dict[str, Any], result: PayrollResult,
                    templates: Path | None = None, pack: Any = None):
    """The run's payslip context, rebuilt from its manifest and kept inputs (``pack``, the
    pack copy, gives the payslip's own total label)."""
    header = getattr(pack, "header", None)
    labels = {"net_label": header.net_label, "net_label_en": header.net_label_en} \
        if header is not None else {}
    from engine.payslip.context import DEFAULT_TEMPLATES, PayslipContext

    inputs = manifest.get("inputs", {})
    return PayslipContext(month=result.month, **_company(run_dir, manifest),
                          run_id=manifest.get("run_id", ""), pack=result.pack,
                          snapshot_sha256="",  # each payslip's own: see check_payslips
                          lang=manifest.get("lang", "zh"),
                          encrypt_with=inputs.get("roster_omits") or None,
                          template_dir=templates or DEFAULT_TEMPLATES, **labels)


def check_payslips(run_dir: Path, manifest: dict[str, Any], result: PayrollResult,
                   rows: Sequence[dict[str, str]], *, templates: Path | None = None,
                   workers: int | None = None, progress: Progress,
                   only: Collection[str] | None = None,
                   pack: Any = None, sources: Mapping[str, tuple[str, str]] | None = None
                   ) -> tuple[list[Difference], int]:
    """Each payslip master (of the employees in ``only``, when given: what ``payroll send``
    is about to deliver) equals a fresh rendering, each made with the snapshot file its
    employee's record is in (``sources``); returns differences and the count."""
    from engine.executor import render_all

    ctx = payslip_context(run_dir, manifest, result, templates, pack)
    ok = [e for e in result.employees if e.status is Status.OK
          and (only is None or e.userid in only)]
    by_user = {r.get("userid", ""): r for r in rows}
    out: list[Difference] = []
    progress.start("verify --render", len(ok))
    with tempfile.TemporaryDirectory(prefix="verify-render-") as tmp:
        files, _problems = render_all(ok, ctx.model_copy(update={"encrypt_with": None}),
                                      Path(tmp) / "payslips", workers=workers,
                                      progress=lambda done, total: progress.advance(1),
                                      sources=(sources or {}).get)
        progress.finish()
        for file in files:
            row = by_user.get(file.userid)
            path = run_dir / row.get("file", "") if row else None
            if path is None or not path.is_file():
                continue  # reported as missing by the index checks
            if (Path(tmp) / file.path).read_bytes() != path.read_bytes():
                out.append(difference("render", row["file"], "payslip differs from a fresh "
                                      "rendering of the recomputed month (a run made with "
                                      "its own templates needs them: --templates DIR)",
                                      userid=file.userid))
    return out, len(files)


def check_summary_pdf(run_dir: Path) -> list[Difference]:
    """``summary.pdf`` equals the PDF of ``summary.html`` (itself checked against the
    recomputation)."""
    from engine.run.summary import render_pdf

    html, pdf = run_dir / SUMMARY_HTML, run_dir / SUMMARY_PDF
    if not html.is_file() or not pdf.is_file():
        return []
    try:
        again = render_pdf(html.read_bytes().decode("utf-8"))
    except (PayrollError, UnicodeDecodeError) as exc:
        return [difference("render", SUMMARY_PDF, f"cannot render the finance summary: {exc}")]
    if again != pdf.read_bytes():
        return [difference("render", SUMMARY_PDF, "finance summary PDF differs from a fresh "
                           "rendering of summary.html")]
    return []
