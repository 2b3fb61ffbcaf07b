"""The README's code blocks, run as a reader would run them (doc tests, as in sqlite-utils).

Shell blocks run line by line: ``export`` sets a variable, ``cd`` changes folder, and
``payroll …`` runs the real command line in a subprocess; any other command fails the
test, so a block cannot hold a command nobody runs. A trailing ``# exit N …`` comment
admits exit code N besides 0. Python blocks run with ``exec``. A block is preceded by a
mark ``<!-- doctest: … -->``: ``simulator`` runs it against the bundled WeCom simulator
with its test credentials (they override the block's placeholders), ``ci`` names what the
CI script runs itself, ``init`` starts the company folder, ``correction`` first corrects a
salary on the roster, as the prose before it says.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shlex
import shutil
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from engine.wecom.simulator import SimConfig, Simulator
from tests.test_cli import ROOT, payroll

README = ROOT / "README.md"
MARK = re.compile(r"<!--\s*doctest:\s*(.*?)\s*-->")
EXIT = re.compile(r"#.*\bexit (\d+)")


@dataclass(frozen=True)
class Block:
    section: str
    lang: str
    code: str
    marks: frozenset[str]
    line: int


def blocks(text: str) -> list[Block]:
    found, section, marks = [], "", frozenset()
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        mark = MARK.search(line)
        if mark:
            marks = frozenset(m.strip() for m in mark.group(1).split(","))
        elif line.startswith("```") and len(line) > 3:
            end = lines.index("```", index + 1)
            found.append(Block(section, line[3:].strip(), "\n".join(lines[index + 1:end]),
                               marks, index + 1))
            marks, index = frozenset(), end
        elif line.strip():
            marks = marks if line.startswith("<!--") else frozenset()
        index += 1
    return found


class Shell:
    """The few shell forms the README uses, with the real ``payroll`` behind them."""

    def __init__(self, cwd: Path, env: dict[str, str], forced: dict[str, str]) -> None:
        self.cwd, self.env, self.forced = cwd, dict(env), forced
        self.ran: list[tuple[str, int]] = []

    def run(self, block: Block) -> None:
        for raw in block.code.splitlines():
            allowed = {0, *(int(n) for n in EXIT.findall(raw))}
            line = re.sub(r"\s+#.*$", "", raw).strip()
            if not line or line.startswith("#"):
                continue
            words = shlex.split(line)
            if words[0] == "export":
                for pair in words[1:]:
                    key, _, value = pair.partition("=")
                    self.env[key] = self.forced.get(key, value)
            elif words[0] == "cd":
                self.cwd = (self.cwd / words[1]).resolve()
            elif words[0] in ("payroll", ".venv/bin/payroll"):
                result = payroll(*words[1:], env=self.env, cwd=self.cwd)
                assert result.returncode in allowed, \
                    f"README line {block.line}: {line} → {result.returncode}\n{result.stdout}\n{result.stderr}"
                self.ran.append((line, result.returncode))
            else:
                pytest.fail(f"README line {block.line}: {words[0]!r} is not a command this test runs")


def run_python(block: Block, cwd: Path, env: dict[str, str]) -> str:
    saved_env, saved_cwd = dict(os.environ), Path.cwd()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(compile(block.code, f"README.md:{block.line}", "exec"), {"__name__": "readme"})
        return output.getvalue()
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


@pytest.fixture(scope="module")
def sim():
    with Simulator(SimConfig(employees=4, seed=5)) as running:
        yield running


def sim_env(sim) -> dict[str, str]:
    return {"WECOM_API_BASE": sim.url, "WECOM_CORP_ID": sim.config.corp_id,
            "WECOM_CORP_SECRET": sim.config.corp_secret}


def fill_roster(path: Path, sim) -> None:
    """What the team does with the template: its header, their people."""
    header = next(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({c: r.get(c, "") for c in header} for r in sim.company.roster_rows())


def correct_a_salary(path: Path) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["monthly_salary"] = str(Decimal(rows[0]["monthly_salary"]) + 100)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def section(name: str) -> list[Block]:
    return [b for b in blocks(README.read_text(encoding="utf-8")) if b.section == name]


def test_your_first_real_month_runs_as_written(tmp_path, sim):
    found = section("Your first real month")
    assert len(found) >= 4
    shell = Shell(tmp_path, {}, sim_env(sim))
    for block in found:
        if "simulator" in block.marks:
            shell.env.update(sim_env(sim))
        if "correction" in block.marks:
            correct_a_salary(shell.cwd / "roster.csv")
        if block.lang == "sh":
            shell.run(block)
        else:
            assert "simulator" in block.marks or "init" in block.marks, block.line
            assert run_python(block, shell.cwd, shell.env).strip()
        if "init" in block.marks:  # then the team fills in the roster template
            fill_roster(shell.cwd / "roster.csv", sim)
    ran = dict(shell.ran)
    assert ran["payroll diff runs/2026-10 runs/2026-10-fix"] == 1  # the correction shows
    assert (shell.cwd / "runs" / "2026-11" / "manifest.json").is_file()


def test_running_a_real_month_runs_as_written(tmp_path, sim):
    (block,) = section("Running a real month")[:1]
    assert "simulator" in block.marks
    sim.company.write_roster(tmp_path / "roster.csv")
    Shell(tmp_path, sim_env(sim), sim_env(sim)).run(block)
    assert (tmp_path / "runs" / "2026-10" / "manifest.json").is_file()


def test_months_in_a_chain_run_as_written(tmp_path, sim):
    (block,) = section("Months in a chain")[:1]
    assert "simulator" in block.marks
    sim.company.write_roster(tmp_path / "roster.csv")
    Shell(tmp_path, sim_env(sim), sim_env(sim)).run(block)
    first, second = tmp_path / "runs" / "2026-10", tmp_path / "runs" / "2026-11"
    closing = (first / "results" / "ledger.csv").read_bytes()
    assert closing == (second / "inputs" / "ledger_opening.csv").read_bytes()


def test_the_python_api_runs_as_written(tmp_path, sim, demo_run, monkeypatch):
    found = section("Python API")
    assert [b.lang for b in found] == ["python", "python"]
    shutil.copytree(demo_run, tmp_path / "demo-run")
    run_python(found[0], tmp_path, {})
    assert "simulator" in found[1].marks
    sim.company.write_roster(tmp_path / "roster.csv")
    (tmp_path / "rules").symlink_to(ROOT / "rules")
    run_python(found[1], tmp_path, sim_env(sim))
    assert (tmp_path / "runs" / "2026-10" / "manifest.json").is_file()


def test_every_other_block_is_run_by_ci_or_is_not_a_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    tested = {"Your first real month", "Running a real month", "Python API",
              # a served page and WeCom delivery: run from the command line, against the
              # simulator, by tests/review/test_page.py and tests/delivery/test_cli.py
              "Review, approval and delivery"}
    chain = section("Months in a chain")[0].line  # only its first block is run above
    for block in blocks(README.read_text(encoding="utf-8")):
        if block.section in tested or block.line == chain:
            continue
        if "ci" in block.marks:
            for line in block.code.splitlines():
                command = re.sub(r"\s+#.*$", "", line).strip()
                assert command in ci, f"README line {block.line}: {command} not run by .ci/run"
        elif block.lang == "toml":  # a settings example: it must at least be valid TOML
            tomllib.loads(block.code)
        else:
            assert block.lang in ("", "yaml", "text", "json"), \
                f"README line {block.line}: a {block.lang or 'plain'} block without a doctest mark"
