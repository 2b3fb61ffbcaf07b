"""Acceptance: 1,000 employees delivered through a hostile simulator, with a kill -9.

The simulator runs as ``payroll simulator`` in its own process (real HTTP on loopback)
with transient errors (4 % busy answers, 1 % answers cut off after the message went out),
one token revocation and three employees who left after the month was computed.
``payroll send`` is killed with SIGKILL after about 300 confirmed sends and run again.
The simulator's own inbox count then proves: every valid employee received exactly one
message whose bytes are their approved payslip, the three are failed with the reason,
and nobody received anything twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from engine.audit import approve_run, verify_run
from engine.delivery.plan import deliveries
from engine.pipeline import default_pack, run_month
from engine.wecom.settings import load_settings
from engine.wecom.simulator import SimConfig, Simulator
from tests.delivery.conftest import APPROVED_AT

EMPLOYEES = 1000
PAYROLL = [sys.executable, "-m", "engine.cli"]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


FAST_TEMPLATES = ROOT / "tests" / "fixtures" / "brief-templates"


@pytest.fixture(scope="session")
def big_run(tmp_path_factory) -> Path:
    """A real 1,000-employee month, fetched from the simulator and rendered by the engine
    with a small company template (real PDF/A payslips, a fraction of the default
    template's cost), then approved."""
    run_dir = tmp_path_factory.mktemp("big") / "run"
    config = SimConfig(employees=EMPLOYEES, seed=1)
    with Simulator(config) as sim:
        roster = run_dir.parent / "roster.csv"
        sim.company.write_roster(roster)
        settings = load_settings(environ={}, corp_id=config.corp_id,
                                 corp_secret=config.corp_secret, api_base=sim.url,
                                 agent_id=str(config.agent_id))
        run_month("2026-10", roster, default_pack(), run_dir, settings=settings,
                  template_dir=FAST_TEMPLATES, company="示例科技有限公司")
    approve_run(run_dir, by="财务 王芳", now=APPROVED_AT, templates=FAST_TEMPLATES)
    return run_dir


def _simulator(left: list[str]) -> tuple[subprocess.Popen, str]:
    args = [*PAYROLL, "simulator", "--port", "0", "--employees", str(EMPLOYEES), "--seed", "1",
            "--window", "1", "--error-rate", "0.04", "--truncate-rate", "0.01",
            "--revoke-after", "500"]
    for userid in left:
        args += ["--left", userid]
    proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return proc, found.group(1)
    proc.kill()
    raise AssertionError("the simulator did not start")


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200", "WECOM_API_BASE": url,
            "WECOM_CORP_ID": "ww00000000demo0001", "WECOM_CORP_SECRET": "demo-secret-0001",
            "WECOM_AGENT_ID": "1000002", "WECOM_WINDOW_SECONDS": "1",
            "WECOM_RETRY_INITIAL_SECONDS": "0.01", "WECOM_RETRY_MAX_SECONDS": "0.05"}


def _sent_lines(run_dir: Path) -> int:
    path = run_dir / "delivery" / "deliveries.jsonl"
    if not path.is_file():
        return 0
    return path.read_bytes().count(b'"event":"sent"')


def _kill_after(proc: subprocess.Popen, run_dir: Path, sends: int) -> int:
    deadline = time.monotonic() + 300
    while _sent_lines(run_dir) < sends:
        assert proc.poll() is None, "payroll send ended before it could be killed"
        assert time.monotonic() < deadline, "payroll send is too slow"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return _sent_lines(run_dir)


def test_thousand_employees_exactly_once_through_a_crash(big_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(big_run, run_dir)
    plan = deliveries(run_dir)
    assert len(plan) == EMPLOYEES
    left = [plan[17].userid, plan[480].userid, plan[901].userid]
    sim, url = _simulator(left)
    try:
        env = _env(url)
        send = [*PAYROLL, "send", str(run_dir), "--templates", str(FAST_TEMPLATES)]
        first = subprocess.Popen(send, cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        at_kill = _kill_after(first, run_dir, 300)
        rerun = subprocess.run(send, cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=600)
        status = subprocess.run([*PAYROLL, "send", "--status", str(run_dir)], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
        with urllib.request.urlopen(f"{url}/sim/delivered", timeout=30) as answer:
            inbox = json.loads(answer.read())
    finally:
        sim.terminate()
        sim.wait(timeout=30)
    print(f"sent lines at kill: {at_kill}; rerun: {rerun.stdout.strip()}")
    assert rerun.returncode == 1, rerun.stderr  # 1: some employees failed
    approved = {d.userid: d.sha256 for d in plan}
    valid = set(approved) - set(left)
    assert set(inbox) == valid
    duplicates = sum(len(messages) - 1 for messages in inbox.values())
    assert duplicates == 0
    for userid in valid:
        [message] = inbox[userid]
        assert message["sha256"] == approved[userid]
        assert message["filename"].startswith("工资条-2026-10-")
    assert f"sent {len(valid)}, failed 3, in doubt 0, pending 0" in status.stdout
    for userid in left:
        assert re.search(rf"failed {re.escape(userid)}: errcode 81013", status.stdout)
    assert verify_run(run_dir).ok
