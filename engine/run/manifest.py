"""The manifest: a hash of every file in the run folder, written last.

Closing step of a run. ``manifest.json`` lists each file's sha256 and size with the
engine and dependency versions and the font files the payslips used; ``manifest.csv``
lists each payslip with its userid and net amount for quick reconciliation. Writing the
manifest is what marks a run as finished (see :mod:`engine.run.folder`).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from engine.run.exports import csv_bytes, json_bytes
from engine.run.folder import MANIFEST, MANIFEST_CSV, atomic_write, list_files, sha256_file

DEPENDENCIES = ("pandas", "pyarrow", "openpyxl", "pydantic", "httpx", "jinja2", "weasyprint",
                "pydyf", "fonttools", "pikepdf", "PyYAML", "typer")
PAYSLIP_COLUMNS = ("userid", "file", "sha256", "size", "net", "secure")
NUMERIC = frozenset({"size", "net"})


class FileEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str
    size: int


def engine_version() -> str:
    try:
        return metadata.version("wecom-payroll")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def dependency_versions() -> dict[str, str]:
    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def file_entries(run_dir: Path, hashed: Mapping[str, tuple[str, int]] | None = None
                 ) -> list[FileEntry]:
    """Every file of the run with its sha256 and size. ``hashed`` gives (sha256, size) of
    files hashed from the very bytes written to them (the payslips: some hundred megabytes
    for a large month, read again only if their size on disk differs)."""
    hashed = hashed or {}
    entries = []
    for rel in list_files(run_dir):
        size = (run_dir / rel).stat().st_size
        known = hashed.get(rel)
        digest = known[0] if known is not None and known[1] == size else sha256_file(run_dir / rel)
        entries.append(FileEntry(path=rel, sha256=digest, size=size))
    return entries


def build(run_dir: Path, *, run_id: str, month: str, fonts: Sequence[dict[str, str]] = (),
          extra: dict[str, Any] | None = None,
          hashed: Mapping[str, tuple[str, int]] | None = None) -> dict[str, Any]:
    return {
        "format": "wecom-payroll-run/1",
        "run_id": run_id,
        "month": month,
        "engine": {"name": "wecom-payroll", "version": engine_version()},
        "dependencies": dependency_versions(),
        "fonts": list(fonts),
        **(extra or {}),
        "files": [e.model_dump() for e in file_entries(run_dir, hashed)],
    }


def write(run_dir: Path, manifest: dict[str, Any], payslips: Sequence[dict[str, str]]) -> None:
    """Write ``manifest.csv`` then ``manifest.json`` (the latter marks the run finished)."""
    atomic_write(run_dir / MANIFEST_CSV, csv_bytes(payslips, PAYSLIP_COLUMNS, NUMERIC))
    atomic_write(run_dir / MANIFEST, json_bytes(manifest))


def read(run_dir: Path) -> dict[str, Any]:
    import json

    return json.loads((run_dir / MANIFEST).read_text("utf-8"))
