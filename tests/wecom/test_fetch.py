"""The month fetch: batching, bisecting, directory comparison, resume (scripted WeCom)."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, strategies as st

from engine.period import parse_month
from engine.wecom.client import MONTHDATA, WeComClient
from engine.wecom.fetch import fetch_batch, fetch_month, plan_batches
from engine.wecom.reconcile import INVALID_ID, NOT_IN_DIRECTORY, NOT_RETURNED
from engine.wecom.snapshot import load_snapshot
from wecom_fake import FakeWeCom, settings

PERIOD = parse_month("2026-10")


def client_for(fake: FakeWeCom) -> WeComClient:
    return WeComClient(settings(), httpx.Client(transport=fake.transport()),
                       sleep=lambda s: None)


@given(st.lists(st.text(min_size=1, max_size=8), max_size=450), st.integers(1, 100))
def test_batches_are_deterministic_full_and_never_empty(ids, size):
    batches = plan_batches(ids, size)
    assert all(1 <= len(b) <= size for b in batches)
    flat = [u for b in batches for u in b]
    assert flat == sorted(set(ids))
    assert plan_batches(list(reversed(ids)), size) == batches


def test_exact_multiple_of_100_has_no_trailing_batch():
    assert [len(b) for b in plan_batches([f"u{i:03d}" for i in range(200)])] == [100, 100]


def test_bisect_isolates_unknown_ids_with_few_calls():
    ids = [f"u{i:03d}" for i in range(100)]
    fake = FakeWeCom(directory=set(ids) - {"u017", "u063"})
    exchanges = fetch_batch(client_for(fake), PERIOD, ids)
    failed = [e.body["useridlist"] for e in exchanges if e.errcode == 301021 and
              len(e.body["useridlist"]) == 1]
    assert failed == [["u017"], ["u063"]]
    returned = {r["base_info"]["acctid"] for e in exchanges if e.errcode == 0
                for r in e.data["datas"]}
    assert returned == set(ids) - {"u017", "u063"}
    assert fake.calls[MONTHDATA] <= 2 * 2 * 7 + 1


def test_oversized_answer_is_halved():
    ids = [f"u{i:03d}" for i in range(10)]
    fake = FakeWeCom(directory=set(ids))
    fake.queue(MONTHDATA, 301023)
    exchanges = fetch_batch(client_for(fake), PERIOD, ids)
    assert [len(e.body["useridlist"]) for e in exchanges] == [10, 5, 5]


def test_fetch_month_roster_against_directory(tmp_path):
    fake = FakeWeCom(directory={"a", "bb", "ccc", "dir-only"}, hidden={"ccc"})
    report, problems = fetch_month(client_for(fake), PERIOD, tmp_path,
                                   userids=["bb", "a", "gone", "ccc", "a", "x" * 65])
    assert report.fetched == 2
    assert report.missing == {"gone": NOT_IN_DIRECTORY, "ccc": NOT_RETURNED, "x" * 65: INVALID_ID}
    codes = {(p.code, p.userid) for p in problems}
    assert {("not_in_directory", "gone"), ("not_in_directory", "ccc"),
            ("not_in_roster", "dir-only"), ("invalid_userid", "x" * 65),
            ("missing", "gone"), ("missing", "ccc")} <= codes
    snap = load_snapshot(tmp_path)
    assert sorted(snap.records) == ["a", "bb"]
    assert snap.missing == report.missing
    assert snap.requested == tuple(sorted({"a", "bb", "ccc", "gone", "x" * 65}))
    assert [t.name for t in snap.leave_types] == ["年假", "事假"]
    assert [u.userid for u in snap.directory] == ["a", "bb", "dir-only"]


def test_without_roster_the_directory_is_fetched(tmp_path):
    fake = FakeWeCom(directory={f"u{i:03d}" for i in range(150)})
    report, problems = fetch_month(client_for(fake), PERIOD, tmp_path)
    assert report.fetched == 150 and report.batches == 2 and not report.missing
    assert not [p for p in problems if p.severity.value != "info"]


def test_a_fetch_that_dies_resumes_without_asking_again(tmp_path):
    ids = {f"u{i:03d}" for i in range(450)}
    fake = FakeWeCom(directory=ids)

    class Dies:
        def __init__(self):
            self.batches = 0

        def start(self, stage, total): ...
        def note(self, message): ...
        def finish(self): ...

        def advance(self, n=1):
            self.batches += 1
            if self.batches == 2:
                raise KeyboardInterrupt

    one_worker = WeComClient(settings(concurrency=1), httpx.Client(transport=fake.transport()))
    with pytest.raises(KeyboardInterrupt):
        fetch_month(one_worker, PERIOD, tmp_path, userids=sorted(ids), progress=Dies())
    # the batch already running when the kill came was finished and written, the queued
    # ones were never asked for
    written = list((tmp_path / "snapshot" / "monthdata").glob("batch-*.json"))
    assert len(written) in (2, 3) and fake.calls[MONTHDATA] == len(written)
    assert not (tmp_path / "snapshot" / "fetch.json").exists()
    before = dict(fake.calls)
    report, _ = fetch_month(client_for(fake), PERIOD, tmp_path, userids=sorted(ids))
    assert fake.calls[MONTHDATA] - before[MONTHDATA] == 5 - len(written)
    assert fake.calls["department/simplelist"] == before["department/simplelist"]
    assert (report.resumed_batches, report.batches, report.fetched) == (len(written), 5, 450)
