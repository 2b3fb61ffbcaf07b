"""`payroll run` on months whose money problems a user meets: a real subprocess per run
against the WeCom simulator over HTTP, checking the exit code, the message, the numbers in
the run folder and that no file was left half-written.

- Statutory-holiday overtime WeCom recorded as comp time is paid at 300 %, not banked, and
  HR is warned to fix the attendance rule.
- A field the pack reads that WeCom left out (``regular_days`` is missing from some answers)
  is a warning naming the employee and field, or stops the employee when the pack says
  ``absent: error``.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from engine.period import parse_month
from tests.test_cli import payroll

MONTH = "2026-10"  # has statutory holidays (国庆)


@pytest.fixture(scope="module")
def wecom():
    from engine.wecom.simulator import SimConfig, Simulator

    config = SimConfig(employees=60, seed=11)
    with Simulator(config) as sim:
        yield sim, {"WECOM_API_BASE": sim.url, "WECOM_CORP_ID": config.corp_id,
                    "WECOM_CORP_SECRET": config.corp_secret}


def find(sim, test) -> list[str]:
    """Userids whose simulated record for the month satisfies ``test``."""
    period = parse_month(MONTH)
    return [u.userid for u in sim.company.users
            if test(sim.company.month_record(u.userid, period.starttime, period.endtime))]


def roster_of(sim, tmp_path: Path, userids: list[str]) -> Path:
    full = tmp_path / "full.csv"
    sim.company.write_roster(full)
    reader = csv.DictReader(io.StringIO(full.read_text("utf-8"), newline=""))
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=reader.fieldnames, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(r for r in reader if r["userid"] in userids)
    path = tmp_path / "roster.csv"
    path.write_text(buffer.getvalue(), "utf-8")
    return path


def run(roster: Path, out: Path, env, *extra: str):
    return payroll("run", "--month", MONTH, "--roster", str(roster), "--out", str(out),
                   "--workers", "1", "--company", "测试科技有限公司", *extra, env=env)


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))


def no_partial_files(root: Path) -> None:
    assert not [p for p in root.rglob("*") if p.name.endswith(".part") or ".tmp" in p.name]


def test_holiday_comp_time_is_paid_at_300_percent_with_a_warning(wecom, tmp_path):
    sim, env = wecom
    banked = find(sim, lambda r: r["overwork_info"].get("holidays_over_as_vacation", 0) > 0)
    assert banked, "the simulated company has holiday overtime recorded as comp time"
    userid = banked[0]
    period = parse_month(MONTH)
    info = sim.company.month_record(userid, period.starttime, period.endtime)["overwork_info"]
    hours = Decimal(info["holidays_over_as_money"] + info["holidays_over_as_vacation"]) / 3600
    out = tmp_path / "run"
    result = run(roster_of(sim, tmp_path, [userid]), out, env)
    assert result.returncode == 0, result.stderr  # a warning: paid as the law says
    lines = [r for r in rows(out / "results/line_items.csv") if r["userid"] == userid]
    (holiday,) = [r for r in lines if r["code"] == "OT_HOLIDAY"]
    assert Decimal(holiday["quantity"]) == hours and holiday["multiplier"] == "3"
    assert not [r for r in lines if r["code"] == "COMP_HOLIDAY"]  # not banked
    (warning,) = [p for p in rows(out / "results/problems.csv")
                  if p["code"] == "HOLIDAY_OT_AS_COMP"]
    assert warning["severity"] == "warning" and warning["userid"] == userid
    assert warning["audience"] == "hr"
    assert "fix the attendance rule" in warning["message"] and "§44(3)" in warning["message"]
    (employee,) = rows(out / "results/employees.csv")
    assert employee["status"] == "ok" and Decimal(employee["comp_hours"]) == \
        Decimal(info["workdays_over_as_vacation"] + info["restdays_over_as_vacation"]) / 3600
    assert len(list((out / "payslips").glob("*.pdf"))) == 1
    no_partial_files(out)


PACK = """\
pack:
  name: reads-regular-days
  extends: {parent}
  cases: []
inputs:
  regular_days: {{source: summary_info.regular_days, unit: count, label: 正常出勤天数{absent}}}
rules:
  - code: INFO_REGULAR_DAYS
    label: 正常出勤天数
    category: info
    quantity: regular_days
    unit: day
"""


def pack_file(tmp_path: Path, absent: str = "") -> Path:
    parent = Path(__file__).resolve().parents[1] / "rules" / "cn-default.yaml"
    path = tmp_path / "pack.yaml"
    path.write_text(PACK.format(parent=parent, absent=f", absent: {absent}" if absent else ""),
                    "utf-8")
    return path


def absent_and_present(sim) -> tuple[str, str]:
    missing = find(sim, lambda r: "regular_days" not in r["summary_info"]
                   and r["base_info"]["acctid"] != "ZhangSan")
    present = find(sim, lambda r: "regular_days" in r["summary_info"])
    assert missing and present
    return missing[0], present[0]


def test_an_absent_field_is_a_warning_naming_employee_and_field(wecom, tmp_path):
    sim, env = wecom
    missing, present = absent_and_present(sim)
    out = tmp_path / "run"
    result = run(roster_of(sim, tmp_path, [missing, present]), out, env,
                 "--rules", str(pack_file(tmp_path)))
    assert result.returncode == 0, result.stderr
    absent = [p for p in rows(out / "results/problems.csv") if p["code"] == "absent_input"]
    assert [(p["userid"], p["field"], p["severity"]) for p in absent] == \
        [(missing, "summary_info.regular_days", "warning")]
    assert "regular_days" in absent[0]["message"] and "INFO_REGULAR_DAYS" in absent[0]["message"]
    no_partial_files(out)


def test_an_absent_field_the_pack_declares_an_error_stops_that_employee(wecom, tmp_path):
    sim, env = wecom
    missing, present = absent_and_present(sim)
    out = tmp_path / "run"
    result = run(roster_of(sim, tmp_path, [missing, present]), out, env,
                 "--rules", str(pack_file(tmp_path, "error")))
    assert result.returncode == 1, result.stderr  # an employee has status=error
    assert missing in result.stdout + result.stderr
    status = {r["userid"]: r["status"] for r in rows(out / "results/employees.csv")}
    assert status == {missing: "error", present: "ok"}
    (problem,) = [p for p in rows(out / "results/problems.csv") if p["code"] == "absent_input"]
    assert problem["userid"] == missing and problem["field"] == "summary_info.regular_days"
    assert problem["severity"] == "error"
    no_partial_files(out)
