"""Redaction by value, end to end: a WeCom that echoes the token and the secret.

The simulator's ``echo_secrets`` fault repeats the caller's access token and the corp
secret in every ``errmsg`` and in month-record fields (name, departments, and a
JSON-escaped copy in the rule group), with transient errors so the client retries and
reports them. Real months run as a user would (``payroll run`` subprocesses over
loopback HTTP): a first run that fetches a token and keeps it in the token cache, a
second run that only uses the cached token (never fetched by that process), and a run
that fails on the echoing error. Every output is searched for the secret and every
token issued, in literal, URL-encoded and JSON-escaped form: stdout and stderr, every
file of the run folders, PDF content streams and embedded files decompressed, XLSX
parts and Parquet values. Zero hits; and the echo did reach the run (masked), so the
test can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote

import pikepdf
import pyarrow.parquet as pq
import pytest

from engine.wecom.simulator import Faults, SimConfig, Simulator

ROOT = Path(__file__).resolve().parents[2]
MASK = "***"


def payroll(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=600,
                          env={**os.environ, "COLUMNS": "250", **env})


def forms(value: str) -> set[str]:
    """The ways a value can be written: literal, URL-encoded, JSON ``\\u`` escapes."""
    return {value, quote(value, safe=""), "".join(f"\\u{ord(c):04x}" for c in value)}


def readable_parts(path: Path) -> list[tuple[str, bytes]]:
    """Everything a reader (or a program) could get out of a run file, decompressed."""
    parts = [(str(path), path.read_bytes())]
    if path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            for n, obj in enumerate(pdf.objects):
                if isinstance(obj, pikepdf.Stream):
                    try:
                        parts.append((f"{path} stream {n}", obj.read_bytes()))
                    except pikepdf.PdfError:
                        parts.append((f"{path} stream {n} raw", obj.read_raw_bytes()))
    elif path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            parts += [(f"{path}!{name}", book.read(name)) for name in book.namelist()]
    elif path.suffix == ".parquet":
        parts.append((f"{path} values", json.dumps(pq.read_table(path).to_pylist(),
                                                   ensure_ascii=False).encode()))
    return parts


def hits(secrets: set[str], named: list[tuple[str, bytes]]) -> list[str]:
    found = []
    for where, data in named:
        text = data.decode("utf-8", "replace")
        found += [f"{where}: {s[:12]}…" for s in secrets if s in text]
    return found


@pytest.fixture(scope="module")
def echoing():
    config = SimConfig(employees=6, seed=11,
                       faults=Faults(echo_secrets=True, error_rate=0.25, seed=11))
    with Simulator(config) as sim:
        yield sim, {"WECOM_API_BASE": sim.url, "WECOM_CORP_ID": config.corp_id,
                    "WECOM_CORP_SECRET": config.corp_secret,
                    "WECOM_RETRY_INITIAL_SECONDS": "0.01"}


@pytest.mark.corpus("echoed secrets")
def test_echoed_token_and_secret_never_reach_any_output(echoing, tmp_path, record_property):
    sim, env = echoing
    env = {**env, "WECOM_TOKEN_CACHE": str(tmp_path / "tokens.json")}
    roster = tmp_path / "roster.csv"
    sim.company.write_roster(roster)
    common = ["--month", "2026-10", "--roster", str(roster), "--company", "测试公司",
              "--workers", "1", "--allow-errors"]
    first = payroll("run", *common, "--out", str(tmp_path / "run1"), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    gettoken_calls = sim.stats.snapshot()["gettoken_calls"]
    # the second process takes its token from the cache file and never fetches one
    second = payroll("run", *common, "--out", str(tmp_path / "run2"), env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert sim.stats.snapshot()["gettoken_calls"] == gettoken_calls
    # a run that fails on an echoing error prints the errmsg to the terminal
    sim.set_faults(Faults(echo_secrets=True, error_rate=1.0, seed=12))
    try:
        failed = payroll("fetch", "--month", "2026-10", "--roster", str(roster), "--out",
                         str(tmp_path / "run3"), env={**env, "WECOM_RETRY_ATTEMPTS": "2"})
    finally:
        sim.set_faults(Faults(echo_secrets=True, error_rate=0.25, seed=11))
    assert failed.returncode == 5, failed.stdout + failed.stderr
    assert "request *** for ***" in " ".join(failed.stderr.split())  # the echo, masked

    secrets = set().union(*(forms(v) for v in [sim.config.corp_secret, *sim.tokens.values()]))
    assert len(sim.tokens.values()) >= 1
    outputs = [(f"{name} {stream}", getattr(result, stream).encode())
               for name, result in (("run1", first), ("run2", second), ("fetch", failed))
               for stream in ("stdout", "stderr")]
    files = [p for d in ("run1", "run2", "run3") for p in sorted((tmp_path / d).rglob("*"))
             if p.is_file()]
    parts = [part for path in files for part in readable_parts(path)]
    assert any(p.suffix == ".pdf" for p in files) and len(parts) > len(files)
    record_property("corpus_cases", len(secrets) * len(outputs + parts))  # searches made
    assert hits(secrets, outputs + parts) == []
    # the echo reached every stage (masked): snapshot answers, results and the payslips
    assert any(MASK.encode() in data for where, data in parts if "snapshot" in where)
    assert any(f" {MASK}".encode() in data for where, data in parts if "employees.csv" in where)
    assert any(MASK.encode() in data for where, data in parts
               if "payslips" in where and "stream" in where)
    # a cleaned answer is still a faithful one: the run recomputes to the same results
    check = payroll("verify", str(tmp_path / "run1"), "-q", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
