"""The snapshot folder: verbatim answers, determinism, offline load, bad records."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from engine.errors import InputError
from engine.period import parse_month
from engine.wecom.client import WeComClient
from engine.wecom.fetch import fetch_month
from engine.wecom.models import MonthRecord
from engine.wecom.simulator import SimConfig, Simulator
from engine.wecom.snapshot import SnapshotStore, dumps, load_snapshot
from sim_helpers import sim_client
from wecom_fake import FakeWeCom, settings

PERIOD = parse_month("2026-10")
DATE = "Sun, 01 Nov 2026 01:30:00 GMT"


def fake_fetch(run_dir, fake: FakeWeCom | None = None, ids=("a", "b", "c")):
    fake = fake or FakeWeCom(directory=set(ids))
    client = WeComClient(settings(), httpx.Client(transport=fake.transport()))
    return fetch_month(client, PERIOD, run_dir, list(ids))


def files(run_dir) -> dict[str, bytes]:
    root = run_dir / "snapshot"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_same_answers_give_the_same_bytes(tmp_path):
    config = SimConfig(employees=230, seed=9, window_seconds=1.0, fixed_date=DATE)
    with Simulator(config) as sim:
        fetch_month(sim_client(sim), PERIOD, tmp_path / "one")
    with Simulator(config) as sim:  # a fresh server: new tokens, same answers
        fetch_month(sim_client(sim), PERIOD, tmp_path / "two")
    one, two = files(tmp_path / "one"), files(tmp_path / "two")
    assert one == two and "fetch.json" in one and "monthdata/batch-0002.json" in one
    assert load_snapshot(tmp_path / "one").sha256 == load_snapshot(tmp_path / "two").sha256


def test_each_answer_is_kept_verbatim_with_its_request(tmp_path):
    fake_fetch(tmp_path)
    stored = json.loads((tmp_path / "snapshot/monthdata/batch-0000.json").read_text("utf-8"))
    assert stored["userids"] == ["a", "b", "c"]
    (exchange,) = stored["exchanges"]
    assert exchange["endpoint"] == "checkin/getcheckin_monthdata"
    assert exchange["body"] == {"starttime": PERIOD.starttime, "endtime": PERIOD.endtime,
                                "useridlist": ["a", "b", "c"]}
    assert exchange["time"] == "2026-11-01T02:00:00Z" and exchange["query"] == {}
    assert hashlib.sha256(exchange["raw"].encode()).hexdigest() == exchange["sha256"]
    assert [r["base_info"]["acctid"] for r in json.loads(exchange["raw"])["datas"]] == \
        ["c", "b", "a"]


def test_load_gives_validated_models(tmp_path):
    report, _ = fake_fetch(tmp_path)
    snap = load_snapshot(tmp_path)
    assert snap.period == PERIOD and snap.requested == ("a", "b", "c")
    assert all(isinstance(r, MonthRecord) for r in snap.records.values())
    assert snap.records["b"].summary_info.work_days == 21 and not snap.problems


def test_a_malformed_record_is_a_problem_naming_file_user_and_field(tmp_path):
    fake = FakeWeCom(directory={"a", "b"})
    fake.queue("checkin/getcheckin_monthdata", {"errcode": 0, "datas": [
        {"base_info": {"acctid": "a"}, "summary_info": {"work_days": "twenty"}},
        {"base_info": {"acctid": "b"}, "summary_info": {"work_days": "20"}}]})
    fake_fetch(tmp_path, fake, ("a", "b"))
    snap = load_snapshot(tmp_path)
    assert list(snap.records) == ["b"] and snap.records["b"].summary_info.work_days == 20
    (problem,) = [p for p in snap.problems if p.code == "bad_record"]
    assert (problem.userid, problem.field, problem.source) == \
        ("a", "summary_info.work_days", "monthdata/batch-0000.json")


def test_digest_covers_every_file(tmp_path):
    fake_fetch(tmp_path)
    before = load_snapshot(tmp_path).sha256
    assert load_snapshot(tmp_path).sha256 == before
    path = tmp_path / "snapshot" / "vacation.json"
    path.write_bytes(path.read_bytes().replace("年假".encode(), "年休假".encode()))
    assert load_snapshot(tmp_path).sha256 != before


def test_an_unfinished_fetch_cannot_be_loaded(tmp_path):
    fake_fetch(tmp_path)
    (tmp_path / "snapshot" / "fetch.json").unlink()
    with pytest.raises(InputError, match="fetch.json"):
        load_snapshot(tmp_path)


def test_a_damaged_batch_file_is_fetched_again(tmp_path):
    fake = FakeWeCom(directory={"a", "b", "c"})
    fake_fetch(tmp_path, fake)
    (tmp_path / "snapshot/monthdata/batch-0000.json").write_text('{"exchanges": [', "utf-8")
    fake_fetch(tmp_path, fake)
    assert fake.calls["checkin/getcheckin_monthdata"] == 2
    assert sorted(load_snapshot(tmp_path).records) == ["a", "b", "c"]


def test_writes_are_atomic_and_sorted(tmp_path):
    store = SnapshotStore(tmp_path)
    store.write("x/y.json", {"b": 1, "a": "中"})
    assert (tmp_path / "x/y.json").read_bytes() == dumps({"a": "中", "b": 1})
    assert dumps({"b": 1, "a": 2}).startswith(b'{\n "a"')
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["y.json"]


def test_non_integer_seconds_and_counts_are_refused_naming_the_field(tmp_path):
    fake = FakeWeCom(directory={"a", "b"})
    fake.queue("checkin/getcheckin_monthdata", {"errcode": 0, "datas": [
        {"base_info": {"acctid": "a"}, "overwork_info": {"workday_over_sec": 3600.5},
         "exception_infos": [{"exception": 1, "count": 1.5, "duration": 60}]},
        {"base_info": {"acctid": "b"}, "overwork_info": {"workday_over_sec": 7200.0}}]})
    fake_fetch(tmp_path, fake, ("a", "b"))
    snap = load_snapshot(tmp_path)
    # a whole number written as 7200.0 is that number; 3600.5 seconds is not a WeCom value
    assert list(snap.records) == ["b"] and snap.records["b"].overwork_info.workday_over_sec == 7200
    bad = sorted((p.userid, p.field, p.severity.value) for p in snap.problems
                 if p.code == "bad_record")
    assert bad == [("a", "exception_infos.0.count", "error"),
                   ("a", "overwork_info.workday_over_sec", "error")]
