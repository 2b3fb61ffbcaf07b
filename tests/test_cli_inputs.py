"""`payroll run` and `payroll demo` refusing bad input as a user meets it: a real
subprocess per run, checking the exit code, the message and that nothing was left behind."""

import csv
import io
import json
from decimal import Decimal
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


def sim_roster(sim, tmp_path: Path, **changes) -> tuple[Path, list[dict[str, str]]]:
    """The simulator's roster with a ``pdf_password`` column; ``changes`` maps a userid to
    the cells to change on their row."""
    rows = roster_rows(sim, tmp_path)
    for n, row in enumerate(rows):
        row["pdf_password"] = f"pw-{n}"
        row.update(changes.get(row["userid"], {}))
    columns = [*rows[0].keys()]
    return write_roster(tmp_path / "roster.csv", rows, columns), rows


def payslip_users(out: Path) -> set[str]:
    rows = csv.DictReader((out / "manifest.csv").open(encoding="utf-8"))
    return {r["userid"] for r in rows}


def employee_rows(out: Path) -> dict[str, dict[str, str]]:
    rows = csv.DictReader((out / "results" / "employees.csv").open(encoding="utf-8"))
    return {r["userid"]: r for r in rows}


def test_missing_delivery_password_holds_that_payslip_and_exits_1(wecom, tmp_path):
    sim, env = wecom
    roster, rows = sim_roster(sim, tmp_path, ZhangSan={"pdf_password": ""})
    out = tmp_path / "run"
    result = run(roster, out, env, "--encrypt-with", "pdf_password")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "could not be paid" in result.stderr and "ZhangSan" in result.stdout
    others = {r["userid"] for r in rows} - {"ZhangSan"}
    assert payslip_users(out) == others
    assert not [p for p in out.rglob("*") if "ZhangSan" in p.name]  # nothing issued at all
    assert {p.stem for p in (out / "payslips" / "secure").glob("*.pdf")} == others
    employees = employee_rows(out)
    assert (employees["ZhangSan"]["status"], employees["ZhangSan"]["paid"]) == ("error", "false")
    summary = json.loads((out / "results" / "summary.json").read_text("utf-8"))
    assert summary["unpaid"]["userids"] == ["ZhangSan"] and summary["paid"] == len(others)
    paid_net = sum(Decimal(employees[u]["net"]) for u in others)
    assert Decimal(summary["totals"]["net"]) == paid_net
    problems = (out / "results" / "problems.csv").read_text("utf-8")
    assert "no_delivery_password" in problems
    no_partial_files(out)
    verified = payroll("verify", str(out))
    assert verified.returncode == 0, verified.stdout


def test_allow_errors_accepts_the_run_but_still_issues_no_payslip(wecom, tmp_path):
    sim, env = wecom
    roster, rows = sim_roster(sim, tmp_path, ZhangSan={"monthly_salary": ""})
    out = tmp_path / "run"
    refused = run(roster, out, env)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    accepted = run(roster, out, env, "--force", "--allow-errors")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "ZhangSan" not in payslip_users(out)
    assert not (out / "payslips" / "ZhangSan.pdf").exists()
    assert employee_rows(out)["ZhangSan"]["status"] == "error"
    html = (out / "results" / "summary.html").read_text("utf-8")
    unpaid = html.split('id="unpaid"', 1)[1].split("</table>", 1)[0]
    assert "ZhangSan" in unpaid and "monthly_salary" in unpaid
    assert payroll("verify", str(out)).returncode == 0


def test_a_month_without_parameters_in_force_leaves_no_folder(wecom, tmp_path):
    sim, env = wecom
    roster, _rows = sim_roster(sim, tmp_path)
    out = tmp_path / "run"
    result = payroll("run", "--month", "2007-06", "--roster", str(roster), "--out", str(out),
                     "--company", "测试", env=env)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "no value before 2008-01-01" in result.stderr
    assert not out.exists()


def test_a_fetch_refused_at_once_leaves_no_empty_folder(wecom, tmp_path):
    sim, env = wecom
    roster, _rows = sim_roster(sim, tmp_path)
    out = tmp_path / "run"
    result = run(roster, out, {**env, "WECOM_CORP_SECRET": "wrong-secret"})
    assert result.returncode in (2, 5), result.stdout + result.stderr
    assert "wrong-secret" not in result.stdout + result.stderr
    assert not out.exists()


