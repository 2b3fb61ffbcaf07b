"""A new company's first months, as its payroll team does them: from an empty folder,
`payroll init`, the roster template edited, `payroll doctor` and `payroll run --month M`
against the WeCom simulator over real HTTP, the CLI run as a subprocess."""

from __future__ import annotations

import csv
import json
import re

import pytest

from engine.wecom.simulator import SimConfig, Simulator
from tests.test_cli import payroll


@pytest.fixture(scope="module")
def sim():
    with Simulator(SimConfig(employees=5, seed=11)) as running:
        yield running


def fill_roster(folder, sim) -> list[str]:
    """Replace the template's example rows by the simulated company's people, keeping the
    template's header (as a team does in Excel)."""
    path = folder / "roster.csv"
    header = next(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    rows = [{c: r.get(c, "") for c in header} for r in sim.company.roster_rows()]
    rows[0]["meal_allowance"] = "300"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return [r["userid"] for r in rows]


def point_at(folder, sim) -> None:
    """payroll.toml: the simulator's corp id and address instead of the placeholders."""
    path = folder / "payroll.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'corp_id = "[^"]*"', f'corp_id = "{sim.config.corp_id}"', text)
    text = text.replace('# api_base = "https://qyapi.weixin.qq.com"', f'api_base = "{sim.url}"')
    path.write_text(text, encoding="utf-8")


def test_from_an_empty_folder_to_two_months(tmp_path, sim):
    folder = tmp_path / "acme"
    env = {"WECOM_CORP_SECRET": sim.config.corp_secret, "WECOM_CORP_ID": "",
           "WECOM_API_BASE": ""}
    env = {k: v for k, v in env.items() if v}  # nothing from the environment but the secret
    made = payroll("init", str(folder), "--company", "艾克米科技有限公司")
    assert made.returncode == 0, made.stderr
    for rel in ("payroll.toml", "roster.csv", "roster.xlsx", "rules/company.yaml",
                "rules/company.cases.yaml", "rules/cn-default.yaml", "README.md"):
        assert (folder / rel).is_file(), rel
    assert payroll("rules", "test", "rules/company.yaml", cwd=folder).returncode == 0

    userids = fill_roster(folder, sim)
    point_at(folder, sim)
    checked = payroll("doctor", "--month", "2026-10", cwd=folder, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "fail" not in checked.stdout and "checks passed" in checked.stdout

    first = payroll("run", "--month", "2026-10", "--workers", "1", "--allow-errors",
                    cwd=folder, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    run = folder / "runs" / "2026-10"
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["company"] == "艾克米科技有限公司"
    assert (run / "inputs" / "rules" / "company.yaml").is_file()
    employees = list(csv.DictReader((run / "results" / "employees.csv").open(encoding="utf-8")))
    assert sorted(e["userid"] for e in employees) == sorted(userids)
    lines = (run / "results" / "line_items.csv").read_text(encoding="utf-8")
    assert f"{userids[0]},ALLOW_MEAL," in lines  # the company pack's allowance was applied

    second = payroll("run", "--month", "2026-11", "--workers", "1", "--allow-errors",
                     cwd=folder / "runs", env=env)  # from a subfolder: the folder is found
    assert second.returncode == 0, second.stdout + second.stderr
    assert_chained(run, folder / "runs" / "2026-11")
    assert sim.config.corp_secret not in first.stdout + first.stderr + checked.stdout


def ledger_rows(run) -> dict[tuple[str, str], dict[str, str]]:
    with (run / "results" / "ledger.csv").open(encoding="utf-8") as handle:
        return {(r["userid"], r["key"]): r for r in csv.DictReader(handle)}


def assert_chained(first, second) -> None:
    """The second month found the first one's ledger by itself: its manifest names it and
    every balance opens where the first month closed it."""
    manifest = json.loads((second / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ledger"]["previous"]["month"] == "2026-10"
    assert manifest["ledger"]["previous"]["run_id"] == json.loads(
        (first / "manifest.json").read_text(encoding="utf-8"))["run_id"]
    closed, opened = ledger_rows(first), ledger_rows(second)
    assert closed and set(closed) <= set(opened)
    for key, row in closed.items():
        assert opened[key]["opening"] == row["closing"], key


def test_init_refuses_to_overwrite(tmp_path):
    assert payroll("init", str(tmp_path), "--company", "A").returncode == 0
    again = payroll("init", str(tmp_path), "--company", "B")
    assert again.returncode == 2
    assert "would overwrite" in again.stderr and "payroll.toml" in again.stderr


def test_run_outside_a_folder_names_the_missing_options(tmp_path):
    result = payroll("run", "--month", "2026-10", cwd=tmp_path)
    assert result.returncode == 2
    assert "--roster" in result.stderr and "payroll init" in result.stderr


def test_a_mistyped_key_in_payroll_toml_names_the_key_meant(tmp_path):
    assert payroll("init", str(tmp_path), "--company", "A").returncode == 0
    path = tmp_path / "payroll.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("roster =", "rooster ="),
                    encoding="utf-8")
    result = payroll("run", "--month", "2026-10", cwd=tmp_path)
    assert result.returncode == 2
    assert "'rooster'" in result.stderr and "did you mean 'roster'" in result.stderr
