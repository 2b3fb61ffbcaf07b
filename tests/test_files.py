"""Atomic writes: private until renamed, mode applied, failures leave nothing behind."""

import os
import stat

import pytest

from engine.errors import RunFolderError
from engine.files import atomic_write, sha256_bytes, sha256_file


def test_mode_is_applied(tmp_path):
    path = atomic_write(tmp_path / "secret.json", "{}", mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path = atomic_write(tmp_path / "public.csv", "a", fsync=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_unwritable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RunFolderError, match="cannot write"):
        atomic_write(blocker / "child.txt", "x")


def test_hashes_agree(tmp_path):
    path = atomic_write(tmp_path / "a.bin", b"abc" * 1000)
    assert sha256_file(path) == sha256_bytes(b"abc" * 1000)
    assert os.listdir(tmp_path) == ["a.bin"]
