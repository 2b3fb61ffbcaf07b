"""Approval: finance signs off a verified run; the one place a wall-clock time is kept.

After the run folder and the review, before delivery. ``approve`` runs the full
``payroll verify`` and only then writes ``approval.json``: who approved, when (UTC, read
at the edge and passed in), the sha256 of ``manifest.json`` (which hashes every file of
the run, so the approval covers every payslip), and the counts and totals approved.
Optionally ``approval.sig`` and ``manifest.sig`` (Ed25519). ``check`` says whether an
approval still holds: an approval is void as soon as any file of the run changed.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engine.errors import RunFolderError, VerifyError
from engine.files import atomic_write, sha256_bytes
from engine.run.compare import Difference, difference
from engine.run.folder import APPROVAL, APPROVAL_SIG, MANIFEST, MANIFEST_CSV, MANIFEST_SIG

FORMAT = "wecom-payroll-approval/1"


def _json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def read(run_dir: Path) -> dict[str, Any] | None:
    """The approval, or None when the run has none (or it is unreadable)."""
    try:
        data = json.loads((run_dir / APPROVAL).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def build(run_dir: Path, *, by: str, note: str, now: datetime,
          checked: dict[str, int], key_id: str = "") -> dict[str, Any]:
    """The approval record for the run as it is on disk now."""
    manifest = json.loads((run_dir / MANIFEST).read_text("utf-8"))
    summary = json.loads((run_dir / "results" / "summary.json").read_text("utf-8"))
    payslips = max(0, len((run_dir / MANIFEST_CSV).read_text("utf-8").splitlines()) - 1)
    record = {
        "format": FORMAT, "run_id": manifest.get("run_id", ""),
        "month": manifest.get("month", ""),
        "approved_by": by, "note": note,
        "approved_at": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "manifest_sha256": sha256_bytes((run_dir / MANIFEST).read_bytes()),
        "manifest_csv_sha256": sha256_bytes((run_dir / MANIFEST_CSV).read_bytes()),
        "counts": {"employees": summary.get("employees", 0), "payslips": payslips,
                   "by_status": summary.get("by_status", {}),
                   "problems": summary.get("problems", {})},
        "totals": summary.get("totals", {}), "verified": checked,
    }
    if key_id:
        record["signature"] = {"algorithm": "ed25519", "key_id": key_id,
                               "files": [APPROVAL_SIG, MANIFEST_SIG]}
    return record


def write(run_dir: Path, *, by: str, note: str = "", now: datetime,
          checked: dict[str, int], sign_key: Any = None) -> dict[str, Any]:
    """Write ``approval.json`` (and the signatures with ``sign_key``) for a run the caller
    has just verified (``checked`` are its counts); see ``engine.audit.approve_run``."""
    from engine.review import signing

    if not by.strip():
        raise RunFolderError("an approval needs the approver's name (--by)")
    existing = read(run_dir)
    if existing is not None:
        raise RunFolderError(f"{run_dir} was already approved by {existing.get('approved_by')} "
                             f"at {existing.get('approved_at')}")
    key_id = signing.public_id(sign_key.public_key()) if sign_key is not None else ""
    record = build(run_dir, by=by.strip(), note=note, now=now, checked=checked, key_id=key_id)
    data = _json(record)
    if sign_key is not None:  # signatures first: an approval never claims a missing one
        manifest = (run_dir / MANIFEST).read_bytes()
        atomic_write(run_dir / MANIFEST_SIG, signing.sign(sign_key, manifest))
        atomic_write(run_dir / APPROVAL_SIG, signing.sign(sign_key, data))
    atomic_write(run_dir / APPROVAL, data, fsync=True)
    return record


def check(run_dir: Path, public_key: Any = None) -> list[Difference]:
    """Why the approval does not hold (empty when it does); ``public_key`` also checks
    the signatures. The files themselves are checked against the manifest by verify."""
    from engine.review import signing

    record = read(run_dir)
    if record is None:
        if (run_dir / APPROVAL).exists():
            return [difference("approval", APPROVAL, "unreadable")]
        return [difference("approval", APPROVAL, "missing: the run is not approved")] \
            if public_key is not None else []
    out = []
    for name, key in ((MANIFEST, "manifest_sha256"), (MANIFEST_CSV, "manifest_csv_sha256")):
        found = sha256_bytes((run_dir / name).read_bytes()) if (run_dir / name).is_file() else ""
        if found != record.get(key):
            out.append(difference("approval", APPROVAL, f"{name} changed after the approval",
                                  expected=record.get(key, ""), found=found))
    if public_key is not None:
        out += _check_signatures(run_dir, record, public_key, signing)
    return out


def _check_signatures(run_dir: Path, record: dict[str, Any], public_key: Any,
                      signing: Any) -> list[Difference]:
    out = []
    for name, sig in ((APPROVAL, APPROVAL_SIG), (MANIFEST, MANIFEST_SIG)):
        if not (run_dir / sig).is_file():
            out.append(difference("signature", sig, f"missing: {name} is not signed"))
        elif not signing.check(public_key, (run_dir / name).read_bytes(),
                               (run_dir / sig).read_bytes()):
            out.append(difference("signature", sig, f"does not verify {name} with this key",
                                  expected=signing.public_id(public_key),
                                  found=(record.get("signature") or {}).get("key_id", "")))
    return out


def require(run_dir: Path) -> dict[str, Any]:
    """The approval, or an error saying why the run may not be delivered."""
    record = read(run_dir)
    if record is None:
        raise RunFolderError(f"{run_dir} is not approved: run `payroll approve {run_dir} "
                             "--by NAME` first")
    problems = check(run_dir)
    if problems:
        raise VerifyError(f"the approval of {run_dir} no longer holds: {problems[0]}")
    return record
