"""The run folder on disk: its layout, atomic writes and the lock of a run in progress.

Last stage of the flow and the only place results touch the file system. Every file is
written to a temporary name in its final folder and renamed into place, so a crash never
leaves a half-written file behind; a folder whose ``manifest.json`` exists is a finished
run and is never modified (a rerun needs a new folder or ``force``).

While a run writes a folder it holds an exclusive ``flock`` on ``RUN/.payroll.lock``
(:func:`lock_run_folder`); the file names the holder (pid, host, start time), so a second
run into the same folder is refused with that name. The kernel drops the lock when its
process dies, so a lock file whose lock is free is stale: it is reported, then taken
over. The lock file is removed when the run ends and is never part of the manifest.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from engine.errors import RunFolderError
from engine.files import atomic_write, sha256_bytes, sha256_file

__all__ = ["atomic_write", "sha256_bytes", "sha256_file", "prepare", "inside", "list_files",
           "is_finished", "is_demo", "clear_for_demo", "lock_run_folder", "LOCK"]

log = logging.getLogger("engine.run")

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
LOCK = ".payroll.lock"  # held while a run writes the folder; never in the manifest


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
    if not run_dir.exists() or not any(p.name != LOCK for p in run_dir.iterdir()):
        return  # new or empty (the demo's own lock file aside)
    if not is_demo(run_dir):
        what = "a finished run" if is_finished(run_dir) else "files"
        raise RunFolderError(f"{run_dir} holds {what} that payroll demo did not write; the "
                             "demo only replaces its own earlier runs: choose another --out")
    others = sorted(p.name for p in run_dir.iterdir() if p.name not in (*_RUN_ENTRIES, LOCK))
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


def listed_inside(run_dir: Path, path: Path) -> bool:
    """A path named by a manifest stays inside the run folder: relative, no ``..``.

    (Textual on purpose: resolving every one of tens of thousands of paths is slow, and
    the files themselves are found by walking the folder, which never leaves it.)"""
    try:
        rel = PurePosixPath(path.relative_to(run_dir).as_posix())
    except ValueError:
        return False
    return not rel.is_absolute() and ".." not in rel.parts and rel.parts != ()


def post_manifest(rel: str) -> bool:
    """A path of the areas written after the manifest (approval, review/, delivery/ and
    the ``review.new``/``review.old`` folders of a review being replaced)."""
    top = rel.split("/", 1)[0]
    return rel in POST_MANIFEST_FILES or "/" in rel and top.split(".", 1)[0] in POST_MANIFEST_DIRS


def leftovers(run_dir: Path) -> list[Path]:
    """Temporary files of an interrupted write (``.NAME.XXXX.part``) anywhere in the run."""
    return sorted(p for p in run_dir.rglob(".*.part") if p.is_file())


def remove_leftovers(run_dir: Path) -> None:
    """Delete the temporaries an earlier, interrupted attempt left (a crash or a kill
    between writing and renaming); the run holds the folder, so none is in use."""
    for path in leftovers(run_dir):
        path.unlink(missing_ok=True)


def list_files(run_dir: Path) -> list[str]:
    """Every regular file of the run, relative, sorted, excluding the manifests themselves
    and the areas written after them (see :func:`post_manifest`)."""
    skip = {MANIFEST, MANIFEST_CSV, LOCK}
    out = []
    for path in run_dir.rglob("*"):
        rel = path.relative_to(run_dir).as_posix()
        if path.is_file() and rel not in skip and not path.name.endswith(".part") \
                and not post_manifest(rel):
            out.append(rel)
    return sorted(out)


# --- the lock of a run in progress ----------------------------------------------------

_held: dict[Path, int] = {}  # folders this process has locked, with their nesting count
_held_lock = threading.Lock()


def _holder_text(record: dict) -> str:
    return (f"pid {record.get('pid', '?')} on {record.get('host', '?')}, started "
            f"{record.get('started', '?')}")


def _read_record(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096) or b"{}")
    except (OSError, ValueError):
        return {"pid": "?", "host": "?", "started": "? (unreadable lock file)"}
    return data if isinstance(data, dict) else {}


def _pid_alive(pid: object) -> bool:
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except (ValueError, TypeError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _open_locked(path: Path) -> int:
    """An fd of ``path`` holding its exclusive lock, or RunFolderError naming the holder."""
    for _attempt in range(5):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise RunFolderError(f"cannot lock {path.parent}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_record(fd)
            os.close(fd)
            raise RunFolderError(
                f"{path.parent} is being written by another run ({_holder_text(holder)}); "
                "wait for it to finish or choose another --out folder") from None
        try:  # a run that just finished may have removed the file we opened: retry
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise RunFolderError(f"cannot lock {path.parent}: the lock file keeps changing")


def _stale_message(run_dir: Path, record: dict) -> str:
    pid, host = record.get("pid"), record.get("host")
    state = ("is no longer running" if host == socket.gethostname() and not _pid_alive(pid)
             else "no longer holds its lock")
    return (f"{run_dir}: an earlier run ({_holder_text(record)}) ended without releasing "
            f"the folder (killed or crashed; that process {state}); its stale lock is taken "
            "over and the folder is resumed")


@contextmanager
def lock_run_folder(run_dir: Path, *, on_stale: Callable[[str], None] | None = None
                    ) -> Iterator[Path]:
    """Hold the run folder's exclusive lock for the ``with`` block (re-entrant per process).

    A second process is refused with :class:`RunFolderError` (exit 7) naming the holder.
    A stale lock left by a dead run is reported through ``on_stale`` (and the
    ``engine.run`` logger), never broken silently. A folder created here and still empty
    at the end is removed again, so a refused or failed start leaves nothing behind.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunFolderError(f"{run_dir} exists and is not a folder")
    key = run_dir.resolve()
    with _held_lock:
        if key in _held:
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield run_dir
        finally:
            with _held_lock:
                _held[key] -= 1
        return
    created = not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunFolderError(f"cannot create {run_dir}: {exc.strerror}") from exc
    path = run_dir / LOCK
    try:
        fd = _open_locked(path)
    except RunFolderError:
        _remove_if_empty(run_dir, created)
        raise
    try:
        previous = _read_record(fd)
        if previous:
            message = _stale_message(run_dir, previous)
            log.warning("%s", message)
            if on_stale:
                on_stale(message)
        _write_record(fd)
        with _held_lock:
            _held[key] = 1
        yield run_dir
    finally:
        with _held_lock:
            _held.pop(key, None)
        path.unlink(missing_ok=True)  # still holding the lock: nobody can take it between
        os.close(fd)
        _remove_if_empty(run_dir, created)


def _write_record(fd: int) -> None:
    record = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(record) + "\n").encode())
    os.fsync(fd)


def _remove_if_empty(run_dir: Path, created: bool) -> None:
    """A folder this lock created and nobody wrote a file into is removed again."""
    if created and run_dir.is_dir() and not any(
            p.is_file() or p.is_symlink() for p in run_dir.rglob("*")):
        shutil.rmtree(run_dir, ignore_errors=True)


@contextmanager
def removed_if_left_empty(run_dir: Path) -> Iterator[None]:
    """A run that fails before fetching anything leaves no folder it created: nothing but
    its copies of the inputs (``inputs/``, made before the fetch and made again by the
    next run) would be in it."""
    existed = run_dir.exists()
    try:
        yield
    except BaseException:
        inputs = run_dir / INPUTS
        if not existed and run_dir.is_dir() and not any(
                (p.is_file() or p.is_symlink()) and inputs not in p.parents
                for p in run_dir.rglob("*")):
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
