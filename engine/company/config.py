"""``payroll.toml`` of a company folder: company identity, paths, and the month's run folder.

Read once at the edge by the CLI (``payroll run``/``fetch``/``doctor`` inside a folder)
into a frozen :class:`CompanyFolder`. Unknown keys are errors that name the key meant;
the ``[wecom]`` table is left to :mod:`engine.wecom.settings`, which reads the same file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.errors import ConfigError
from engine.keys import unknown_keys
from engine.period import DEFAULT_TZ, parse_month, previous_month

CONFIG_NAME = "payroll.toml"
SECTIONS = ("company", "payroll", "wecom")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompanySection(_Strict):
    name: str = Field(min_length=1)
    logo: str = ""  # an image file inside the payslip template folder
    address: str = ""  # printed under the company name on payslips
    city: str = ""
    tz: str = DEFAULT_TZ


class PayrollSection(_Strict):
    rules: str = "rules/company.yaml"
    roster: str = "roster.csv"
    runs: str = "runs/{month}"  # the month's run folder; {month} is YYYY-MM
    templates: str = ""  # a folder with the company's own payslip templates
    lang: str = "zh"
    names: str = "wecom"  # the name a payslip prints: WeCom's, or the roster's
    bank_map: str = ""  # the bank file's column map: a built-in name (generic, cmb) or a file
    iit_version: str = ""  # the tax sheet's template version (default: the map's current one)

    @field_validator("names")
    @classmethod
    def _names(cls, value: str) -> str:
        if value not in ("wecom", "roster"):
            raise ValueError("must be wecom or roster")
        return value

    @field_validator("runs")
    @classmethod
    def _has_month(cls, value: str) -> str:
        if "{month}" not in value:
            raise ValueError("must contain {month}, e.g. runs/{month}")
        return value

    @field_validator("lang")
    @classmethod
    def _lang(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError("must be zh or en")
        return value


class CompanyFolder(BaseModel):
    """A company folder, its settings resolved to absolute paths."""

    model_config = ConfigDict(frozen=True)

    root: Path
    company: CompanySection
    payroll: PayrollSection

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def rules(self) -> Path:
        return self.root / self.payroll.rules

    @property
    def roster(self) -> Path:
        return self.root / self.payroll.roster

    @property
    def bank_map(self) -> str | Path | None:
        """A built-in map's name as it is, a file relative to the folder."""
        from engine.exports.maps import BANK_MAPS

        name = self.payroll.bank_map
        if not name or name in BANK_MAPS:
            return name or None
        return self.root / name

    @property
    def templates(self) -> Path | None:
        return self.root / self.payroll.templates if self.payroll.templates else None

    def run_dir(self, month: str) -> Path:
        """The month's run folder (``runs/2026-10`` by default)."""
        return self.root / self.payroll.runs.format(month=parse_month(month).month)

    def previous_run(self, month: str) -> Path | None:
        """Last month's finished run folder, if there is one (the ledger's predecessor)."""
        period = parse_month(month)
        folder = self.run_dir(previous_month(period.first_day))
        return folder if (folder / "manifest.json").is_file() else None


def _explain(exc: ValidationError, path: Path) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if err["type"] == "extra_forbidden":
            continue  # reported with the key meant, see _check_keys
        where = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else ".".join(loc)
        parts.append(f"{where}: {err['msg']}")
    return f"{path}: " + "; ".join(parts)


def _check_keys(data: dict[str, Any], path: Path) -> None:
    problems = unknown_keys(f"{path}", data, SECTIONS)
    for section, model in (("company", CompanySection), ("payroll", PayrollSection)):
        table = data.get(section)
        if isinstance(table, dict):
            problems += unknown_keys(f"[{section}] of {path}", table, model.model_fields)
    if problems:
        raise ConfigError("; ".join(problems))


def load_folder(root: Path) -> CompanyFolder:
    """The company folder at ``root`` (its ``payroll.toml`` must exist)."""
    root = root.resolve()
    path = root / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found (create a company folder with `payroll init`)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    _check_keys(data, path)
    try:
        return CompanyFolder(root=root, company=CompanySection.model_validate(data.get("company", {})),
                             payroll=PayrollSection.model_validate(data.get("payroll", {})))
    except ValidationError as exc:
        raise ConfigError(_explain(exc, path)) from None


def find_folder(start: Path) -> CompanyFolder | None:
    """The company folder containing ``start`` (it or a parent holds ``payroll.toml``)."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return load_folder(folder)
    return None
