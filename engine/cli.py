"""The ``payroll`` command: a thin shell over :mod:`engine.pipeline` and the stages.

Reads options and the environment, picks the progress display, calls one library
function per verb and turns :class:`engine.errors.PayrollError` into a one-line message
and a documented exit code. No payroll logic lives here.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from engine.commands import company as company_commands
from engine.commands.shell import err, out
from engine.commands.shell import fail as _fail
from engine.commands import delivery as delivery_commands
from engine.errors import PayrollError
from engine.progress import for_terminal

# Tracebacks never show local variables: they could hold tokens or secrets.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Payroll and overtime from WeCom attendance: fetch, compute, payslips, audit.")
rules_app = typer.Typer(no_args_is_help=True, help="Validate and test YAML rule packs.")
app.add_typer(rules_app, name="rules")
app.command("init")(company_commands.init)
app.command("doctor")(company_commands.doctor)

@app.callback()
def _options(max_file_size: list[str] = typer.Option(
        [], "--max-file-size", envvar="PAYROLL_MAX_FILE_SIZE",
        help="Raise (or lower) an input size cap: KIND=SIZE with KIND pack, roster, snapshot "
             "or answer (a WeCom answer), e.g. roster=1GB. Repeatable.")) -> None:
    """Options for every command (they go before the command's name)."""
    from engine.files import set_size_limits
    from engine.wecom.redact import RedactingStream, shared_redactor

    # everything printed passes the process-wide redactor: the secret and every token
    # seen are masked by value, whatever message (or WeCom errmsg) carries them
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream, shared_redactor()))

    try:
        for spec in max_file_size:
            set_size_limits(spec)
    except PayrollError as exc:
        _fail(exc)


MonthOpt = typer.Option(..., "--month", help="Pay month, YYYY-MM.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress output.")
WorkersOpt = typer.Option(None, "--workers", help="PDF worker processes (default: all cores).")
ExecutorOpt = typer.Option(None, "--executor", help="Where payslips are rendered: local, local:N (worker processes here; default) or dask://HOST:PORT (a Dask scheduler).")
LangOpt = typer.Option("zh", "--lang", help="Payslip language: zh or en.")
StreamOpt = typer.Option(True, "--stream/--no-stream", help="Make payslips while the fetch runs (default; the same files as made after it). --no-stream: one stage after the other.")
BankMapOpt = typer.Option(None, "--bank-map", help="Column map of the bank file: generic (default), cmb, or a map YAML file ([payroll] bank_map).")
IncompleteOpt = typer.Option(False, "--allow-incomplete", help="Accept a month that has not ended yet (WeCom reports only closed days).")


