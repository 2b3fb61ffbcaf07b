"""The review site: static pages inside the run folder, openable offline.

After the run folder, before the approval. ``write_site`` recomputes the month from the
folder's own evidence (as ``payroll verify`` does), cuts it into chunks (``data``) and
writes ``review/``: ``index.html`` with its script and style, ``data/*.js`` and
``index.json``, which names the manifest the site was built from and the sha256 of every
file of the site (``check`` is how ``payroll verify`` proves the site). The folder is
built beside the old one and swapped in, so an interrupted write leaves the old site.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from engine.files import atomic_write, sha256_bytes, sha256_file
from engine.run.cells import read_csv
from engine.run.compare import Difference, difference
from engine.run.folder import MANIFEST, MANIFEST_CSV, REVIEW
from engine.review.data import build

ASSETS = ("index.html", "app.js", "app.css")
INDEX = "index.json"


def _asset(name: str) -> bytes:
    return resources.files("engine.review").joinpath("assets", name).read_bytes()


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    return read_csv(path)[1]  # the original values: formula-safe quotes undone


def _facts(run_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    from engine.delivery.service import status
    from engine.review import approval

    summary = json.loads((run_dir / "results" / "summary.json").read_text("utf-8"))
    record = approval.read(run_dir)
    try:
        delivery = status(run_dir).to_json() if (run_dir / "delivery").exists() else None
    except (OSError, ValueError):
        delivery = None
    return {"run_id": manifest.get("run_id", ""), "company": manifest.get("company", ""),
            "totals": summary.get("totals", {}), "problems": summary.get("problems", {}),
            "approval": {k: record.get(k) for k in ("approved_by", "approved_at", "note")}
            if record else None,
            "approval_valid": bool(record) and not approval.check(run_dir),
            "delivery": delivery}


def site_files(run_dir: Path, previous: Path | None = None) -> dict[str, bytes]:
    """Every file of ``review/`` (relative path → bytes) for the run as it is now."""
    from engine.run.diff import diff
    from engine.run.recompute import recompute

    manifest = json.loads((run_dir / MANIFEST).read_text("utf-8"))
    again = recompute(run_dir, manifest)
    payslips = {r["userid"]: r["file"] for r in _rows(run_dir / MANIFEST_CSV)}
    changes = [c.model_dump() for c in diff(previous, run_dir).changes] if previous else None
    facts = _facts(run_dir, manifest)
    if previous:
        facts["previous"] = str(previous.name)
    data = build(again.result, _rows(run_dir / "results" / "problems.csv"), facts, payslips,
                 changes)
    files = {name: _asset(name) for name in ASSETS}
    files.update({f"data/{name}": body for name, body in data.items()})
    index = {"format": "wecom-payroll-review/1",
             "manifest_sha256": sha256_file(run_dir / MANIFEST),
             "files": {name: sha256_bytes(body) for name, body in sorted(files.items())}}
    files[INDEX] = (json.dumps(index, indent=1, sort_keys=True) + "\n").encode()
    return files


def write_site(run_dir: Path, previous: Path | None = None) -> Path:
    """Write (or replace) ``review/``; returns its ``index.html``."""
    files = site_files(run_dir, previous)
    new, old, target = run_dir / f"{REVIEW}.new", run_dir / f"{REVIEW}.old", run_dir / REVIEW
    shutil.rmtree(new, ignore_errors=True)
    for name, body in files.items():
        atomic_write(new / name, body)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target / "index.html"


def check(run_dir: Path) -> list[Difference]:
    """``review/`` is exactly the site its index lists, built from this manifest."""
    root = run_dir / REVIEW
    out = [difference("extra_file", f"{name}/", "left over from an interrupted review write")
           for name in (f"{REVIEW}.new", f"{REVIEW}.old") if (run_dir / name).exists()]
    if not root.exists():
        return out
    try:
        index = json.loads((root / INDEX).read_text("utf-8"))
        listed: dict[str, str] = dict(index["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return out + [difference("review", f"{REVIEW}/{INDEX}", "missing or unreadable")]
    if index.get("manifest_sha256") != sha256_file(run_dir / MANIFEST):
        out.append(difference("review", f"{REVIEW}/{INDEX}", "built from another manifest: "
                              "run `payroll review` again"))
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    present.discard(INDEX)
    out += [difference("missing_file", f"{REVIEW}/{n}", "listed in review/index.json but "
                       "missing") for n in sorted(set(listed) - present)]
    out += [difference("extra_file", f"{REVIEW}/{n}", "not listed in review/index.json")
            for n in sorted(present - set(listed))]
    out += [difference("changed_file", f"{REVIEW}/{n}", "sha256 differs from review/index.json")
            for n in sorted(set(listed) & present) if sha256_file(root / n) != listed[n]]
    return out
