"""Simulator speed: company size scaling and the cost of a 100-user monthdata call.

Run: .venv/bin/python benchmarks/simulator_bench.py
Prints each measurement with its ratio to a baseline taken in the same run: building a
company of 100,000 against ten times one of 10,000 (1.0 means linear), and a 100-user
monthdata call against a gettoken round trip (the HTTP overhead alone).
"""

from __future__ import annotations

import time

import httpx

from engine.period import parse_month
from engine.wecom.simulator import SimConfig, Simulator, make_company

CALLS = 50


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def company_scaling() -> None:
    small = _timed(lambda: make_company(10_000, 1))
    big = _timed(lambda: make_company(100_000, 1))
    print(f"make_company(10_000)   {small:7.3f} s  (baseline)")
    print(f"make_company(100_000)  {big:7.3f} s  ratio to 10 x baseline: {big / (10 * small):.2f}")
    company = make_company(100_000, 1)
    roster = _timed(company.roster_rows)
    print(f"roster_rows(100_000)   {roster:7.3f} s  ratio to make_company: {roster / big:.2f}")


def http_calls() -> None:
    period = parse_month("2026-10")
    config = SimConfig(employees=2000, limits={"getcheckin_monthdata": 10**6, "gettoken": 10**6})
    with Simulator(config) as sim, httpx.Client(base_url=sim.url) as client:
        params = {"corpid": config.corp_id, "corpsecret": config.corp_secret}
        token = client.get("/cgi-bin/gettoken", params=params).json()["access_token"]
        ids = [u.userid for u in sim.company.users]
        base = _timed(lambda: [client.get("/cgi-bin/gettoken", params=params)
                               for _ in range(CALLS)]) / CALLS

        def monthdata() -> None:
            for n in range(CALLS):
                batch = ids[(n * 100) % 1900:(n * 100) % 1900 + 100]
                answer = client.post("/cgi-bin/checkin/getcheckin_monthdata",
                                     params={"access_token": token},
                                     json={"starttime": period.starttime,
                                           "endtime": period.endtime, "useridlist": batch})
                assert len(answer.json()["datas"]) == 100

        month = _timed(monthdata) / CALLS
    print(f"gettoken round trip    {base * 1000:7.2f} ms (baseline)")
    print(f"monthdata, 100 users   {month * 1000:7.2f} ms ratio to baseline: {month / base:.1f}")


if __name__ == "__main__":
    company_scaling()
    http_calls()