def _closed_month(month: str, allow: bool, config: Optional[Path] = None):
    """Refuse a month that has not ended: WeCom has no data for today or later, so its
    payroll would be silently short. The clock is read here, at the edge, never in a stage.
    The company's time zone comes from the settings the fetch uses (environment or config
    file). The month is parsed here, once, into the ``Period`` every stage receives; it is
    returned with the settings for the fetch (``None`` when they are invalid)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from engine.errors import ConfigError
    from engine.period import parse_month
    from engine.wecom.settings import DEFAULT_TZ, load_settings

    try:
        settings = load_settings(config)
    except ConfigError:
        settings = None  # the fetch reports the settings problem itself, with its details
    period = parse_month(month, settings.tz if settings else DEFAULT_TZ)
    today = datetime.now(ZoneInfo(period.tz)).date()
    if period.last_day >= today and not allow:
        raise ConfigError(f"{period.month} has not ended yet (today is {today}); WeCom reports "
                          "only closed days. Pass --allow-incomplete to fetch it anyway.")
    return period, settings


def _summary_table(outcome) -> None:
    summary = outcome.summary
    table = Table(title=f"Payroll {outcome.month}  run {outcome.run_id}", show_lines=False)
    table.add_column("item")
    table.add_column("value", justify="right")
    table.add_row("employees", str(summary["employees"]))
    for status, count in summary["by_status"].items():
        table.add_row(f"  status {status}", str(count))
    table.add_row("paid (payslip issued)", str(summary.get("paid", "")))
    for key, value in summary["totals"].items():
        table.add_row(f"total {key} of the paid (CNY)", value)
    unpaid = summary.get("unpaid", {})
    if unpaid.get("employees"):
        table.add_row("not paid (no payslip)", str(unpaid["employees"]))
    for severity, count in summary["problems"].items():
        table.add_row(f"problems: {severity}", str(count))
    table.add_row("payslips", str(outcome.payslips))
    out.print(table)
    _problem_list(outcome.problem_items)
    out.print(f"Run folder: [bold]{outcome.run_dir}[/]  (payslips/, results/, manifest.json;"
              f" problems in results/problems.csv)")


def _problem_list(problems, limit: int = 10) -> None:
    """The first problems, errors before warnings, so nobody has to open a CSV to see them."""
    ranked = sorted((p for p in problems if p.severity.value != "info"),
                    key=lambda p: p.severity.value != "error")
    for problem in ranked[:limit]:
        colour = "red" if problem.severity.value == "error" else "yellow"
        out.print(f"[{colour}]{problem.severity.value}[/]", str(problem).split("] ", 1)[-1],
                  highlight=False)
    if len(ranked) > limit:
        out.print(f"… and {len(ranked) - limit} more in results/problems.csv")


def _fetch_summary(report) -> None:
    out.print(f"fetched {report.fetched} of {len(report.requested)} employees for "
              f"{report.period.month} in {report.batches} batches "
              f"({report.resumed_batches} taken from an earlier, interrupted fetch)")
    for userid, reason in sorted(report.missing.items()):
        out.print(f"[yellow]missing[/] {userid}: {reason}", highlight=False)
    out.print(f"Snapshot: [bold]{report.snapshot_dir}[/]")


def _finish(outcome, allow_errors: bool) -> None:
    _summary_table(outcome)
    if outcome.employee_errors and not allow_errors:
        err.print(f"[yellow]{outcome.employee_errors} employee(s) could not be paid "
                  "(status error or missing, see results/problems.csv); no payslip was "
                  "issued for them; exit code 1. Use --allow-errors to accept the run "
                  "without them.[/]", soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def demo(
    out_dir: Path = typer.Option(Path("demo-run"), "--out", help="Run folder to write (replaced if it holds an earlier demo)."),
    employees: int = typer.Option(60, "--employees", min=1, help="Size of the simulated company."),
    month: Optional[str] = typer.Option(None, "--month", help="Pay month (default: last complete month)."),
    seed: int = typer.Option(1, "--seed", help="Seed of the simulated company."),
    chaos: bool = typer.Option(False, "--chaos", help="Inject transient API faults and a token revocation."),
    workers: Optional[int] = WorkersOpt,
    executor: Optional[str] = ExecutorOpt,
    lang: str = LangOpt,
    bank_map: Optional[str] = BankMapOpt,
    rules: Optional[Path] = typer.Option(None, "--rules", exists=True, dir_okay=False, help="Rule pack to compute with (default: the bundled rules/cn-default.yaml; rules/cn-payroll.yaml withholds social insurance, housing fund and tax)."),
    stream: bool = StreamOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Run a whole month against a local WeCom simulator: fetch, compute, payslips, run folder."""
    from engine.executor import parse_executor
    from engine.pipeline import demo_month
    from engine.period import parse_month, previous_month

    try:
        period = parse_month(month or previous_month(date.today()))
        spec = parse_executor(executor, workers)
        outcome = demo_month(out_dir, employees=employees, month=period,
                             seed=seed, chaos=chaos, lang=lang, executor=spec,
                             progress=for_terminal(quiet), bank_map=bank_map, rules=rules,
                             stream_payslips=stream)
    except PayrollError as exc:
        _fail(exc)
    _finish(outcome, allow_errors=True)


