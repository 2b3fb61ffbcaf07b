"""Approval and its signatures, and what ``payroll verify`` says about them afterwards."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.audit import approve_run, verify_run
from engine.errors import ConfigError, RunFolderError, VerifyError
from engine.files import sha256_file
from engine.review import approval, signing
from tests.forgery import overlay, reseal

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def run(demo_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(demo_run, run_dir)
    return run_dir


def _keys(tmp_path, passphrase: bytes | None = None):
    key = Ed25519PrivateKey.generate()
    enc = (serialization.BestAvailableEncryption(passphrase) if passphrase
           else serialization.NoEncryption())
    private = tmp_path / "approver.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8, enc))
    public = tmp_path / "approver.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_approval_records_who_when_and_what(run):
    record = approve_run(run, by="财务 王芳", note="十月", now=NOW)
    on_disk = json.loads((run / "approval.json").read_text("utf-8"))
    assert on_disk == record
    assert record["approved_at"] == "2026-11-02T09:30:00Z" and record["approved_by"] == "财务 王芳"
    assert record["manifest_sha256"] == sha256_file(run / "manifest.json")
    summary = json.loads((run / "results" / "summary.json").read_text())
    assert record["totals"] == summary["totals"]
    assert record["counts"]["payslips"] == len(list((run / "payslips").glob("*.pdf")))
    assert verify_run(run).ok  # the approval is a known post-manifest file, not an extra one
    with pytest.raises(RunFolderError, match="already approved"):
        approve_run(run, by="someone else", now=NOW)


def test_an_amount_drawn_over_a_payslip_is_not_approved_even_with_the_hashes_redone(run):
    """Approval runs ``verify --render``: the embedded data and every hash agree with the
    forgery, only a fresh rendering of the recomputed month shows the page is not the
    month's."""
    pdf = sorted((run / "payslips").glob("*.pdf"))[0]
    overlay(pdf)
    reseal(run)
    assert verify_run(run).ok  # without rendering the forgery passes
    with pytest.raises(VerifyError, match="not approved.*differs from a fresh rendering"):
        approve_run(run, by="王芳", now=NOW)
    assert not (run / "approval.json").exists()


def test_a_run_that_does_not_verify_is_not_approved(run):
    pdf = next((run / "payslips").glob("*.pdf"))
    pdf.write_bytes(pdf.read_bytes() + b"%")
    with pytest.raises(VerifyError, match="not approved"):
        approve_run(run, by="王芳", now=NOW)
    assert not (run / "approval.json").exists()


def test_an_approval_is_void_once_the_manifest_changes(run):
    approve_run(run, by="王芳", now=NOW)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["company"] = "Other Co"
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert any("changed after the approval" in d.message for d in approval.check(run))
    with pytest.raises(VerifyError, match="no longer holds"):
        approval.require(run)


def test_signed_approval_verifies_with_the_public_key_only(run, tmp_path, monkeypatch):
    private, public = _keys(tmp_path, b"s3cret")
    monkeypatch.setenv(signing.PASSPHRASE_ENV, "s3cret")
    key = signing.load_private_key(private)
    record = approve_run(run, by="王芳", now=NOW, sign_key=key)
    assert record["signature"]["key_id"] == signing.public_id(key.public_key())
    assert verify_run(run, public_key=signing.load_public_key(public)).ok
    _, other = _keys(tmp_path / "..")
    wrong = verify_run(run, public_key=signing.load_public_key(other))
    assert {d.file for d in wrong.differences} == {"approval.sig", "manifest.sig"}
    # a changed note (same manifest) breaks the approval's signature, nothing else
    data = json.loads((run / "approval.json").read_text())
    data["note"] = "changed"
    (run / "approval.json").write_text(json.dumps(data))
    tampered = verify_run(run, public_key=signing.load_public_key(public))
    assert [d.file for d in tampered.differences] == ["approval.sig"]


def test_verify_with_a_key_requires_an_approval(run, tmp_path):
    _, public = _keys(tmp_path)
    report = verify_run(run, public_key=signing.load_public_key(public))
    assert [d.kind for d in report.differences] == ["approval"]


def test_keys_are_checked_when_loaded(tmp_path, monkeypatch):
    private, _ = _keys(tmp_path, b"pw")
    monkeypatch.delenv(signing.PASSPHRASE_ENV, raising=False)
    with pytest.raises(ConfigError, match=signing.PASSPHRASE_ENV):
        signing.load_private_key(private)
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    with pytest.raises(ConfigError, match="not a usable public key"):
        signing.load_public_key(bad)
