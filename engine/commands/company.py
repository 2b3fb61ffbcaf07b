"""``payroll init`` and ``payroll doctor``, and how ``run``/``fetch`` find a company folder.

Inside a folder made by ``payroll init`` (its ``payroll.toml`` in the current folder or
a parent), ``payroll run --month M`` takes the roster, rules, settings, company name and
the month's run folder from it; options given on the command line still win.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from engine.commands.shell import err, fail, out
from engine.errors import ConfigError, PayrollError


def init(
    folder: Path = typer.Argument(Path("."), help="Folder to create (or an empty one to fill)."),
    company: Optional[str] = typer.Option(None, "--company", help="Company name for payslips (default: the folder's name)."),
) -> None:
    """Create a company folder: payroll.toml, roster templates, rules with cases, a README."""
    from engine.company.scaffold import init_company
    from engine.pipeline import labour_pack

    name = company or folder.resolve().name
    try:
        written = init_company(folder, name, labour_pack())
    except PayrollError as exc:
        fail(exc)
    for path in written:
        out.print(f"  wrote {path.relative_to(folder.resolve()) if path.is_absolute() else path}",
                  highlight=False)
    out.print(f"Company folder for [bold]{name}[/] ready in {folder}. Next: edit the roster, "
              "set WECOM_CORP_SECRET, `payroll doctor`, then `payroll run --month YYYY-MM`.",
              highlight=False)


def doctor(
    month: Optional[str] = typer.Option(None, "--month", help="Month to ask one report for (default: last month)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Settings file (default: the company folder's payroll.toml)."),
) -> None:
    """Check the company folder and the WeCom app's permissions; say what to fix."""
    from engine.company import find_folder
    from engine.company.doctor import doctor as run_doctor
    from engine.period import previous_month
    from engine.wecom.settings import load_settings

    try:
        folder = find_folder(Path.cwd())
    except PayrollError as exc:
        fail(exc)
    path = config or (folder.config_path if folder else None)
    checks = run_doctor(folder, month or previous_month(date.today()),
                        lambda: load_settings(path))
    table = Table(title=f"payroll doctor {folder.root if folder else '(no company folder)'}")
    for column in ("check", "status", "detail", "what to do"):
        table.add_column(column, overflow="fold")
    colours = {"ok": "green", "warn": "yellow", "fail": "red"}
    for check in checks:
        table.add_row(check.name, f"[{colours[check.status]}]{check.status}[/]", check.detail,
                      check.fix)
    out.print(table)
    failed = [c for c in checks if not c.ok]
    out.print(f"{len(checks) - len(failed)} of {len(checks)} checks passed", highlight=False)
    if failed:
        raise typer.Exit(2)


def folder_defaults(month: str, *, roster: Path | None = None, rules: Path | None = None,
                    out_dir: Path | None = None, config: Path | None = None,
                    company: str | None = None, lang: str | None = None,
                    templates: Path | None = None, optional_roster: bool = False,
                    bank_map: str | None = None, iit_version: str | None = None) -> dict:
    """Fill what the command line left out from the company folder around the current
    directory; without a folder, ``--out`` (and ``--roster`` unless optional) is required."""
    from engine.company import find_folder

    folder = find_folder(Path.cwd())
    if folder is None:
        needed = (("--out", out_dir),) if optional_roster else (("--roster", roster), ("--out", out_dir))
        missing = [name for name, value in needed if value is None]
        if missing:
            raise ConfigError(f"missing option {' and '.join(missing)} (or run inside a company "
                              "folder made by `payroll init`)")
        return {"roster": roster, "rules": rules, "out_dir": out_dir, "config": config,
                "company": company, "lang": lang or "zh", "templates": templates, "logo": None,
                "names": "wecom", "folder": None, "bank_map": bank_map,
                "iit_version": iit_version}
    if roster is None and not folder.roster.is_file():
        raise ConfigError(f"{folder.roster}: roster not found (set [payroll] roster in "
                          f"{folder.config_path})")
    return {"roster": roster or folder.roster, "rules": rules or folder.rules,
            "out_dir": out_dir or folder.run_dir(month), "config": config or folder.config_path,
            "company": company or folder.company.name, "lang": lang or folder.payroll.lang,
            "templates": templates or folder.templates, "logo": folder.company.logo or None,
            "names": folder.payroll.names, "folder": folder,
            "bank_map": bank_map or folder.bank_map,
            "iit_version": iit_version or folder.payroll.iit_version or None}


def say_folder(values: dict) -> None:
    if values["folder"] is not None:
        err.print(f"company folder {values['folder'].root}: roster {values['roster'].name}, "
                  f"rules {values['rules'].name}, run folder {values['out_dir']}", highlight=False)
