"""`payroll doctor`'s API checks against the simulator with the console misconfigured:
each failure names the errcode and the admin-console setting to change."""

from __future__ import annotations

import pytest

from engine.company.doctor import api_checks
from engine.wecom.settings import load_settings
from engine.wecom.simulator import SimConfig, Simulator

MONTH = "2026-10"


def checks_for(config: SimConfig, secret: str | None = None, roster=None):
    with Simulator(config) as sim:
        settings = load_settings(environ={}, corp_id=config.corp_id,
                                 corp_secret=secret or config.corp_secret, api_base=sim.url)
        roster = roster if roster is not None else [u.userid for u in sim.company.users[:3]]
        return {c.name: c for c in api_checks(settings, roster, MONTH)}, sim


def test_a_well_configured_app_passes_every_check():
    checks, sim = checks_for(SimConfig(employees=4, seed=3))
    assert [c.status for c in checks.values()] == ["ok"] * 4
    assert set(checks) == {"token", "directory", "monthdata", "leave types"}
    assert "4 members" in checks["directory"].detail
    assert sim.stats.snapshot()["calls"].get("checkin/getcheckin_monthdata") == 1


def test_a_wrong_secret_fails_at_the_token_and_stops(caplog):
    checks, sim = checks_for(SimConfig(employees=2), secret="not-the-secret")
    assert list(checks) == ["token"]
    assert not checks["token"].ok and "40001" in checks["token"].detail
    assert "Secret" in checks["token"].fix
    assert sim.stats.snapshot()["calls"].get("gettoken") == 1  # never loops on gettoken


@pytest.mark.parametrize(("endpoint", "check", "console"), [
    ("checkin/getcheckin_monthdata", "monthdata", "打卡"),
    ("oa/vacation/getcorpconf", "leave types", "审批"),
])
def test_an_api_missing_from_the_apps_list_is_48002_with_the_console_setting(endpoint, check, console):
    checks, _ = checks_for(SimConfig(employees=2, denied=(endpoint,)))
    assert not checks[check].ok and "48002" in checks[check].detail
    assert console in checks[check].fix and "API" in checks[check].fix
    others = [c for name, c in checks.items() if name != check]
    assert all(c.ok for c in others)


def test_an_untrusted_ip_is_60020_with_the_trusted_ip_setting():
    checks, _ = checks_for(SimConfig(employees=2, untrusted_ip=True))
    assert checks["token"].ok  # gettoken works from anywhere; data calls do not
    for name in ("directory", "monthdata", "leave types"):
        assert not checks[name].ok and "60020" in checks[name].detail
        assert "企业可信IP" in checks[name].fix


def test_roster_people_outside_the_visible_range_are_a_warning():
    checks, _ = checks_for(SimConfig(employees=3), roster=["ZhangSan", "Nobody1"])
    visible = checks["visible range"]
    assert visible.ok and visible.warning and "Nobody1" in visible.detail
    assert "可见范围" in visible.fix
    assert checks["monthdata"].ok  # asked for a member the app can see


def test_an_unreachable_api_says_where_it_looked():
    settings = load_settings(environ={}, corp_id="ww1", corp_secret="s",
                             api_base="http://127.0.0.1:9", timeout_seconds=1)
    checks = api_checks(settings, ["u1"], MONTH)
    assert [c.name for c in checks] == ["token"] and not checks[0].ok
    assert "WECOM_API_BASE" in checks[0].fix
