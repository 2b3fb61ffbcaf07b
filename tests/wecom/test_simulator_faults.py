"""Fault injection over real HTTP, and the rate windows and dice on their own."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from engine.period import parse_month
from engine.wecom.simulator import Faults, SimConfig, Simulator
from engine.wecom.simulator.faults import FaultDice, RateWindows

OCT = parse_month("2025-10")
MONTHDATA = "/cgi-bin/checkin/getcheckin_monthdata"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _sim(faults: Faults, **config) -> Simulator:
    sim = Simulator(SimConfig(employees=10, faults=faults, **config), clock=Clock())
    sim.start()
    return sim


def _token(sim: Simulator, client: httpx.Client) -> str:
    saved = sim.dice
    sim.set_faults(Faults())  # a clean token fetch; the faults under test are restored
    try:
        return client.get("/cgi-bin/gettoken",
                          params={"corpid": sim.config.corp_id,
                                  "corpsecret": sim.config.corp_secret}).json()["access_token"]
    finally:
        sim.dice = saved


def _call(client: httpx.Client, token: str) -> str:
    """Outcome of one monthdata call as a short label."""
    try:
        answer = client.post(MONTHDATA, params={"access_token": token},
                             json={"starttime": OCT.starttime, "endtime": OCT.endtime,
                                   "useridlist": ["ZhangSan"]})
    except httpx.TransportError:
        return "reset"
    if answer.status_code != 200:
        return f"http{answer.status_code}"
    try:
        return str(answer.json()["errcode"])
    except json.JSONDecodeError:
        return "truncated"


def test_error_rate_one_answers_transient_codes_only_on_data_calls():
    with _sim(Faults(error_rate=1.0)) as sim, httpx.Client(base_url=sim.url) as client:
        token = client.get("/cgi-bin/gettoken", params={"corpid": sim.config.corp_id,
                                                        "corpsecret": sim.config.corp_secret}
                           ).json()["access_token"]
        codes = {_call(client, token) for _ in range(30)}
        assert codes <= {"-1", "301022", "301070"} and len(codes) >= 2
        conf = client.get("/cgi-bin/oa/vacation/getcorpconf",
                          params={"access_token": token}).json()
        assert conf["errcode"] == -1 and conf["lists"] == []
        assert "system busy, hint: [" in conf["errmsg"]


def test_truncated_bodies_are_cut_in_half():
    with _sim(Faults(truncate_rate=1.0)) as sim, httpx.Client(base_url=sim.url) as client:
        token = _token(sim, client)
        answer = client.post(MONTHDATA, params={"access_token": token},
                             json={"starttime": OCT.starttime, "endtime": OCT.endtime,
                                   "useridlist": ["ZhangSan"]})
        assert answer.status_code == 200
        assert answer.content.startswith(b'{"errcode":0')
        with pytest.raises(json.JSONDecodeError):
            answer.json()
        assert sim.stats.snapshot()["faults"]["truncate"] == 1


def test_resets_and_gateway_errors():
    with _sim(Faults(reset_rate=1.0)) as sim, httpx.Client(base_url=sim.url) as client:
        assert _call(client, "any") == "reset"
        assert _call(client, "any") == "reset"  # the client reconnects and is reset again
    with _sim(Faults(http5xx_rate=1.0)) as sim, httpx.Client(base_url=sim.url) as client:
        outcomes = {_call(client, "any") for _ in range(12)}
        assert outcomes == {"http502", "http503"}


def test_revoke_after_revokes_once():
    with _sim(Faults(revoke_after=3)) as sim, httpx.Client(base_url=sim.url) as client:
        token = _token(sim, client)
        assert [_call(client, token) for _ in range(4)][:3] == ["0", "0", "0"]
        assert _call(client, token) in ("40014", "42001")
        fresh = _token(sim, client)
        assert [_call(client, fresh) for _ in range(5)] == ["0"] * 5


def test_faults_are_reproducible_for_a_call_sequence():
    faults = Faults(error_rate=0.3, truncate_rate=0.1, http5xx_rate=0.1, latency=0.001, seed=5)

    def run(f: Faults) -> list[str]:
        with _sim(f, limits={"getcheckin_monthdata": 1000}) as sim, \
                httpx.Client(base_url=sim.url) as client:
            token = _token(sim, client)
            return [_call(client, token) for _ in range(120)]

    first, second = run(faults), run(faults)
    assert first == second
    assert run(replace(faults, seed=6)) != first
    errors = sum(o in ("-1", "301022", "301070") for o in first)
    assert 0.15 < errors / len(first) < 0.45
    assert {"0", "truncated"} <= set(first)


def test_set_faults_switches_at_run_time():
    with _sim(Faults()) as sim, httpx.Client(base_url=sim.url) as client:
        token = _token(sim, client)
        assert _call(client, token) == "0"
        sim.set_faults(Faults(error_rate=1.0))
        assert _call(client, token) != "0"
        sim.set_faults(Faults())
        assert _call(client, token) == "0"


def test_rate_windows_count_per_window_and_block():
    clock = Clock()
    windows = RateWindows(10, 15, {"a": 2}.get, clock)
    assert [windows.admit("a") for _ in range(3)] == [True, True, False]
    assert windows.admit("b")  # no limit for b
    clock.now = 12
    assert not windows.admit("a") and windows.blocked("a")
    clock.now = 15
    assert windows.admit("a") and windows.admit("a") and not windows.admit("a")
    assert windows.windows() == [(0, "a", 3), (0, "b", 1), (1, "a", 4)]


def test_rate_windows_reject_a_zero_window():
    with pytest.raises(ValueError):
        RateWindows(0, 1, {}.get, Clock())


def test_dice_draw_the_same_sequence_for_a_seed():
    def draws(seed: int) -> list:
        dice = FaultDice(Faults(error_rate=0.5, reset_rate=0.2, seed=seed))
        return [dice.roll("checkin/getcheckin_monthdata") for _ in range(50)]

    assert draws(1) == draws(1) != draws(2)
    dice = FaultDice(Faults(error_rate=1.0))
    assert {dice.roll("oa/vacation/getcorpconf").error for _ in range(20)} == {-1}
    assert {dice.roll("checkin/getcheckin_daydata").error for _ in range(40)} == \
        {-1, 301022, 301070}
