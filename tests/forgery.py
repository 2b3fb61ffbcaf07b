"""What a careful forger does to a finished run folder, for the tests that must catch it:
draw an amount over a payslip page (the embedded data left true), then list every file
with its new hash and size so that the manifests agree with the forgery."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf

from engine.files import sha256_file
from engine.run import manifest
from engine.run.cells import read_csv
from engine.run.visible import all_files


def overlay(path: Path, text: bytes = b"(99,999.00) Tj") -> None:
    """Draw an amount over the first page; the embedded data stays as it was."""
    with pikepdf.open(path, allow_overwriting_input=True) as doc:
        page = doc.pages[0]
        font = next(iter(page.Resources.Font.keys()))
        page.contents_add(pikepdf.Stream(doc, b"BT " + font.encode() + b" 14 Tf 300 120 Td "
                                         + text + b" ET"), prepend=False)
        doc.save(path)


def reseal(run_dir: Path) -> None:
    """What a careful forger does last: list every file with its new hash and size."""
    body = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    body["files"] = [{"path": rel, "sha256": sha256_file(run_dir / rel),
                      "size": (run_dir / rel).stat().st_size} for rel in all_files(run_dir)[0]]
    rows = read_csv(run_dir / "manifest.csv")[1]
    for row in rows:
        path = run_dir / row["file"]
        if path.is_file():
            row.update(sha256=sha256_file(path), size=str(path.stat().st_size))
    manifest.write(run_dir, body, rows)
