"""The manifest's file list: every file hashed, reusing only hashes of the bytes written."""

import hashlib

from engine.run.manifest import file_entries


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_file_is_hashed_from_disk(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "a.csv").write_bytes(b"a,b\n")
    (tmp_path / "payslips").mkdir()
    (tmp_path / "payslips" / "x.pdf").write_bytes(b"%PDF-x")
    entries = {e.path: e for e in file_entries(tmp_path)}
    assert entries["results/a.csv"].sha256 == _sha(b"a,b\n")
    assert entries["payslips/x.pdf"].sha256 == _sha(b"%PDF-x")
    assert entries["payslips/x.pdf"].size == 6


def test_a_hash_made_when_written_is_reused_only_for_that_size(tmp_path):
    (tmp_path / "payslips").mkdir()
    (tmp_path / "payslips" / "x.pdf").write_bytes(b"%PDF-x")
    (tmp_path / "payslips" / "y.pdf").write_bytes(b"%PDF-longer")
    written = {"payslips/x.pdf": ("f" * 64, 6),  # the writer's own hash: trusted
               "payslips/y.pdf": ("e" * 64, 6)}  # not the file on disk: hashed again
    entries = {e.path: e for e in file_entries(tmp_path, written)}
    assert entries["payslips/x.pdf"].sha256 == "f" * 64
    assert entries["payslips/y.pdf"].sha256 == _sha(b"%PDF-longer")
    assert entries["payslips/y.pdf"].size == 11
