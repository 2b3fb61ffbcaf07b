"""`payroll run` and `payroll demo` refusing bad input as a user meets it: a real
subprocess per run, checking the exit code, the message and that nothing was left behind."""

import csv
import io
import json
from pathlib import Path

import pytest

from tests.test_cli import payroll

MONTH = "2026-10"


@pytest.fixture(scope="module")
def wecom():
    from engine.wecom.simulator import SimConfig, Simulator

    config = SimConfig(employees=4, seed=3)
    with Simulator(config) as sim:
        yield sim, {"WECOM_API_BASE": sim.url, "WECOM_CORP_ID": config.corp_id,
                    "WECOM_CORP_SECRET": config.corp_secret}


def roster_rows(sim, tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "sim-roster.csv"
    sim.company.write_roster(path)
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"), newline="")))


def write_roster(path: Path, rows, columns, encoding="utf-8", rename=None) -> Path:
    rename = rename or {}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([rename.get(c, c) for c in columns])
    writer.writerows([[row.get(c, "") for c in columns] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run(roster: Path, out: Path, env, *extra: str):
    return payroll("run", "--month", MONTH, "--roster", str(roster), "--out", str(out),
                   "--workers", "1", "--company", "测试科技有限公司", *extra, env=env)


def no_partial_files(root: Path) -> None:
    assert not [p for p in root.rglob("*") if p.name.endswith(".part")]


def test_gb18030_roster_with_chinese_headers_and_yuan_amounts(wecom, tmp_path):
    sim, env = wecom
    rows = roster_rows(sim, tmp_path)
    for row in rows:
        row["monthly_salary"] = f"￥{int(float(row['monthly_salary'])):,}.00"
    roster = write_roster(tmp_path / "花名册.csv", rows, ["userid", "name", "monthly_salary",
                                                        "department"], encoding="gb18030",
                          rename={"userid": "账号", "name": "姓名", "monthly_salary": "月薪",
                                  "department": "部门"})
    out = tmp_path / "run"
    result = run(roster, out, env)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["roster"]["encoding"] == "gb18030"
    assert manifest["roster"]["headers"]["monthly_salary"] == "月薪"
    employees = list(csv.DictReader((out / "results" / "employees.csv").open(encoding="utf-8")))
    assert {e["userid"] for e in employees} == {r["userid"] for r in rows}
    assert all(e["status"] == "ok" for e in employees)
    assert (out / "inputs" / "roster.csv").read_bytes() == roster.read_bytes()
    no_partial_files(out)
    assert payroll("verify", str(out)).returncode == 0


@pytest.mark.parametrize("second", ["ZhangSan", "zhangsan"])
def test_duplicate_userid_refuses_the_run_with_both_lines(wecom, tmp_path, second):
    _sim, env = wecom
    roster = tmp_path / "roster.csv"
    roster.write_text(f"userid,monthly_salary\nZhangSan,8700\nLiSi,6000\n{second},5000\n",
                      encoding="utf-8")
    out = tmp_path / "run"
    result = run(roster, out, env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "roster.csv:4 column userid" in result.stderr and "line 2" in result.stderr
    assert not out.exists()  # refused before anything was fetched or written


@pytest.mark.parametrize("text", ["", "userid,monthly_salary\r\n", "账号,月薪\r\n,\r\n"])
def test_empty_or_header_only_roster_refuses_the_run(wecom, tmp_path, text):
    _sim, env = wecom
    roster = tmp_path / "roster.csv"
    roster.write_bytes(text.encode("gb18030"))
    out = tmp_path / "run"
    result = run(roster, out, env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "no employees" in result.stderr or "empty" in result.stderr
    assert not out.exists()


def test_every_bad_amount_is_listed_before_anything_is_fetched(wecom, tmp_path):
    sim, env = wecom
    roster = tmp_path / "roster.csv"
    roster.write_text("userid,monthly_salary\nZhangSan,12,00\nLiSi,1.2万\nWangWu,abc\n",
                      encoding="utf-8")
    calls = sim.stats.snapshot()["calls"].get("checkin/getcheckin_monthdata", 0)
    result = run(roster, tmp_path / "run", env)
    assert result.returncode == 3, result.stdout + result.stderr
    for line in ("roster.csv:2", "roster.csv:3", "roster.csv:4"):
        assert line in result.stderr
    assert "万" in result.stderr and "'abc'" in result.stderr
    assert sim.stats.snapshot()["calls"].get("checkin/getcheckin_monthdata", 0) == calls
    assert not (tmp_path / "run").exists()


def test_undecodable_roster_says_how_to_resave(wecom, tmp_path):
    _sim, env = wecom
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"userid,monthly_salary\nu1,\xff\xff\n")
    result = run(roster, tmp_path / "run", env)
    assert result.returncode == 3
    assert "byte offset 25" in result.stderr and "CSV UTF-8" in result.stderr
    assert not (tmp_path / "run").exists()
