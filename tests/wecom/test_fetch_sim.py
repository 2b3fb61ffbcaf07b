"""The month fetch against the simulator over real loopback HTTP: faults, limits, resume."""

from __future__ import annotations

import json
import logging
from collections import Counter
from io import StringIO

import pytest

from engine.period import parse_month
from engine.wecom.client import MONTHDATA
from engine.wecom.errors import WeComConfigError
from engine.wecom.fetch import fetch_month, run_fetch
from engine.progress import Lines
from engine.wecom.reconcile import NOT_IN_DIRECTORY, NOT_RETURNED, record_userid
from engine.wecom.snapshot import load_snapshot
from engine.wecom.simulator import Faults, SimConfig, Simulator
from sim_helpers import Recorder, TokenSpy, sim_client, sim_settings

PERIOD = parse_month("2026-10")


def accepted_records(run_dir) -> Counter:
    """How often each userid appears in the successful answers of the snapshot."""
    seen: Counter = Counter()
    for path in sorted((run_dir / "snapshot" / "monthdata").glob("batch-*.json")):
        for exchange in json.loads(path.read_text("utf-8"))["exchanges"]:
            answer = json.loads(exchange["raw"])
            if answer.get("errcode") == 0:
                seen.update(record_userid(r) for r in answer.get("datas", []))
    return seen


def test_thousand_employees_with_faults_lose_nobody(tmp_path):
    config = SimConfig(employees=1000, seed=1, window_seconds=1.0, departed=("gone01",),
                       invisible=2, faults=Faults(error_rate=0.05, revoke_after=5, seed=3,
                                                  http5xx_rate=0.02, truncate_rate=0.02))
    with Simulator(config) as sim:
        roster = [row["userid"] for row in sim.company.roster_rows()]
        report, problems = fetch_month(sim_client(sim), PERIOD, tmp_path, roster)
        stats = sim.stats.snapshot()
    assert "gone01" in roster
    snap = load_snapshot(tmp_path)
    for uid in roster:
        assert (uid in snap.records) != (uid in snap.missing), uid
    assert snap.missing["gone01"] == NOT_IN_DIRECTORY
    assert sum(1 for r in snap.missing.values() if r == NOT_RETURNED) == 2
    assert len(snap.records) == len(roster) - 3 == report.fetched
    counts = accepted_records(tmp_path)
    assert set(counts) == set(snap.records) and set(counts.values()) == {1}
    assert stats["rate_limited"] == 0
    assert stats["errcodes"].get(42001, 0) + stats["errcodes"].get(40014, 0) >= 1
    assert stats["gettoken_calls"] == 2  # the first token and one refresh after revocation
    assert sum(stats["faults"].values()) + stats["errcodes"].get(-1, 0) > 0 or \
        any(code in stats["errcodes"] for code in (301022, 301070))
    missing_codes = {p.userid for p in problems if p.code == "missing"}
    assert missing_codes == set(snap.missing)


def test_a_long_fetch_stays_under_the_limit_without_45009(tmp_path):
    limits = {MONTHDATA: 4}
    config = SimConfig(employees=1500, seed=2, window_seconds=0.4, limits=limits)
    with Simulator(config) as sim:
        client = sim_client(sim, limits=limits)
        report, _ = fetch_month(client, PERIOD, tmp_path)
        stats = sim.stats.snapshot()
    assert report.fetched == 1500 and stats["rate_limited"] == 0
    per_window = [n for _, ep, n in stats["windows"] if ep == MONTHDATA]
    assert len(per_window) >= 4 and max(per_window) <= 4
    assert client.limiter.waited[MONTHDATA] > 0  # it did have to throttle


