"""Writing files so that a crash never leaves half of one: used by every stage that writes.

A file is written to a temporary name in its final folder and renamed over the target
(``os.replace`` is atomic on one file system). The temporary file is created private
(0600) and only then given its final mode, so a secret file is never readable by others,
not even for a moment.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from engine.errors import RunFolderError


def atomic_write(path: Path, data: bytes | str, *, mode: int = 0o644,
                 fsync: bool = False) -> Path:
    """Write ``data`` to ``path`` via a temp file in the same folder and ``os.replace``."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise RunFolderError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
