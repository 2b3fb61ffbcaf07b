"""``payroll approve``, ``payroll send`` and ``payroll review`` as a user runs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.delivery.conftest import sim_for
from tests.test_cli import PAYROLL, ROOT, payroll


def _keypair(tmp_path):
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_approve_send_status_and_verify_from_the_command_line(demo_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(demo_run, run_dir)
    refused = payroll("send", str(run_dir), "--dry-run")
    assert refused.returncode == 7 and "not approved" in refused.stderr
    private, public = _keypair(tmp_path)
    approved = payroll("approve", str(run_dir), "--by", "王芳", "--note", "ok", "--sign-key",
                       str(private), "-q")
    assert approved.returncode == 0, approved.stderr
    assert "approved" in approved.stdout and "signed with key" in approved.stdout
    dry = payroll("send", str(run_dir), "--dry-run", "--only", "ZhangSan")
    assert dry.returncode == 0 and "1 would be sent" in dry.stdout
    assert not (run_dir / "delivery").exists()
    with sim_for(run_dir) as sim:
        env = {"WECOM_API_BASE": sim.url, "WECOM_CORP_ID": sim.config.corp_id,
               "WECOM_CORP_SECRET": sim.config.corp_secret,
               "WECOM_AGENT_ID": str(sim.config.agent_id)}
        sent = payroll("send", str(run_dir), "-q", env=env)
        assert sent.returncode == 0, sent.stderr
        approved_count = json.loads((run_dir / "approval.json").read_text())["counts"]["payslips"]
        assert len(sim.delivered()) == approved_count
    status = payroll("send", "--status", str(run_dir))
    assert status.returncode == 0 and re.search(r"sent \d+, failed 0, in doubt 0, pending 0",
                                                status.stdout)
    verified = payroll("verify", str(run_dir), "--key", str(public), "-q")
    assert verified.returncode == 0, verified.stdout
    _, other = _keypair(tmp_path / "..")
    assert payroll("verify", str(run_dir), "--key", str(other), "-q").returncode == 8


def test_review_prints_a_tokened_loopback_url_and_writes_the_site(demo_run, tmp_path):
    import urllib.request

    run_dir = tmp_path / "run"
    shutil.copytree(demo_run, run_dir)
    proc = subprocess.Popen([*PAYROLL, "review", str(run_dir)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**__import__("os").environ, "COLUMNS": "300"})
    try:
        url, deadline = None, time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            found = re.search(r"(http://127\.0\.0\.1:\d+/[\w-]{20,}/review/index\.html)",
                              proc.stdout.readline())
            url = found and found.group(1)
        assert url, "no URL printed"
        with urllib.request.urlopen(url) as answer:
            assert b"Payroll review" in answer.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert (run_dir / "review" / "index.html").is_file()
    assert payroll("verify", str(run_dir), "-q").returncode == 0
