"""``payroll send`` through the real client against the simulator over loopback HTTP."""

from __future__ import annotations

import json

import pytest

from engine.delivery import journal, service
from engine.delivery.plan import deliveries
from engine.delivery.sender import Options
from engine.errors import RunFolderError, VerifyError
from engine.files import sha256_file
from tests.delivery.conftest import settings_for, sim_for
from tests.forgery import overlay, reseal


def _send(run_dir, sim, **kw):
    options = kw.pop("options", None)
    return service.send_run(run_dir, settings_for(sim), options=options, **kw)


def test_every_payslip_arrives_once_with_its_approved_bytes(approved):
    with sim_for(approved) as sim:
        report = _send(approved, sim)
        again = _send(approved, sim)
        delivered = sim.delivered()
    plan = deliveries(approved)
    assert sorted(report.sent) == sorted(d.userid for d in plan) and not report.failed
    assert not again.sent and len(again.skipped) == len(plan)  # the rerun sends nothing
    for d in plan:
        [got] = delivered[d.userid]
        assert got["sha256"] == sha256_file(approved / d.file) == d.sha256
        assert got["filename"] == d.shown_name
    status = service.status(approved)
    assert (status.sent, status.pending, status.failed) == (len(plan), 0, {})


def test_the_file_name_goes_out_as_raw_utf8(approved):
    with sim_for(approved) as sim:
        _send(approved, sim, only=["ZhangSan"])
        [media] = sim.media.values()
    name = media.filename
    assert name.startswith("工资条-2026-10-") and name.endswith(".pdf")
    assert media.disposition == (b'Content-Disposition: form-data; name="media"; filename="'
                                 + name.encode("utf-8") + b'"; filelength='
                                 + str(media.size).encode() + b"")
    assert b"filename*" not in media.disposition and b"%E5" not in media.disposition


def test_invalid_and_unlicensed_members_fail_with_the_reason(approved):
    plan = [d.userid for d in deliveries(approved)]
    left, unlicensed = plan[1], plan[2]
    with sim_for(approved, left=(left,), unlicensed=(unlicensed,)) as sim:
        report = _send(approved, sim)
        delivered = sim.delivered()
    assert set(report.failed) == {left, unlicensed}
    assert "81013" in report.failed[left]
    assert report.failed[unlicensed].startswith("unlicenseduser")
    assert left not in delivered and unlicensed not in delivered
    status = service.status(approved)
    assert set(status.failed) == {left, unlicensed} and status.sent == len(plan) - 2
    # once the admin fixed the licence: --retry-failed sends to them, never to the others
    with sim_for(approved, left=(left,)) as sim:
        retry = _send(approved, sim, options=Options(retry_failed=True))
        assert retry.sent == [unlicensed] and set(sim.delivered()) == {unlicensed}


def test_an_unapproved_run_is_refused(demo_run, tmp_path):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(demo_run, run_dir)
    with sim_for(run_dir) as sim, pytest.raises(RunFolderError, match="not approved"):
        _send(run_dir, sim)


def test_one_changed_byte_after_approval_is_refused_naming_the_file(approved):
    target = deliveries(approved)[3]
    data = bytearray((approved / target.file).read_bytes())
    data[len(data) // 2] ^= 0x01
    (approved / target.file).write_bytes(bytes(data))
    with sim_for(approved) as sim:
        with pytest.raises(VerifyError, match=target.file):
            _send(approved, sim)
        assert not sim.media and not sim.messages  # nothing at all was sent


def test_a_payslip_that_is_not_a_rendering_of_the_month_is_never_sent(demo_run, tmp_path):
    """Send runs ``verify --render`` on what it is about to deliver: an amount drawn over a
    payslip, every hash redone and an approval written for the forged manifest (as an
    unsigned approval can be) is refused before anything goes out."""
    import shutil
    from datetime import datetime, timezone

    from engine.review import approval

    run_dir = tmp_path / "run"
    shutil.copytree(demo_run, run_dir)
    target = deliveries(run_dir)[2]
    overlay(run_dir / target.file)
    reseal(run_dir)
    approval.write(run_dir, by="forger", now=datetime(2026, 11, 2, tzinfo=timezone.utc),
                   checked={})
    with sim_for(run_dir) as sim:
        with pytest.raises(VerifyError, match=f"refusing to send.*{target.userid}"):
            _send(run_dir, sim)
        assert not sim.media and not sim.messages  # nothing at all was sent


def test_an_intent_without_outcome_is_resent_only_under_the_duplicate_check(approved):
    first = deliveries(approved)[0]
    with sim_for(approved) as sim:
        _send(approved, sim, only=[first.userid])
        # a crash right after message/send went out: drop the outcome from the journal
        path = approved / journal.JOURNAL
        lines = path.read_text().splitlines()
        assert json.loads(lines[-1])["event"] == "sent"
        path.write_text("\n".join(lines[:-1]) + "\n")
        assert journal.load(approved)[first.userid].state is journal.State.IN_DOUBT
        report = _send(approved, sim)
        assert first.userid in report.sent
        assert len(sim.delivered()[first.userid]) == 1  # WeCom swallowed the repeat
        assert sim.messages[-1].duplicates == () and any(m.duplicates for m in sim.messages)


def test_an_old_intent_stays_in_doubt_until_the_operator_resends(approved):
    first = deliveries(approved)[0]
    with sim_for(approved) as sim:
        with journal.Journal(approved) as j:  # an intent from five hours ago, never answered
            j.append("intent", userid=first.userid, file=first.file, sha256=first.sha256,
                     media_id="3000999gone", time=0.0)
        report = _send(approved, sim)
        assert first.userid in report.in_doubt and first.userid not in sim.delivered()
        assert first.userid in service.status(approved).in_doubt
        again = _send(approved, sim, options=Options(resend_in_doubt=True))
        assert again.sent == [first.userid] and len(sim.delivered()[first.userid]) == 1


def test_a_second_sender_on_the_same_run_is_refused(approved):
    with journal.Journal(approved), sim_for(approved) as sim:
        with pytest.raises(RunFolderError, match="another"):
            _send(approved, sim)
