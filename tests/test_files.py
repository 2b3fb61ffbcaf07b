"""Atomic writes (private until renamed, nothing left behind) and safe input reads
(special files refused before opening, size caps)."""

import os
import socket
import stat
from pathlib import Path

import pytest

from engine.errors import InputError, RosterError, RulePackError, RunFolderError
from engine.files import (DEFAULT_LIMITS, atomic_write, parse_size_limits, read_input,
                          set_size_limits, sha256_bytes, sha256_file, size_limit, size_limits)
from engine.roster import read_file as read_rows
from engine.rules.loader import load_pack
from engine.wecom.snapshot import SnapshotStore


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


# --- reading untrusted inputs ---------------------------------------------------------

def special_files(tmp_path):
    """Every kind of path that is not a regular file, as (label, path)."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    link = tmp_path / "link.csv"
    link.symlink_to(fifo)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    return sock, [("FIFO", fifo), ("a FIFO", link), ("character device", Path("/dev/zero")),
                  ("character device", Path("/dev/null")), ("folder", folder),
                  ("socket", sock_path)]


@pytest.mark.corpus("special files", cases=6)
@pytest.mark.parametrize("reader", ["pack", "roster", "snapshot", "raw"])
def test_special_files_are_refused_before_opening(tmp_path, reader):
    sock, cases = special_files(tmp_path)
    try:
        for label, path in cases:
            with pytest.raises(InputError) as caught:
                if reader == "pack":
                    load_pack(path)
                elif reader == "roster":
                    read_rows(path)
                elif reader == "snapshot":
                    SnapshotStore(path.parent).read(path.name)
                else:
                    read_input(path, "pack")
            assert label in str(caught.value), str(caught.value)
            assert str(path) in str(caught.value) or str(path.resolve()) in str(caught.value)
            assert "must be a regular file" in str(caught.value)
            expected = {"pack": RulePackError, "roster": RosterError}.get(reader, InputError)
            assert isinstance(caught.value, expected)
    finally:
        sock.close()


def test_size_caps_refuse_and_can_be_raised(tmp_path):
    big = tmp_path / "roster.csv"
    big.write_bytes(b"userid,monthly_salary\n" + b"u,1\n" * 1000)
    with size_limits(roster=1024):
        with pytest.raises(RosterError, match=r"larger than its cap .*--max-file-size roster="):
            read_rows(big)
    assert len(read_rows(big).rows) == 1000
    assert size_limit("roster") == DEFAULT_LIMITS["roster"]
    with size_limits(pack=100), pytest.raises(RulePackError, match="larger than its cap"):
        load_pack(Path(__file__).resolve().parents[1] / "rules" / "cn-default.yaml")


def test_size_limit_text():
    assert parse_size_limits("roster=1GB, pack=16mb,snapshot=10") == {
        "roster": 1 << 30, "pack": 16 << 20, "snapshot": 10}
    with pytest.raises(Exception, match="KIND=SIZE"):
        parse_size_limits("roster")
    with pytest.raises(Exception, match="unknown file kind"):
        set_size_limits("photos=1MB")
    with pytest.raises(Exception, match="KIND=SIZE"):
        parse_size_limits("roster=1TB")


def test_missing_input_is_named(tmp_path):
    with pytest.raises(RosterError, match="roster file not found"):
        read_rows(tmp_path / "nope.csv")


def test_chunks_are_written_as_one_file_and_a_failing_producer_leaves_nothing(tmp_path):
    target = tmp_path / "out.csv"
    atomic_write(target, (part for part in ("a,b\n", b"1,2\n", "三,4\n")))
    assert target.read_bytes() == "a,b\n1,2\n三,4\n".encode()

    def broken():
        yield b"half a file\n"
        raise ValueError("the rows ran out")

    with pytest.raises(ValueError):
        atomic_write(target, broken())
    assert target.read_bytes() == "a,b\n1,2\n三,4\n".encode()  # the old file stays whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temp file left


def test_an_input_is_read_whole_at_its_size_and_still_capped(tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_bytes(b"x" * 5000)
    assert read_input(path, "snapshot") == b"x" * 5000
    with size_limits(snapshot=4999), pytest.raises(InputError, match="larger than its cap"):
        read_input(path, "snapshot")


@pytest.mark.corpus("special files")
def test_a_fifo_token_cache_is_ignored_not_waited_on(tmp_path):
    from engine.wecom.auth import TokenCache

    fifo = tmp_path / "tokens.json"
    os.mkfifo(fifo)
    cache = TokenCache("app", lambda: ("fresh-token-123", 7200), path=fifo)
    assert cache.get() == "fresh-token-123"  # no hang on open; the FIFO is replaced
    assert fifo.is_file()
