"""Whose payslip it is: the company name (and optional logo and address) a run prints.

Read at the edge, before a run writes anything: ``--company`` on the command line, else
the company the run folder already keeps (``payroll run --force`` recomputes with the same
name), else the ``[company]`` table of the settings file (``--config payroll.toml`` or
``WECOM_CONFIG``; in a company folder its ``payroll.toml``). A real run without one is
refused: a payslip never shows a placeholder company. The demo passes its sample name.

The identity is kept in the run folder as ``inputs/company.json`` and the manifest's
``company``, so a recompute and ``payroll verify`` print and check the same company.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ConfigError

KEPT = "inputs/company.json"
MISSING = ("no company name for the payslips: pass --company NAME, or set name in the "
           "[company] table of the settings file (--config payroll.toml), e.g.\n"
           "  [company]\n  name = \"某某科技有限公司\"\n  address = \"…\"  # optional")


class CompanyIdentity(BaseModel):
    """What a payslip prints about the employer."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1)
    logo: str | None = None  # an image file inside the payslip template folder
    address: str | None = None

    def kept(self) -> bytes:
        return (json.dumps(self.model_dump(), ensure_ascii=False, indent=2) + "\n").encode()


def _identity(table: Mapping[str, Any], where: str) -> CompanyIdentity:
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in table.items()}
    values = {k: v for k, v in values.items() if v not in ("", None)}
    try:
        return CompanyIdentity.model_validate(values)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{where}: {detail}") from None


def from_settings_file(path: Path | None) -> CompanyIdentity | None:
    """The ``[company]`` table of a TOML settings file, if it has one with a name."""
    if path is None or path.suffix.lower() != ".toml" or not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the settings file: {exc}") from None
    table = data.get("company")
    if not isinstance(table, dict) or not str(table.get("name", "")).strip():
        return None
    return _identity(table, f"[company] of {path}")


def kept_in(run_dir: Path) -> CompanyIdentity | None:
    """The company an earlier run into ``run_dir`` printed (finished or interrupted)."""
    kept = run_dir / KEPT
    try:
        if kept.is_file():
            return _identity(json.loads(kept.read_text("utf-8")), str(kept))
        manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    name = manifest.get("company") if isinstance(manifest, dict) else None
    return CompanyIdentity(name=name) if isinstance(name, str) and name.strip() else None


def resolve(run_dir: Path, *, name: str | None, logo: str | None = None,
            address: str | None = None, settings_file: Path | None = None) -> CompanyIdentity:
    """The run's company, or :class:`ConfigError` (exit 2) when there is none."""
    if name and name.strip():
        found = from_settings_file(settings_file)
        same = found is not None and found.name == name.strip()
        return _identity({"name": name, "logo": logo or (found.logo if same else None),
                          "address": address or (found.address if same else None)},
                         "--company")
    for found in (kept_in(run_dir), from_settings_file(settings_file)):
        if found is not None:
            return found.model_copy(update={k: v for k, v in (("logo", logo),
                                                              ("address", address)) if v})
    raise ConfigError(MISSING)