def demo(out: Path):
    return payroll("demo", "--out", str(out), "--employees", "3", "--month", MONTH,
                   "--workers", "1", "--quiet")


def test_demo_never_replaces_a_real_run(wecom, tmp_path):
    sim, env = wecom
    roster, _rows = sim_roster(sim, tmp_path)
    out = tmp_path / "run"
    assert run(roster, out, env).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = demo(out)
    assert result.returncode == 7, result.stdout + result.stderr
    assert "did not write" in result.stderr and "--out" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_demo_refuses_a_folder_of_other_files_and_replaces_its_own_runs(tmp_path):
    other = tmp_path / "documents"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    result = demo(other)
    assert result.returncode == 7 and "did not write" in result.stderr
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    out = tmp_path / "demo"
    assert demo(out).returncode == 0
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["demo"]["made_by"] == "payroll demo" and (out / "demo.json").is_file()
    assert manifest["company"] == "示例科技有限公司"  # the demo keeps its sample name
    first = (out / "manifest.json").read_bytes()
    again = demo(out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (out / "manifest.json").read_bytes() == first


def test_a_real_run_without_a_company_name_is_refused(wecom, tmp_path):
    sim, env = wecom
    roster, _rows = sim_roster(sim, tmp_path)
    out = tmp_path / "run"
    result = payroll("run", "--month", MONTH, "--roster", str(roster), "--out", str(out),
                     env={**env, "WECOM_CONFIG": ""})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no company name" in result.stderr and "--company" in result.stderr
    assert "[company]" in result.stderr
    assert not out.exists()


def test_company_from_the_settings_file_is_printed_and_kept_by_force(wecom, tmp_path):
    from tests.conftest import pdf_text

    sim, env = wecom
    roster, _rows = sim_roster(sim, tmp_path)
    config = tmp_path / "payroll.toml"
    config.write_text('[company]\nname = "青山科技有限公司"\naddress = "杭州市西湖区文三路 1 号"\n'
                      '[wecom]\ntz = "Asia/Shanghai"\n', encoding="utf-8")
    out = tmp_path / "run"
    first = payroll("run", "--month", MONTH, "--roster", str(roster), "--out", str(out),
                    "--workers", "1", "--config", str(config), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    text = pdf_text(out / "payslips" / "ZhangSan.pdf")
    assert "青山科技有限公司" in text and "杭州市西湖区文三路1号" in text
    assert "示例科技" not in text
    codes = {r["code"] for r in csv.DictReader(
        (out / "results" / "line_items.csv").open(encoding="utf-8"))}
    everything = "".join(pdf_text(p) for p in sorted((out / "payslips").glob("*.pdf")))
    assert codes and not [c for c in codes if c in everything]  # codes stay in the data
    for repeated in ("补卡补卡", "出差出差", "外勤外勤", "请假请假"):
        assert repeated not in everything
    kept = json.loads((out / "inputs" / "company.json").read_text("utf-8"))
    assert kept["name"] == "青山科技有限公司"
    again = payroll("run", "--month", MONTH, "--roster", str(roster), "--out", str(out),
                    "--workers", "1", "--force", env=env)  # no --config, no --company
    assert again.returncode == 0, again.stdout + again.stderr
    assert "杭州市西湖区文三路1号" in pdf_text(out / "payslips" / "ZhangSan.pdf")
    assert json.loads((out / "manifest.json").read_text("utf-8"))["company"] == "青山科技有限公司"
    assert payroll("verify", str(out)).returncode == 0


def test_fetch_with_a_bad_roster_writes_nothing(wecom, tmp_path):
    _sim, env = wecom
    roster = tmp_path / "roster.csv"
    roster.write_text("userid,monthly_salary\nu1,1\nU1,2\n", encoding="utf-8")
    out = tmp_path / "run"
    result = payroll("fetch", "--month", MONTH, "--roster", str(roster), "--out", str(out),
                     env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "differs only in case" in result.stderr and not out.exists()