def test_killed_fetch_resumes_without_asking_for_finished_batches(tmp_path):
    config = SimConfig(employees=700, seed=4, window_seconds=1.0)
    with Simulator(config) as sim:
        roster = [row["userid"] for row in sim.company.roster_rows()]
        with pytest.raises(KeyboardInterrupt):
            # one worker: the kill lands after the third batch, with at most the fourth
            # already on the wire (it is finished and written)
            fetch_month(sim_client(sim, concurrency=1), PERIOD, tmp_path, roster,
                        Recorder(stop_after=3))
        first = sim.stats.snapshot()["calls"]
        written = len(list((tmp_path / "snapshot" / "monthdata").glob("batch-*.json")))
        assert first[MONTHDATA] == written and written in (3, 4)
        progress = Recorder()
        report, _ = fetch_month(sim_client(sim), PERIOD, tmp_path, roster, progress)
        second = sim.stats.snapshot()["calls"]
    assert report.batches == 7 and report.resumed_batches == written
    assert second[MONTHDATA] - first[MONTHDATA] == 7 - written
    assert second["user/simplelist"] == first["user/simplelist"]
    assert second.get("oa/vacation/getcorpconf") == first.get("oa/vacation/getcorpconf")
    assert progress.started == [("fetch", 700)]
    assert progress.advanced == [100 * written] + [100] * (7 - written)
    assert f"resuming: {written} of 7 batches already in the snapshot" in progress.notes
    assert len(load_snapshot(tmp_path).records) == len(roster)


def test_injected_45009_is_waited_out_and_reported(tmp_path):
    config = SimConfig(employees=1200, seed=5, window_seconds=0.5, limits={MONTHDATA: 4})
    with Simulator(config) as sim:
        client = sim_client(sim, limits={MONTHDATA: 8})  # believes a higher ceiling
        progress = Recorder()
        report, _ = fetch_month(client, PERIOD, tmp_path, progress=progress)
        stats = sim.stats.snapshot()
    assert report.fetched == 1200
    assert stats["rate_limited"] >= 1
    assert progress.waits and all(ep == MONTHDATA and "45009" in why
                                  for ep, _, why in progress.waits)
    assert client.limiter.limits[MONTHDATA] <= 4


def test_no_secret_in_logs_errors_progress_or_snapshot(tmp_path, caplog):
    spy = TokenSpy()
    out = StringIO()
    config = SimConfig(employees=250, seed=6, window_seconds=1.0, departed=("gone01",),
                       faults=Faults(error_rate=0.1, revoke_after=2, seed=1, http5xx_rate=0.05))
    with Simulator(config) as sim, caplog.at_level(logging.DEBUG):
        secret = sim.config.corp_secret
        roster = [row["userid"] for row in sim.company.roster_rows()]
        fetch_month(sim_client(sim, spy), PERIOD, tmp_path, roster, Lines(out))
        with pytest.raises(WeComConfigError) as caught:
            sim_client(sim, corp_secret="wrong-" + secret).departments()
    assert spy.tokens and caught.value.errcode == 40001
    leaks = [secret, "wrong-" + secret, *spy.tokens]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "gettoken" in logged and "retry" in logged  # the logs did cover the risky paths
    texts = {"log": logged, "error": str(caught.value), "progress": out.getvalue()}
    texts.update({str(p): p.read_text("utf-8") for p in tmp_path.rglob("*") if p.is_file()})
    for where, text in texts.items():
        for leak in leaks:
            assert leak not in text, where


def test_wrong_secret_stops_at_once_with_a_console_hint():
    with Simulator(SimConfig(employees=5)) as sim:
        client = sim_client(sim, corp_secret="not-the-secret")
        with pytest.raises(WeComConfigError, match="Secret"):
            client.departments()
        assert sim.stats.snapshot()["gettoken_calls"] == 1


def test_settings_cover_the_simulator():
    with Simulator(SimConfig(employees=1)) as sim:
        assert sim_settings(sim).api_base == sim.url


def test_run_fetch_is_what_the_command_line_calls(tmp_path):
    with Simulator(SimConfig(employees=120, seed=8, window_seconds=1.0)) as sim:
        roster = [row["userid"] for row in sim.company.roster_rows()]
        report, problems = run_fetch(sim_settings(sim), parse_month("2026-10"), tmp_path, roster)
    assert report.period == PERIOD and report.fetched == len(roster) and not report.missing
    assert load_snapshot(tmp_path).requested == tuple(sorted(roster))
