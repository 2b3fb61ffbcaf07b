"""The run folder's lock: one run at a time, the holder named, stale locks reported.

Unit tests on ``lock_run_folder`` with a second real process holding the lock, and the
acceptance case run as a user would: two ``payroll run`` with different rosters started
together on one ``--out`` against the simulator over loopback HTTP. Exactly one writes
the folder; the other exits 7 naming the holder's pid and start; the folder verifies and
holds only the winner's roster.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import RunFolderError
from engine.run.folder import LOCK, list_files, lock_run_folder

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from pathlib import Path
from engine.run.folder import lock_run_folder
with lock_run_folder(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def hold_in_other_process(run_dir: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.corpus("concurrent runs")
def test_a_second_process_is_refused_with_the_holder_named(tmp_path):
    run_dir = tmp_path / "run"
    holder = hold_in_other_process(run_dir)
    try:
        with pytest.raises(RunFolderError) as caught:
            with lock_run_folder(run_dir):
                pass
        assert caught.value.exit_code == 7
        assert f"pid {holder.pid} on " in str(caught.value)
        assert re.search(r"started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(caught.value))
    finally:
        holder.communicate("\n", timeout=30)
    assert not run_dir.exists()  # created by the holder, empty: removed at its end
    with lock_run_folder(run_dir):  # free again
        assert (run_dir / LOCK).is_file()
    assert not run_dir.exists()


def test_lock_is_reentrant_in_one_process_and_not_a_run_file(tmp_path):
    run_dir = tmp_path / "run"
    with lock_run_folder(run_dir):
        (run_dir / "results").mkdir()
        (run_dir / "results" / "a.csv").write_text("x")
        with lock_run_folder(run_dir):  # e.g. the demo around run_month
            assert list_files(run_dir) == ["results/a.csv"]
        record = json.loads((run_dir / LOCK).read_text())
        assert record["pid"] == os.getpid() and record["host"] and record["started"]
    assert not (run_dir / LOCK).exists()
    assert (run_dir / "results" / "a.csv").is_file()


@pytest.mark.corpus("concurrent runs")
def test_a_stale_lock_of_a_dead_process_is_reported_then_taken_over(tmp_path, caplog):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    import socket
    (run_dir / LOCK).write_text(json.dumps({"pid": pid, "host": socket.gethostname(),
                                            "started": "2026-11-01T09:00:00Z"}))
    notes: list[str] = []
    with lock_run_folder(run_dir, on_stale=notes.append):
        assert json.loads((run_dir / LOCK).read_text())["pid"] == os.getpid()
    assert len(notes) == 1
    assert f"pid {pid}" in notes[0] and "2026-11-01T09:00:00Z" in notes[0]
    assert "is no longer running" in notes[0] and "stale lock" in notes[0]
    assert any("stale lock" in r.getMessage() for r in caplog.records)


@pytest.mark.corpus("concurrent runs")
def test_a_killed_run_leaves_a_stale_lock_that_the_next_run_reports(tmp_path):
    run_dir = tmp_path / "run"
    holder = hold_in_other_process(run_dir)
    holder.kill()  # SIGKILL: no cleanup, the kernel drops the flock
    holder.wait(timeout=30)
    notes: list[str] = []
    with lock_run_folder(run_dir, on_stale=notes.append):
        pass
    assert len(notes) == 1 and f"pid {holder.pid}" in notes[0]


def test_a_file_in_the_way_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RunFolderError, match="not a folder"):
        with lock_run_folder(blocker):
            pass


# --- two real `payroll run` on one folder ------------------------------------------------


@pytest.fixture(scope="module")
def slow_simulator():
    from engine.wecom.simulator import Faults, SimConfig, Simulator

    # a little latency per answer keeps the first run busy while the second one starts
    config = SimConfig(employees=8, seed=3, faults=Faults(latency=0.4))
    with Simulator(config) as sim:
        yield sim, {"WECOM_API_BASE": sim.url, "WECOM_CORP_ID": config.corp_id,
                    "WECOM_CORP_SECRET": config.corp_secret}


def start_run(roster: Path, out: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "run", "--month", "2026-10", "--roster",
         str(roster), "--out", str(out), "--company", "测试公司", "--workers", "1", "-q",
         "--allow-errors"], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "250", **env})


@pytest.mark.corpus("concurrent runs")
def test_two_concurrent_runs_on_one_folder(slow_simulator, tmp_path):
    sim, env = slow_simulator
    full = tmp_path / "full.csv"
    sim.company.write_roster(full)
    lines = full.read_text("utf-8").splitlines(keepends=True)
    half = tmp_path / "half.csv"
    half.write_text("".join(lines[: 1 + (len(lines) - 1) // 2]), "utf-8")
    out = tmp_path / "run"
    first = start_run(full, out, env)  # started together: either may win
    second = start_run(half, out, env)
    results = {}
    for name, proc in (("full", first), ("half", second)):
        stdout, stderr = proc.communicate(timeout=600)
        results[name] = (proc.returncode, " ".join((stdout + stderr).split()))
    codes = sorted(code for code, _ in results.values())
    assert codes == [0, 7], results
    winner = next(n for n, (code, _) in results.items() if code == 0)
    loser_text = next(text for code, text in results.values() if code == 7)
    assert "is being written by another run" in loser_text, loser_text
    pid = {"full": first.pid, "half": second.pid}[winner]
    assert re.search(rf"pid {pid} on \S+, started \d{{4}}-", loser_text), loser_text
    assert "Traceback" not in loser_text
    # the folder is the winner's run alone, complete, and verifies
    kept = (out / "inputs" / "roster.csv").read_bytes()
    assert kept == (full if winner == "full" else half).read_bytes()
    assert not (out / LOCK).exists()
    check = subprocess.run([sys.executable, "-m", "engine.cli", "verify", str(out), "-q"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout + check.stderr