@app.command()
def run(
    month: str = MonthOpt,
    roster: Optional[Path] = typer.Option(None, "--roster", exists=True, help="Roster CSV/XLSX: userid, monthly_salary, … (default: the company folder's)."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rule pack YAML (default: the company folder's, else the bundled rules/cn-payroll.yaml: cn-default plus social insurance, housing fund and income tax)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="The run folder to write (default: the company folder's runs/MONTH)."),
    force: bool = typer.Option(False, "--force", help="Recompute a finished run folder (its snapshot is kept)."),
    allow_errors: bool = typer.Option(False, "--allow-errors", help="Exit 0 even if some employees have status=error or missing (they still get no payslip)."),
    company: Optional[str] = typer.Option(None, "--company", help="Company name printed on payslips (default: the [company] table of the settings file, or the name an earlier run into --out kept; a run without one is refused)."),
    templates: Optional[Path] = typer.Option(None, "--templates", help="Folder with your own payslip templates."),
    encrypt_with: Optional[str] = typer.Option(None, "--encrypt-with", help="Roster column holding a password for encrypted copies."),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file (otherwise WECOM_* environment variables)."),
    workers: Optional[int] = WorkersOpt,
    executor: Optional[str] = ExecutorOpt,
    lang: Optional[str] = typer.Option(None, "--lang", help="Payslip language: zh or en (default: the company folder's, else zh)."),
    allow_incomplete: bool = IncompleteOpt,
    previous: Optional[Path] = typer.Option(None, "--previous", file_okay=False, help="The previous month's finished run: its results/ledger.csv closing is this month's opening (default: the folder of the previous month beside --out)."),
    opening: Optional[Path] = typer.Option(None, "--opening", dir_okay=False, help="Opening balances CSV/XLSX (userid, key, value) for the first month of a chain."),
    snapshot_from: Optional[Path] = typer.Option(None, "--snapshot-from", file_okay=False, help="Reuse this run's WeCom snapshot instead of fetching (a rerun that fixes the roster or pack)."),
    payslips: bool = typer.Option(True, "--payslips/--no-payslips", help="--no-payslips: a trial run (试算) with every result and the ledger but no PDFs."),
    bank_map: Optional[str] = BankMapOpt,
    iit_version: Optional[str] = typer.Option(None, "--iit-version", help="Version of the tax sheet's column map (templates/exports/iit-wages.yaml; default: its current one; [payroll] iit_version)."),
    stream: bool = StreamOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Fetch the month from WeCom (WECOM_API_BASE), compute it and write the run folder.

    Inside a company folder (`payroll init`) only --month is needed."""
    from engine.executor import parse_executor
    from engine.pipeline import default_pack, run_month

    try:
        spec = parse_executor(executor, workers)
        found = company_commands.folder_defaults(
            month, roster=roster, rules=rules, out_dir=out_dir, config=config,
            company=company, lang=lang, templates=templates, bank_map=bank_map,
            iit_version=iit_version)
        company_commands.say_folder(found)
        # a reused snapshot holds a finished fetch: no month-ended check for it
        period, settings = _closed_month(month, allow_incomplete or snapshot_from is not None,
                                         found["config"])
        outcome = run_month(period, found["roster"], found["rules"] or default_pack(),
                            found["out_dir"], config=found["config"], settings=settings,
                            force=force, company=found["company"],
                            template_dir=found["templates"], logo=found["logo"],
                            names=found["names"],
                            encrypt_with=encrypt_with, executor=spec, lang=found["lang"],
                            progress=for_terminal(quiet), previous=previous, opening=opening,
                            snapshot_from=snapshot_from, payslips=payslips,
                            bank_map=found["bank_map"], iit_version=found["iit_version"],
                            stream_payslips=stream)
    except PayrollError as exc:
        _fail(exc)
    _finish(outcome, allow_errors)


@app.command()
def fetch(
    month: str = MonthOpt,
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Run folder; the snapshot goes to its snapshot/ (default: the company folder's runs/MONTH)."),
    roster: Optional[Path] = typer.Option(None, "--roster", exists=True, help="Fetch these userids (default: the company folder's roster, else the whole directory)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file (otherwise WECOM_* environment variables)."),
    allow_incomplete: bool = IncompleteOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Fetch and store the raw month (resumes an interrupted fetch)."""
    from engine.pipeline import fetch_only

    try:
        found = company_commands.folder_defaults(month, roster=roster, out_dir=out_dir,
                                                 config=config, optional_roster=True)
        period, settings = _closed_month(month, allow_incomplete, found["config"])
        report = fetch_only(period, found["out_dir"], roster=found["roster"],
                            config=found["config"], settings=settings,
                            progress=for_terminal(quiet))
    except PayrollError as exc:
        _fail(exc)
    _fetch_summary(report)


@app.command()
def simulator(
    port: int = typer.Option(8080, "--port", help="Port on 127.0.0.1 (0: any free port)."),
    employees: int = typer.Option(60, "--employees", min=1),
    seed: int = typer.Option(1, "--seed"),
    window: float = typer.Option(60.0, "--window", help="Rate-limit window in seconds."),
    roster_out: Optional[Path] = typer.Option(None, "--roster-out", help="Write the matching roster CSV here."),
    chaos: bool = typer.Option(False, "--chaos", help="Shorthand for --error-rate 0.05."),
    error_rate: float = typer.Option(0.0, "--error-rate", min=0.0, max=1.0, help="Share of data calls answered -1/301022/301070."),
    latency: float = typer.Option(0.0, "--latency", min=0.0, help="Seconds added to every answer."),
    truncate_rate: float = typer.Option(0.0, "--truncate-rate", min=0.0, max=1.0, help="Share of answers cut in half."),
    reset_rate: float = typer.Option(0.0, "--reset-rate", min=0.0, max=1.0, help="Share of connections closed without an answer."),
    revoke_after: Optional[int] = typer.Option(None, "--revoke-after", min=1, help="Revoke all tokens once after this many data calls."),
    token_lifetime: int = typer.Option(7200, "--token-lifetime", min=1, help="expires_in of new tokens, seconds."),
    invisible: int = typer.Option(0, "--invisible", min=0, help="Directory users outside the app's visible range."),
    departed: list[str] = typer.Option([], "--departed", help="A userid on the roster but not in the directory (repeatable)."),
    deny: list[str] = typer.Option([], "--deny", help="An endpoint the app may not call, answered 48002, e.g. checkin/getcheckin_monthdata (repeatable)."),
    untrusted_ip: bool = typer.Option(False, "--untrusted-ip", help="Answer every data call 60020 (caller not in 企业可信IP)."),
    echo_secrets: bool = typer.Option(False, "--echo-secrets", help="Repeat the token and the secret in every errmsg and in record fields (tests redaction)."),
    left: list[str] = typer.Option([], "--left", help="A userid that left after the month was fetched: message/send calls it invalid (repeatable)."),
    unlicensed: list[str] = typer.Option([], "--unlicensed", help="A member without a licence: message/send lists it in unlicenseduser (repeatable)."),
    log: bool = typer.Option(False, "--log", help="Log every request to stderr."),
) -> None:
    """Serve a simulated WeCom API on loopback until interrupted."""
    from engine.wecom.simulator.server import serve as serve_simulator
    from engine.wecom.simulator import Faults, SimConfig

    faults = Faults(error_rate=max(error_rate, 0.05 if chaos else 0.0), latency=latency,
                    truncate_rate=truncate_rate, reset_rate=reset_rate,
                    revoke_after=revoke_after, echo_secrets=echo_secrets, seed=seed)
    config = SimConfig(employees=employees, seed=seed, window_seconds=window, port=port,
                       faults=faults, token_lifetime=token_lifetime, invisible=invisible,
                       departed=tuple(departed), denied=tuple(deny),
                       untrusted_ip=untrusted_ip, left=tuple(left),
                       unlicensed=tuple(unlicensed), log_requests=log)
    try:
        serve_simulator(config, roster_out=roster_out, say=err.print)
    except PayrollError as exc:
        _fail(exc)


@rules_app.command("check")
def rules_check(pack: Path = typer.Argument(..., help="Rule pack YAML.")) -> None:
    """Load and validate a pack; print its rules, parameters and checks."""
    from engine.rules.loader import load_pack

    try:
        loaded = load_pack(pack)
    except PayrollError as exc:
        _fail(exc)
    info = loaded.info
    out.print(f"[green]ok[/] {info.name} {info.version} sha256 {info.sha256[:16]}… "
              f"({len(loaded.rules)} rules, {len(loaded.parameters)} parameters, "
              f"{len(loaded.checks)} checks)")
    _pack_tables(loaded)


def _pack_tables(pack) -> None:
    """The pack as the engine understood it: rules in order, dated parameters, checks."""
    rules = Table(title="rules (in order)")
    for column in ("code", "category", "label", "unit", "formula"):
        rules.add_column(column, overflow="fold")
    for rule in pack.rules:
        rules.add_row(rule.code, rule.category, rule.label, rule.unit, rule.formula_text)
    params = Table(title="parameters (value from each date on)")
    for column in ("name", "label", "unit", "values", "reference"):
        params.add_column(column, overflow="fold")
    for name, param in pack.parameters.items():
        values = ", ".join(f"{day}: {value}" for day, value in sorted(param.values.items()))
        params.add_row(name, param.label, param.unit, values, param.reference)
    checks = Table(title="checks")
    for column in ("code", "severity", "when", "reference"):
        checks.add_column(column, overflow="fold")
    for check in pack.checks:
        checks.add_row(check.code, check.severity, check.when.source, check.reference)
    for table in (rules, params, checks):
        out.print(table)


@rules_app.command("test")
def rules_test(pack: Path = typer.Argument(..., help="Rule pack YAML.")) -> None:
    """Run the pack's YAML test cases."""
    from engine.rules.cases import run_cases
    from engine.rules.loader import load_pack

    try:
        report = run_cases(load_pack(pack))
    except PayrollError as exc:
        _fail(exc)
    out.print(str(report))
    if report.failed:
        raise typer.Exit(1)


@app.command()
def verify(run_dir: Path = typer.Argument(..., exists=True, file_okay=False, help="Run folder."),
           key: Optional[Path] = typer.Option(None, "--key", exists=True, dir_okay=False, help="Ed25519 public key (PEM): the approval and the manifest must be signed with its private key."),
           render: bool = typer.Option(False, "--render", help="Also render every payslip and the finance summary again and compare byte for byte (as slow as the run's rendering)."),
           passwords: Optional[Path] = typer.Option(None, "--passwords", exists=True, dir_okay=False, help="Roster-like CSV/XLSX with userid and the delivery password column: check the passwords and decrypt every encrypted copy."),
           templates: Optional[Path] = typer.Option(None, "--templates", help="The run's own payslip template folder (for --render)."),
           workers: Optional[int] = WorkersOpt,
           quiet: bool = QuietOpt) -> None:
    """Recompute a run from its snapshot and inputs; check results, payslips, workbook,
    delivery copies, hashes, approval, review and delivery."""
    from engine.audit import verify_run
    from engine.review.signing import load_public_key

    try:
        public_key = load_public_key(key) if key else None
        report = verify_run(run_dir, public_key=public_key, progress=for_terminal(quiet),
                            render=render, passwords=passwords, templates=templates,
                            workers=workers)
    except PayrollError as exc:
        _fail(exc)
    out.print(str(report), highlight=False, markup=False)
    if not report.ok:
        raise typer.Exit(8)


@app.command()
def diff(run_a: Path = typer.Argument(..., exists=True, file_okay=False, help="Earlier run folder."),
         run_b: Path = typer.Argument(..., exists=True, file_okay=False, help="Later run folder.")) -> None:
    """What changed between two runs, per employee and code; exit 1 when they differ
    (like diff(1)), 0 when they are the same."""
    from engine.run.diff import diff as diff_runs

    try:
        report = diff_runs(run_a, run_b)
    except PayrollError as exc:
        _fail(exc)
    out.print(str(report), highlight=False, markup=False)
    if not report.same:
        raise typer.Exit(1)


delivery_commands.register(app)  # review, approve, send: the steps after a run


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
