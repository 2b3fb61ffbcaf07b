"""``payroll review``, ``payroll approve`` and ``payroll send``: the commands after a run.

Part of the ``payroll`` command (``engine.cli`` calls :func:`register`); like the rest of
the shell it reads options, reads the clock and the environment at the edge and calls
one library function per verb (``engine.audit``, ``engine.delivery.service``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer

from engine.commands.shell import err, fail, out
from engine.errors import PayrollError
from engine.progress import for_terminal

QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress output.")
ConfigOpt = typer.Option(None, "--config", help="Settings file (otherwise WECOM_* environment variables).")
TemplatesOpt = typer.Option(None, "--templates", exists=True, file_okay=False, help="The run's own payslip template folder (for the rendering check).")
WorkersOpt = typer.Option(None, "--workers", help="PDF worker processes for the rendering check (default: all cores).")
RunArg = typer.Argument(..., exists=True, file_okay=False, help="Finished run folder.")


def review(
    run_dir: Path = RunArg,
    previous: Optional[Path] = typer.Option(None, "--previous", exists=True, file_okay=False, help="The previous month's run folder: the page shows what changed."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the page on 127.0.0.1 until Ctrl-C (otherwise only write review/)."),
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0: a random free port)."),
) -> None:
    """Write the review pages into RUN/review/ and serve them read-only on loopback."""
    import threading

    from engine.review.server import ReviewServer
    from engine.review.site import write_site

    try:
        index = write_site(run_dir, previous)
        out.print(f"review pages written to {index} (open it offline, or use the URL below)",
                  highlight=False)
        if not serve:
            return
        with ReviewServer(run_dir, port=port) as server:
            out.print(f"serving on {server.url}", highlight=False, markup=False, soft_wrap=True)
            err.print("only this URL (with its token) opens the page; Ctrl-C stops the server")
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                err.print("stopped")
    except PayrollError as exc:
        fail(exc)


def approve(
    run_dir: Path = RunArg,
    by: str = typer.Option(..., "--by", help="Name of the person approving (recorded)."),
    note: str = typer.Option("", "--note", help="A note kept with the approval."),
    sign_key: Optional[Path] = typer.Option(None, "--sign-key", exists=True, dir_okay=False, help="Ed25519 private key (PEM) to sign approval.json and manifest.json; an encrypted key's passphrase comes from PAYROLL_SIGN_PASSPHRASE."),
    templates: Optional[Path] = TemplatesOpt,
    workers: Optional[int] = WorkersOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Verify the run with --render (every payslip drawn again, byte for byte) and, if it
    proves itself, record the approval in approval.json."""
    from engine.audit import approve_run
    from engine.review.signing import load_private_key

    try:
        key = load_private_key(sign_key) if sign_key else None
        record = approve_run(run_dir, by=by, note=note, now=datetime.now(timezone.utc),
                             sign_key=key, progress=for_terminal(quiet),
                             templates=templates, workers=workers)
    except PayrollError as exc:
        fail(exc)
    counts, totals = record["counts"], record["totals"]
    signed = f", signed with key {record['signature']['key_id']}" if "signature" in record else ""
    out.print(f"[green]approved[/] run {record['run_id']} ({record['month']}) by "
              f"{record['approved_by']} at {record['approved_at']}: {counts['payslips']} payslips, "
              f"net {totals.get('net', '?')} CNY{signed}", highlight=False)


def send(
    run_dir: Path = RunArg,
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and list what would be sent; send nothing."),
    only: list[str] = typer.Option([], "--only", help="Send only this employee (userid; repeatable)."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Send again to employees WeCom refused earlier (e.g. after a licence was added)."),
    resend_in_doubt: bool = typer.Option(False, "--resend-in-doubt", help="Send again to employees in doubt (a crash or lost answer outside WeCom's duplicate check): only after checking they received nothing."),
    encrypted: bool = typer.Option(False, "--encrypted", help="Send the AES-256 copies from payslips/secure/ (the run must have made them with --encrypt-with)."),
    safe: bool = typer.Option(False, "--safe", help="Send as confidential messages (watermarked, cannot be forwarded)."),
    status_only: bool = typer.Option(False, "--status", help="Only print sent / failed / in doubt / pending counts."),
    config: Optional[Path] = ConfigOpt,
    templates: Optional[Path] = TemplatesOpt,
    workers: Optional[int] = WorkersOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Deliver the approved payslips to the employees in WeCom, each exactly once, after
    checking that each one to send equals a fresh rendering (verify --render)."""
    from engine.delivery import service
    from engine.delivery.sender import Options
    from engine.wecom.settings import load_settings

    try:
        if status_only:
            out.print(str(service.status(run_dir)), highlight=False, markup=False)
            return
        if dry_run:
            return _dry_run(run_dir, only, encrypted)
        settings = load_settings(config)
        options = Options(retry_failed=retry_failed, resend_in_doubt=resend_in_doubt,
                          safe=1 if safe else 0,
                          duplicate_check_seconds=settings.duplicate_check_seconds)
        report = service.send_run(run_dir, settings, only=only, encrypted=encrypted,
                                  options=options, progress=for_terminal(quiet),
                                  templates=templates, workers=workers)
    except PayrollError as exc:
        fail(exc)
    out.print(str(report), highlight=False)
    for userid, why in sorted(report.failed.items()):
        out.print(f"[red]failed[/] {userid}: {why}", highlight=False)
    for userid, why in sorted(report.in_doubt.items()):
        out.print(f"[yellow]in doubt[/] {userid}: {why}", highlight=False)
    if report.failed or report.in_doubt:
        raise typer.Exit(1)


def _dry_run(run_dir: Path, only: list[str], encrypted: bool) -> None:
    from engine.delivery import journal, service
    from engine.delivery.journal import State

    plan = service.plan_for(run_dir, only=only, encrypted=encrypted)
    entries = journal.load(run_dir)
    todo = [d for d in plan if not d.problem and
            (entries.get(d.userid) is None or entries[d.userid].state is State.PENDING)]
    out.print(f"dry run: {len(plan)} approved payslips unchanged; {len(todo)} would be sent "
              "now (others: see --status)", highlight=False)
    for d in todo[:10]:
        out.print(f"  {d.userid}: {d.file} as {d.shown_name}", highlight=False, markup=False)
    if len(todo) > 10:
        err.print(f"  … and {len(todo) - 10} more")


def register(app: typer.Typer) -> None:
    """Add the commands to ``app`` (the ``payroll`` command, also when run as ``-m``)."""
    app.command()(review)
    app.command()(approve)
    app.command()(send)
