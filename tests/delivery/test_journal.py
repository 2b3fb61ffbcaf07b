"""The delivery journal: events folded per employee, torn lines, and what verify says."""

from __future__ import annotations

import json

from engine.audit import verify_run
from engine.delivery import journal
from engine.delivery.journal import Journal, State
from engine.delivery.plan import deliveries, shown_name


def _events(*events):
    return iter([{"userid": "u1", **e} for e in events])


def test_a_confirmed_send_is_final():
    entries = journal.fold(_events({"event": "intent", "time": 1}, {"event": "sent", "msgid": "m"},
                                   {"event": "intent", "time": 2}, {"event": "error"}))
    assert entries["u1"].state is State.SENT and entries["u1"].msgid == "m"


def test_an_intent_without_outcome_is_in_doubt_and_a_later_refusal_does_not_clear_it():
    assert journal.fold(_events({"event": "intent"}))["u1"].state is State.IN_DOUBT
    assert journal.fold(_events({"event": "intent"}, {"event": "error"}))["u1"].state \
        is State.PENDING  # refused before it was processed: nothing went out
    doubted = journal.fold(_events({"event": "intent"}, {"event": "intent"}, {"event": "error"}))
    assert doubted["u1"].state is State.IN_DOUBT  # the first intent may still have arrived


def test_a_torn_last_line_is_skipped_and_healed(tmp_path):
    with Journal(tmp_path) as j:
        j.append("intent", userid="u1", time=1.0)
    path = tmp_path / journal.JOURNAL
    path.write_bytes(path.read_bytes() + b'{"event":"sent","userid":"u1","ms')  # kill -9
    assert journal.load(tmp_path)["u1"].state is State.IN_DOUBT
    with Journal(tmp_path) as j:
        j.append("sent", userid="u1", msgid="m2")
    assert journal.load(tmp_path)["u1"].state is State.SENT
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["msgid"] == "m2"


def test_file_names_employees_see():
    assert shown_name("2026-10", "张三", "ZhangSan") == "工资条-2026-10-张三.pdf"
    assert shown_name("2026-10", 'a"b/c\\d\r\n', "u") == "工资条-2026-10-a_b_c_d.pdf"
    assert shown_name("2026-10", "", "ZhangSan", "en") == "payslip-2026-10-ZhangSan.pdf"


def test_verify_flags_a_journal_that_sent_unapproved_bytes_or_sent_twice(approved):
    first = deliveries(approved)[0]
    with Journal(approved) as j:
        j.append("uploaded", userid=first.userid, file=first.file, sha256="0" * 64,
                 media_id="m", created_at=0)
        j.append("sent", userid=first.userid, msgid="a")
        j.append("sent", userid=first.userid, msgid="b")
    (approved / "delivery" / "notes.txt").write_text("x")
    found = {(d.kind, d.message.split(":")[0]) for d in verify_run(approved).differences}
    assert ("delivery", "uploaded of a file whose sha256 is not the approved one") in found
    assert ("delivery", "confirmed 2 times") in found
    assert ("extra_file", "not a file delivery writes") in found
