"""The run folder on disk: its layout and atomic writes.

Last stage of the flow and the only place results touch the file system. Every file is
written to a temporary name in its final folder and renamed into place, so a crash never
leaves a half-written file behind; a folder whose ``manifest.json`` exists is a finished
run and is never modified (a rerun needs a new folder or ``force``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.errors import RunFolderError
from engine.files import atomic_write, sha256_bytes, sha256_file

__all__ = ["atomic_write", "sha256_bytes", "sha256_file", "prepare", "inside", "list_files",
           "is_finished", "is_demo", "clear_for_demo"]

SNAPSHOT = "snapshot"
INPUTS = "inputs"
RESULTS = "results"
PAYSLIPS = "payslips"
MANIFEST = "manifest.json"
MANIFEST_CSV = "manifest.csv"
DEMO_MARKER = "demo.json"  # written by ``payroll demo`` only: the folder may be replaced
# Written after the manifest, by later steps, each checked in its own way by verify:
# the approval (it names the manifest's sha256), the review site (its own index) and the
# delivery journal (append-only). They are not files of the run and not in the manifest.
APPROVAL = "approval.json"
APPROVAL_SIG = "approval.sig"
MANIFEST_SIG = "manifest.sig"
REVIEW = "review"
DELIVERY = "delivery"
POST_MANIFEST_FILES = (APPROVAL, APPROVAL_SIG, MANIFEST_SIG)
POST_MANIFEST_DIRS = (REVIEW, DELIVERY)
# what a demo folder may hold (it is replaced whole, its review and delivery included)
_RUN_ENTRIES = (SNAPSHOT, INPUTS, RESULTS, PAYSLIPS, MANIFEST, MANIFEST_CSV, DEMO_MARKER,
                *POST_MANIFEST_FILES, *POST_MANIFEST_DIRS)


def is_finished(run_dir: Path) -> bool:
    return (run_dir / MANIFEST).is_file()


def prepare(run_dir: Path, *, force: bool = False, keep_snapshot: bool = True) -> Path:
    """Make ``run_dir`` ready for a new run.

    A finished run is refused unless ``force``; with ``force`` its derived outputs are
    removed but the snapshot is kept (it is the raw evidence and refetching costs quota).
    An unfinished folder (an interrupted run) is reused so the fetch can resume.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"{run_dir} exists and is not a folder")
    if is_finished(run_dir):
        if not force:
            raise RunFolderError(
                f"{run_dir} holds a finished run (manifest.json exists); choose a new --out "
                "folder or pass --force to recompute it")
        if any((run_dir / DELIVERY).glob("*.jsonl")):
            raise RunFolderError(
                f"{run_dir} has been delivered to employees (delivery/ exists): it is never "
                "recomputed in place; compute the correction into a new --out folder")
        for name in POST_MANIFEST_FILES:  # an approval of the old results means nothing now
            (run_dir / name).unlink(missing_ok=True)
        shutil.rmtree(run_dir / REVIEW, ignore_errors=True)
        for name in (INPUTS, RESULTS, PAYSLIPS):
            shutil.rmtree(run_dir / name, ignore_errors=True)
        for name in (MANIFEST, MANIFEST_CSV):
            (run_dir / name).unlink(missing_ok=True)
        if not keep_snapshot:
            shutil.rmtree(run_dir / SNAPSHOT, ignore_errors=True)
    for name in (INPUTS, RESULTS, PAYSLIPS):
        shutil.rmtree(run_dir / name, ignore_errors=True)
    (run_dir / DEMO_MARKER).unlink(missing_ok=True)  # a real run is never taken for a demo
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def is_demo(run_dir: Path) -> bool:
    """A folder ``payroll demo`` wrote (finished or interrupted): it carries the marker."""
    return (run_dir / DEMO_MARKER).is_file()


def clear_for_demo(run_dir: Path) -> None:
    """Empty ``run_dir`` for a new demo, refusing anything that is not an earlier demo.

    The demo replaces only its own earlier runs; a real run (finished or not) or any other
    non-empty folder is refused (exit 7), so ``payroll demo --out`` can never destroy work.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"{run_dir} exists and is not a folder")
    if not run_dir.exists() or not any(run_dir.iterdir()):
        return
    if not is_demo(run_dir):
        what = "a finished run" if is_finished(run_dir) else "files"
        raise RunFolderError(f"{run_dir} holds {what} that payroll demo did not write; the "
                             "demo only replaces its own earlier runs: choose another --out")
    others = sorted(p.name for p in run_dir.iterdir() if p.name not in _RUN_ENTRIES)
    if others:
        raise RunFolderError(f"{run_dir} is an earlier demo run but also holds "
                             f"{', '.join(others[:5])}; move them or choose another --out")
    for name in _RUN_ENTRIES:
        path = run_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def inside(root: Path, candidate: Path) -> bool:
    """True when ``candidate`` resolves to a path inside ``root`` (no escape via ``..``)."""
    try:
        candidate.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def post_manifest(rel: str) -> bool:
    """A path of the areas written after the manifest (approval, review/, delivery/ and
    the ``review.new``/``review.old`` folders of a review being replaced)."""
    top = rel.split("/", 1)[0]
    return rel in POST_MANIFEST_FILES or "/" in rel and top.split(".", 1)[0] in POST_MANIFEST_DIRS


def list_files(run_dir: Path) -> list[str]:
    """Every regular file of the run, relative, sorted, excluding the manifests themselves
    and the areas written after them (see :func:`post_manifest`)."""
    skip = {MANIFEST, MANIFEST_CSV}
    out = []
    for path in run_dir.rglob("*"):
        rel = path.relative_to(run_dir).as_posix()
        if path.is_file() and rel not in skip and not path.name.endswith(".part") \
                and not post_manifest(rel):
            out.append(rel)
    return sorted(out)
