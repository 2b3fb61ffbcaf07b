"""Hostile input files given to the `payroll` command, run as a user would (subprocesses).

Each case checks the exit code, that the message names the file (and line:column for a
pack), that nothing hangs (a FIFO or ``/dev/zero`` would block or flood a naive reader),
that no traceback is printed, and that a refused `payroll run` leaves no run folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CN = ROOT / "rules" / "cn-default.yaml"
# credentials so the settings load; nothing is fetched because the refusal comes first
ENV = {"WECOM_CORP_ID": "wwtest", "WECOM_CORP_SECRET": "s3cr3t-not-used",
       "WECOM_API_BASE": "http://127.0.0.1:9", "COLUMNS": "250"}


def payroll(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **ENV}, cwd=cwd, timeout=120)


def one_line(result: subprocess.CompletedProcess) -> str:
    return " ".join((result.stdout + result.stderr).split())


def run_month(tmp_path: Path, *, roster: Path | None = None, rules: Path | None = None):
    if roster is None:
        roster = tmp_path / "roster.csv"
        roster.write_text("userid,monthly_salary\nu1,8000\n", "utf-8")
    out = tmp_path / "out"
    result = payroll("run", "--month", "2026-10", "--roster", str(roster), "--out", str(out),
                     "--company", "测试公司", *(["--rules", str(rules)] if rules else []))
    assert "Traceback" not in result.stderr, result.stderr
    assert not out.exists(), f"refused run left {sorted(out.rglob('*'))}"
    return result


def pack_with(tmp_path: Path, old: str, new: str, name: str = "pack.yaml") -> Path:
    text = CN.read_text("utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), "utf-8")
    (tmp_path / "cn-default.cases.yaml").write_text(
        (ROOT / "rules" / "cn-default.cases.yaml").read_text("utf-8"), "utf-8")
    return path


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


@pytest.mark.corpus("special files")
@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "folder"])
def test_rules_check_refuses_special_files(tmp_path, fifo, target):
    path = {"fifo": fifo, "folder": tmp_path}.get(target) or Path(target)
    result = payroll("rules", "check", str(path))
    assert result.returncode == 4, one_line(result)
    assert f"{path}: the pack must be a regular file" in one_line(result)


@pytest.mark.corpus("special files")
@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "folder"])
def test_run_refuses_a_special_roster_with_exit_3(tmp_path, fifo, target):
    roster = {"fifo": fifo, "folder": tmp_path / "folder"}.get(target) or Path(target)
    if target == "folder":
        roster.mkdir()
    result = run_month(tmp_path, roster=roster)
    assert result.returncode == 3, one_line(result)
    assert "the roster must be a regular file" in one_line(result)


@pytest.mark.corpus("special files")
def test_run_refuses_a_fifo_pack_with_exit_4(tmp_path, fifo):
    result = run_month(tmp_path, rules=fifo)
    assert result.returncode == 4, one_line(result)
    assert "the pack must be a regular file, but this is a FIFO" in one_line(result)


def test_size_cap_flag(tmp_path):
    result = payroll("--max-file-size", "pack=2KB", "rules", "check", str(CN))
    assert result.returncode == 4
    assert "larger than its cap" in one_line(result) and "--max-file-size pack=" in one_line(result)
    assert payroll("--max-file-size", "pack=1MB", "rules", "check", str(CN)).returncode == 0
    bad = payroll("--max-file-size", "pack", "rules", "check", str(CN))
    assert bad.returncode == 2 and "KIND=SIZE" in one_line(bad)


BAD_PACKS = {
    # name: (text in cn-default, replacement, words of the error)
    "impossible_day": ("2008-01-01", "2026-02-30", "impossible date '2026-02-30'"),
    "impossible_month": ("2008-01-01", "2026-13-01", "impossible date '2026-13-01'"),
    "duplicate_code": ("  - code: OT_RESTDAY", "  - code: OT_WORKDAY",
                       "rule code OT_WORKDAY is defined twice: first at "),
    "huge_parameter": ('2008-01-01: "21.75"', '2008-01-01: "1e999999"', "out of range"),
    "tiny_parameter": ('2008-01-01: "21.75"', '2008-01-01: "1e-999999"', "out of range"),
}


@pytest.mark.parametrize(("name", "verb"), [(n, "check") for n in sorted(BAD_PACKS)] + [
    ("impossible_day", "run"), ("impossible_month", "run"), ("duplicate_code", "run")])
@pytest.mark.corpus("malformed YAML")
def test_bad_pack_is_exit_4_with_file_line_column(tmp_path, name, verb):
    old, new, words = BAD_PACKS[name]
    pack = pack_with(tmp_path, old, new)
    if verb == "check":
        result = payroll("rules", "check", str(pack))
        assert "Traceback" not in result.stderr
    else:
        result = run_month(tmp_path, rules=pack)
    text = one_line(result)
    assert result.returncode == 4, text
    assert re.search(rf"{re.escape(str(pack))}:\d+:\d+: ", text), text
    assert words in text, text


def test_duplicate_code_across_extends_names_both_files(tmp_path):
    (tmp_path / "cn-default.yaml").write_text(CN.read_text("utf-8"), "utf-8")
    (tmp_path / "cn-default.cases.yaml").write_text(
        (ROOT / "rules" / "cn-default.cases.yaml").read_text("utf-8"), "utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("pack:\n  name: child\n  extends: cn-default.yaml\nrules:\n"
                     "  - code: OT_WORKDAY\n    label: 加班\n    category: earning\n"
                     "    amount: '1'\n", "utf-8")
    result = payroll("rules", "check", str(child))
    text = one_line(result)
    assert result.returncode == 4, text
    assert f"{child}:5:11: rule OT_WORKDAY: rule code OT_WORKDAY is defined twice" in text
    assert re.search(rf"first at {re.escape(str(tmp_path / 'cn-default.yaml'))}:\d+:\d+", text)
    assert "under 'remove'" in text
    # the documented way to replace a parent's rule still works
    child.write_text(child.read_text("utf-8") + "remove: [OT_WORKDAY]\n", "utf-8")
    assert payroll("rules", "check", str(child)).returncode == 0


@pytest.mark.corpus("malformed YAML")
def test_alias_bomb_is_refused_at_once(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    levels += [f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]"
               for p, c in zip("abcdefgh", "bcdefghi")]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\n", "utf-8")
    assert bomb.stat().st_size < 900
    result = payroll("rules", "check", str(bomb))  # the 120 s timeout would fail a hang
    assert result.returncode == 4
    assert re.search(rf"{re.escape(str(bomb))}:\d+:\d+: .*alias bomb", one_line(result))
