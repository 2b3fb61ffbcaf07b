"""Choosing the bank map as a user does: the command line and the company folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from engine.company.config import load_folder
from engine.exports.maps import BANK_MAPS

ROOT = Path(__file__).resolve().parents[2]


def payroll(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "200"}, cwd=cwd, timeout=600)


def test_run_and_demo_offer_the_bank_map_and_tax_sheet_version():
    run_help, demo_help = payroll("run", "--help").stdout, payroll("demo", "--help").stdout
    assert "--bank-map" in run_help and "--iit-version" in run_help
    assert "--bank-map" in demo_help


def test_demo_with_the_cmb_map_writes_its_batches(tmp_path):
    result = payroll("demo", "--employees", "3", "--month", "2026-10", "--out",
                     str(tmp_path / "run"), "--bank-map", "cmb", "-q")
    assert result.returncode == 0, result.stderr
    control = json.loads((tmp_path / "run/results/bank.json").read_text("utf-8"))
    assert control["map"] == "cmb" and control["files"][0]["file"] == "bank-cmb-001.csv"
    assert control["count"] == 3 and control["left_out"] == []


def test_an_unknown_bank_map_stops_the_run_before_anything_is_fetched(tmp_path):
    result = payroll("demo", "--employees", "2", "--month", "2026-10", "--out",
                     str(tmp_path / "run"), "--bank-map", "icbc", "-q")
    assert result.returncode == 2
    assert "bank map 'icbc' is neither a built-in map" in result.stderr
    assert not (tmp_path / "run" / "snapshot").exists()


def test_company_folder_names_a_built_in_map_or_a_file_of_its_own(tmp_path):
    (tmp_path / "payroll.toml").write_text(
        '[company]\nname = "某某"\n[payroll]\nbank_map = "maps/mybank.yaml"\n'
        'iit_version = "1"\n', "utf-8")
    folder = load_folder(tmp_path)
    assert folder.bank_map == tmp_path.resolve() / "maps/mybank.yaml"
    assert folder.payroll.iit_version == "1"
    (tmp_path / "payroll.toml").write_text('[company]\nname = "某某"\n[payroll]\n'
                                           'bank_map = "cmb"\n', "utf-8")
    assert load_folder(tmp_path).bank_map == "cmb" in BANK_MAPS
