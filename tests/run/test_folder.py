"""Run folder primitives: atomic writes, finished runs protected, paths kept inside."""

import os

import pytest

from engine.errors import RunFolderError
from engine.run.folder import atomic_write, inside, is_finished, list_files, prepare


def test_atomic_write_leaves_no_temp_files(tmp_path):
    atomic_write(tmp_path / "a" / "b.txt", "x")
    atomic_write(tmp_path / "a" / "b.txt", "y")
    assert (tmp_path / "a" / "b.txt").read_text() == "y"
    assert os.listdir(tmp_path / "a") == ["b.txt"]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    atomic_write(target, "old")

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(RunFolderError, match="No space left"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_finished_run_is_refused_without_force(tmp_path):
    run = tmp_path / "run"
    (run / "snapshot").mkdir(parents=True)
    (run / "snapshot" / "s.json").write_text("{}")
    (run / "results").mkdir()
    (run / "manifest.json").write_text("{}")
    assert is_finished(run)
    with pytest.raises(RunFolderError, match="--force"):
        prepare(run)
    prepare(run, force=True)
    assert not is_finished(run) and (run / "snapshot" / "s.json").exists()
    assert not (run / "results").exists()


def test_inside_rejects_escapes(tmp_path):
    assert inside(tmp_path, tmp_path / "payslips" / "a.pdf")
    assert not inside(tmp_path, tmp_path / ".." / "x.pdf")


def test_list_files_is_sorted_and_skips_manifests(tmp_path):
    for name in ("b/2.txt", "a.txt", "manifest.json", "manifest.csv"):
        atomic_write(tmp_path / name, "x")
    assert list_files(tmp_path) == ["a.txt", "b/2.txt"]


def test_leftover_temporaries_are_found_and_removed(tmp_path):
    from engine.run.folder import leftovers, remove_leftovers

    (tmp_path / "payslips").mkdir()
    stale = tmp_path / "payslips" / ".a.pdf.x1y2.part"
    stale.write_bytes(b"half")
    keep = tmp_path / "payslips" / "a.pdf"
    keep.write_bytes(b"%PDF")
    assert leftovers(tmp_path) == [stale]
    remove_leftovers(tmp_path)
    assert not stale.exists() and keep.exists()
