"""Golden files of the tests: ``UPDATE_GOLDEN=1 pytest …`` rewrites them after an intended
change (review the diff before committing them)."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest


def check_golden(folder: Path, name: str, data: bytes, encoding: str = "utf-8") -> None:
    """``data`` equals ``folder/name``, or the test fails with the first lines of the diff."""
    path = folder / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    assert path.is_file(), f"golden file {name} missing: run with UPDATE_GOLDEN=1"
    want = path.read_bytes()
    if want != data:
        delta = difflib.unified_diff(want.decode(encoding).splitlines(),
                                     data.decode(encoding).splitlines(),
                                     f"golden/{name}", "now", lineterm="", n=1)
        pytest.fail(f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept):\n"
                    + "\n".join(list(delta)[:60]))
