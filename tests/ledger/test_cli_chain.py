"""The chain of months from the command line: --previous found by itself, an unfinished
previous month refused, --opening, --snapshot-from with diff, --no-payslips, verify."""

from __future__ import annotations

import csv
import shutil

import pytest

from tests.test_cli import payroll


@pytest.fixture(scope="module")
def wecom():
    from engine.wecom.simulator import SimConfig, Simulator

    config = SimConfig(employees=5, seed=3, window_seconds=2.0)
    with Simulator(config) as sim:
        yield sim, {"WECOM_API_BASE": sim.url, "WECOM_CORP_ID": config.corp_id,
                    "WECOM_CORP_SECRET": config.corp_secret}


def roster_file(sim, path, salary_of=None):
    sim.company.write_roster(path)
    if salary_of:
        rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
        for row in rows:
            if row["userid"] == salary_of[0]:
                row["monthly_salary"] = salary_of[1]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


def test_help_documents_the_chain_options():
    text = payroll("run", "--help").stdout
    for option in ("--previous", "--opening", "--snapshot-from", "--no-payslips"):
        assert option in text


def test_a_chain_from_the_command_line(wecom, tmp_path):
    sim, env = wecom
    roster = roster_file(sim, tmp_path / "roster.csv")
    runs = tmp_path / "runs"
    first = payroll("run", "--company", "测试公司", "--month", "2026-09", "--roster", str(roster), "--out",
                    str(runs / "2026-09"), "--no-payslips", env=env)
    assert first.returncode == 0, first.stderr
    assert not list((runs / "2026-09" / "payslips").glob("*.pdf"))
    # an unfinished previous month stops the next one
    (runs / "2026-10").mkdir()
    (runs / "2026-10" / "snapshot").mkdir()
    refused = payroll("run", "--company", "测试公司", "--month", "2026-11", "--roster", str(roster), "--out",
                      str(runs / "2026-11"), env=env)
    assert refused.returncode == 2 and "has not finished" in refused.stderr
    shutil.rmtree(runs / "2026-10")
    second = payroll("run", "--company", "测试公司", "--month", "2026-10", "--roster", str(roster), "--out",
                     str(runs / "2026-10"), "--workers", "1", env=env)
    assert second.returncode == 0, second.stderr
    opening = (runs / "2026-10" / "inputs" / "ledger_opening.csv").read_bytes()
    assert opening == (runs / "2026-09" / "results" / "ledger.csv").read_bytes()
    checked = payroll("verify", str(runs / "2026-10"))
    assert checked.returncode == 0, checked.stdout
    assert "2 chained runs" in checked.stdout
    wrong = payroll("run", "--company", "测试公司", "--month", "2026-08", "--roster", str(roster), "--out",
                    str(tmp_path / "x"), "--previous", str(runs / "2026-10"), env=env)
    assert wrong.returncode == 2 and "the month before 2026-08 is 2026-07" in wrong.stderr


def test_a_rerun_from_the_same_snapshot_shows_only_the_fix(wecom, tmp_path):
    sim, env = wecom
    roster = roster_file(sim, tmp_path / "roster.csv")
    userid = next(csv.DictReader(roster.open(encoding="utf-8")))["userid"]
    runs = tmp_path / "runs"
    assert payroll("run", "--company", "测试公司", "--month", "2026-03", "--roster", str(roster), "--out",
                   str(runs / "2026-03"), "--no-payslips", env=env).returncode == 0
    fixed = roster_file(sim, tmp_path / "fixed.csv", (userid, "99999.00"))
    calls = sim.stats.snapshot()["calls"].get("checkin/getcheckin_monthdata")
    rerun = payroll("run", "--company", "测试公司", "--month", "2026-03", "--roster", str(fixed), "--out",
                    str(tmp_path / "fix"), "--snapshot-from", str(runs / "2026-03"),
                    "--no-payslips", env={"WECOM_CORP_ID": "", "WECOM_CORP_SECRET": ""})
    assert rerun.returncode == 0, rerun.stderr
    assert sim.stats.snapshot()["calls"].get("checkin/getcheckin_monthdata") == calls
    diff = payroll("diff", str(runs / "2026-03"), str(tmp_path / "fix")).stdout
    rows = [line.split() for line in diff.splitlines() if line.startswith("  ")]
    assert rows and all(r[1] == userid for r in rows if r[0] != "summary"), diff


def test_a_bad_opening_file_stops_the_run_listing_every_row(wecom, tmp_path):
    sim, env = wecom
    roster = roster_file(sim, tmp_path / "roster.csv")
    opening = tmp_path / "opening.csv"
    opening.write_text("userid,key,value\nu1,nope,1\nu1,comp_h,x\n", "utf-8")
    result = payroll("run", "--company", "测试公司", "--month", "2026-07", "--roster", str(roster), "--out",
                     str(tmp_path / "o"), "--opening", str(opening), env=env)
    assert result.returncode == 3
    assert "unknown key 'nope'" in result.stderr and "line 3" in result.stderr
