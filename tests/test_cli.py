"""The `payroll` command as a user runs it: a real subprocess per verb."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PAYROLL = [sys.executable, "-m", "engine.cli"]
ROOT = Path(__file__).resolve().parent.parent


def payroll(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    merged = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([*PAYROLL, *args], capture_output=True, text=True, env=merged,
                          cwd=cwd, timeout=600)


@pytest.mark.parametrize("verb", [[], ["demo"], ["run"], ["fetch"], ["simulator"], ["rules"],
                                  ["rules", "check"], ["rules", "test"], ["verify"], ["diff"],
                                  ["init"], ["doctor"], ["review"], ["approve"], ["send"]])
def test_every_command_has_help(verb):
    result = payroll(*verb, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    # flags show as flags, not as options taking a value
    assert "<bool>" not in result.stdout


def test_demo_from_the_command_line(tmp_path):
    out = tmp_path / "run"
    result = payroll("demo", "--out", str(out), "--employees", "5", "--month", "2026-10", "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "Run folder" in result.stdout
    assert len(list((out / "payslips").glob("*.pdf"))) >= 4
    # not a terminal: plain progress lines, no bar escapes
    assert "\x1b[" not in result.stderr


def test_demo_with_and_without_the_stream_writes_the_same_files(tmp_path):
    import hashlib

    def tree(folder):
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    streamed = payroll("demo", "--out", str(tmp_path / "a"), "--employees", "8", "--month",
                       "2026-10", "--workers", "2")
    assert streamed.returncode == 0, streamed.stderr
    assert "payslips made during the fetch were kept" in streamed.stderr
    alone = payroll("demo", "--out", str(tmp_path / "b"), "--employees", "8", "--month",
                    "2026-10", "--workers", "2", "--no-stream")
    assert alone.returncode == 0, alone.stderr
    assert "made during the fetch" not in alone.stderr
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_run_without_credentials_says_what_is_missing(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("userid,monthly_salary\nu1,1000\n")
    env = {k: "" for k in ("WECOM_CORP_ID", "WECOM_CORP_SECRET")}
    result = payroll("run", "--month", "2026-10", "--roster", str(roster), "--out", str(tmp_path / "o"), env=env)
    assert result.returncode == 2
    assert "WECOM_CORP" in result.stderr


def test_rules_check_and_test_on_the_default_pack():
    assert payroll("rules", "check", "rules/cn-default.yaml").returncode == 0
    result = payroll("rules", "test", "rules/cn-default.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert payroll("rules", "check", "rules/cn-payroll.yaml").returncode == 0
    result = payroll("rules", "test", "rules/cn-payroll.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cn-payroll: 51 passed, 0 failed" in result.stdout


def test_bad_month_is_a_clear_error(tmp_path):
    result = payroll("demo", "--out", str(tmp_path / "x"), "--month", "2026-13")
    assert result.returncode == 2
    assert "YYYY-MM" in result.stderr


@pytest.fixture(scope="module")
def simulator():
    from engine.wecom.simulator import SimConfig, Simulator

    config = SimConfig(employees=6, seed=7, departed=("Gone01",))
    with Simulator(config) as sim:
        yield sim, {"WECOM_API_BASE": sim.url, "WECOM_CORP_ID": config.corp_id,
                    "WECOM_CORP_SECRET": config.corp_secret}


def test_fetch_then_run_against_the_api(simulator, tmp_path):
    sim, env = simulator
    roster = tmp_path / "roster.csv"
    sim.company.write_roster(roster)
    out = tmp_path / "run"
    fetched = payroll("fetch", "--month", "2026-10", "--roster", str(roster), "--out", str(out), env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert "missing Gone01" in fetched.stdout  # departed: reported, not dropped
    calls = sim.stats.snapshot()["calls"]
    result = payroll("run", "--month", "2026-10", "--roster", str(roster), "--out", str(out),
                     "--workers", "1", "--company", "某某科技有限公司", env=env)
    # Gone01 is on the roster but not in WeCom: status missing, named, exit 1
    assert result.returncode == 1, result.stderr
    assert "Gone01" in result.stdout and "could not be paid" in result.stderr
    # the finished batches were not fetched again
    after = sim.stats.snapshot()["calls"]
    assert after.get("checkin/getcheckin_monthdata") == calls.get("checkin/getcheckin_monthdata")
    assert (out / "manifest.json").is_file()
    again = payroll("run", "--month", "2026-10", "--roster", str(roster), "--out", str(out), env=env)
    assert again.returncode == 7 and "--force" in again.stderr
    secret = env["WECOM_CORP_SECRET"]
    for text in (fetched.stdout, fetched.stderr, result.stdout, result.stderr):
        assert secret not in text


def test_simulator_serves_until_interrupted(tmp_path):
    import re
    import signal

    import httpx

    roster = tmp_path / "roster.csv"
    proc = subprocess.Popen([*PAYROLL, "simulator", "--port", "0", "--employees", "4",
                             "--departed", "Gone01", "--roster-out", str(roster)],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "COLUMNS": "200"})
    try:
        url = None
        for _ in range(20):  # the banner comes within a few lines
            line = proc.stderr.readline()
            found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "no URL announced"
        answer = httpx.get(f"{url}/cgi-bin/gettoken",
                           params={"corpid": "ww00000000demo0001", "corpsecret": "wrong"}).json()
        assert answer["errcode"] == 40001
        assert "Gone01" in roster.read_text(encoding="utf-8")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_a_month_not_yet_ended_is_refused(tmp_path):
    from datetime import date

    roster = tmp_path / "r.csv"
    roster.write_text("userid,monthly_salary\nu1,1000\n")
    this_month = date.today().strftime("%Y-%m")
    result = payroll("run", "--month", this_month, "--roster", str(roster), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "has not ended yet" in result.stderr and "--allow-incomplete" in result.stderr


def test_the_month_check_uses_the_time_zone_of_the_config_file(tmp_path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def today(zone):
        return datetime.now(ZoneInfo(zone)).date()

    # UTC-12 or UTC+14: at any hour one of them has another date than Asia/Shanghai
    zone = next(z for z in ("Etc/GMT+12", "Etc/GMT-14") if today(z) != today("Asia/Shanghai"))
    config = tmp_path / "wecom.env"
    config.write_text(f"WECOM_CORP_ID=ww1\nWECOM_CORP_SECRET=s3cret\nWECOM_TZ={zone}\n")
    roster = tmp_path / "r.csv"
    roster.write_text("userid,monthly_salary\nu1,1000\n")
    before = today(zone)
    result = payroll("fetch", "--month", before.strftime("%Y-%m"), "--roster", str(roster),
                     "--out", str(tmp_path / "o"), "--config", str(config))
    assert result.returncode == 2
    # the refusal names today's date in the configured zone, not in Asia/Shanghai
    assert any(f"today is {day}" in result.stderr for day in (before, today(zone)))
    assert "s3cret" not in result.stderr + result.stdout


def test_rules_check_prints_the_rules_parameters_and_checks():
    result = payroll("rules", "check", "rules/cn-default.yaml")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for promised in ("rules (in order)", "parameters", "checks", "BASE_SALARY", "OT_WORKDAY",
                     "MONTH_PAY_DAYS", "21.75", "2008-01-01", "HOLIDAY_OT_AS_COMP", "error"):
        assert promised in text, promised
    # the rules appear in the pack's order
    assert text.index("BASE_SALARY") < text.index("OT_WORKDAY") < text.index("DED_ABSENT")


def test_diff_exits_1_when_runs_differ_like_diff(demo_run, tmp_path):
    import shutil

    same = payroll("diff", str(demo_run), str(demo_run))
    assert same.returncode == 0, same.stdout + same.stderr
    changed = tmp_path / "changed"
    shutil.copytree(demo_run, changed)
    lines = changed / "results" / "line_items.csv"
    text = lines.read_text(encoding="utf-8").splitlines()
    header, first = text[0].split(","), text[1].split(",")
    first[header.index("amount")] = str(__import__("decimal").Decimal(first[header.index("amount")]) + 1)
    lines.write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n", encoding="utf-8")
    differ = payroll("diff", str(demo_run), str(changed))
    assert differ.returncode == 1, differ.stdout + differ.stderr


def test_executor_option_is_checked_before_any_work(tmp_path):
    result = payroll("demo", "--out", str(tmp_path / "run"), "--employees", "2",
                     "--month", "2026-10", "--executor", "ray://x:1")
    assert result.returncode == 2
    assert "--executor must be local, local:N or dask://HOST:PORT" in result.stderr
    assert not (tmp_path / "run").exists()
    result = payroll("demo", "--out", str(tmp_path / "run"), "--employees", "2",
                     "--month", "2026-10", "--executor", "local:1", "--workers", "2")
    assert result.returncode == 2 and "contradicts" in result.stderr
