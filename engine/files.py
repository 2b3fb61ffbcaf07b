"""Files at the edges of the flow: reading untrusted inputs safely, writing atomically.

Reading: every input file (rule pack, roster, snapshot answer) goes through
:func:`read_input`, which refuses anything but a regular file *before* opening it (a FIFO
would block the open, ``/dev/zero`` would never end, a folder is no input), opens with
``O_NONBLOCK`` and checks the opened file again (the path could be swapped in between),
and refuses files over a size cap per kind of input. The caps are generous defaults that
a user raises with ``payroll --max-file-size KIND=SIZE`` or ``PAYROLL_MAX_FILE_SIZE``.

Writing: a file is written to a temporary name in its final folder and renamed over the
target (``os.replace`` is atomic on one file system). The temporary file is created
private (0600) and only then given its final mode, so a secret file is never readable by
others, not even for a moment.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import ConfigError, InputError, RunFolderError

MIB = 1 << 20
# Defaults far above any real input (cn-default is ~30 KB, a 100,000-employee roster
# ~10 MB, one answer of 100 employees ~1 MB) and far below what would exhaust memory.
DEFAULT_LIMITS: dict[str, int] = {"pack": 4 * MIB, "roster": 256 * MIB,
                                  "snapshot": 256 * MIB, "answer": 64 * MIB}
_limits: dict[str, int] = dict(DEFAULT_LIMITS)
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "m": MIB, "mb": MIB,
          "g": 1 << 30, "gb": 1 << 30}
_SIZE = re.compile(r"^\s*(\w+)\s*=\s*(\d+)\s*([a-zA-Z]*)\s*$")


def size_limit(kind: str) -> int:
    """The current cap, in bytes, for one kind of input."""
    return _limits[kind]


def set_size_limits(spec: str | dict[str, int]) -> None:
    """Raise or lower caps: ``{"roster": 1 << 30}`` or text ``"roster=1GB,pack=16MB"``."""
    items = parse_size_limits(spec) if isinstance(spec, str) else dict(spec)
    unknown = sorted(set(items) - set(DEFAULT_LIMITS))
    if unknown:
        raise ConfigError(f"unknown file kind {unknown[0]!r} for a size limit; use one of "
                          f"{', '.join(DEFAULT_LIMITS)}")
    _limits.update(items)


def parse_size_limits(text: str) -> dict[str, int]:
    """``"roster=1GB, pack=16MB"`` → bytes per kind (units B, KB, MB, GB; binary)."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        found = _SIZE.match(part)
        if not found or found.group(3).lower() not in _UNITS:
            raise ConfigError(f"bad size limit {part!r}: write KIND=SIZE, e.g. roster=512MB")
        out[found.group(1)] = int(found.group(2)) * _UNITS[found.group(3).lower()]
    return out


@contextmanager
def size_limits(**caps: int) -> Iterator[None]:
    """Temporarily change caps (tests, library callers)."""
    saved = dict(_limits)
    set_size_limits(caps)
    try:
        yield
    finally:
        _limits.clear()
        _limits.update(saved)


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def human_size(size: int) -> str:
    for unit, factor in (("GB", 1 << 30), ("MB", MIB), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"


def read_input(path: Path, kind: str, *, error: type[InputError] = InputError) -> bytes:
    """The bytes of an untrusted input file, or ``error`` naming the path and what is wrong.

    ``kind`` (pack, roster, snapshot) picks the size cap. Nothing is opened before the
    path is known to be a regular file, so a FIFO or a device can never block or flood.
    """
    limit, where = _limits[kind], str(path)
    try:
        before = os.stat(path)  # follows symlinks: a link to a FIFO is refused too
    except FileNotFoundError:
        raise error(f"{kind} file not found", path=where) from None
    except OSError as exc:
        raise error(f"cannot read {kind} file: {exc.strerror}", path=where) from exc
    _check_regular(before, kind, limit, where, error)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"cannot read {kind} file: {exc.strerror}", path=where) from exc
    with os.fdopen(fd, "rb") as handle:
        _check_regular(os.fstat(fd), kind, limit, where, error)  # swapped since the stat?
        # read what the file holds (not a buffer of the cap's size for every small file),
        # then whatever it grew by while read, up to just past the cap
        data = handle.read(min(before.st_size, limit) + 1)
        if len(data) > before.st_size:
            data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        _too_large(kind, len(data), limit, where, error)
    return data


def _check_regular(info: os.stat_result, kind: str, limit: int, where: str,
                   error: type[InputError]) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise error(f"the {kind} must be a regular file, but this is {_kind_of(info.st_mode)}",
                    path=where)
    if info.st_size > limit:
        _too_large(kind, info.st_size, limit, where, error)


def _too_large(kind: str, size: int, limit: int, where: str, error: type[InputError]) -> None:
    raise error(f"{kind} file is larger than its cap ({human_size(size)} > "
                f"{human_size(limit)}); raise the cap with `payroll --max-file-size "
                f"{kind}=SIZE` (or PAYROLL_MAX_FILE_SIZE) if it is genuine", path=where)


def atomic_write(path: Path, data: bytes | str | Iterable[bytes | str], *, mode: int = 0o644,
                 fsync: bool = False) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``.

    ``data`` may be an iterable of chunks (a large export written as it is made, never
    whole in memory); str is written as UTF-8."""
    chunks = [data] if isinstance(data, (bytes, bytearray, memoryview, str)) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:  # a failing chunk producer leaves no temp file either
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
