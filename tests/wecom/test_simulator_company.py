"""The synthetic company: deterministic directory, calendar-true month records, roster."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal

import pytest

from engine.period import DayKind, day_kind, parse_month
from engine.roster import load_roster
from engine.wecom.models import MonthRecord
from engine.wecom.simulator import make_company
from engine.wecom.example import EXAMPLE_RECORD
from engine.wecom.simulator.month import LEAVE_TYPES

OCT = parse_month("2025-10")  # National Day week: holidays and shifted days


@pytest.fixture(scope="module")
def company():
    return make_company(400, 7, departed=("LeftLastYear", "gone_02"), invisible=3)


def _records(company, period=OCT):
    return [company.month_record(u.userid, period.starttime, period.endtime)
            for u in company.users[1:]]


def test_same_inputs_give_identical_company():
    a, b = make_company(200, 3), make_company(200, 3)
    assert a.departments == b.departments and a.users == b.users
    assert a.roster_rows() == b.roster_rows()
    assert [a.month_record(u.userid, OCT.starttime, OCT.endtime) for u in a.users] == \
        [b.month_record(u.userid, OCT.starttime, OCT.endtime) for u in b.users]


def test_another_seed_gives_another_company():
    a, b = make_company(200, 3), make_company(200, 4)
    assert [u.userid for u in a.users] != [u.userid for u in b.users]


def test_department_tree_has_levels_and_paths(company):
    by_id = {d.id: d for d in company.departments}
    assert company.departments[0].parentid == 0 and company.departments[0].path == "有家企业"
    depth = {}
    for d in company.departments:
        depth[d.id] = 0 if d.parentid == 0 else depth[d.parentid] + 1
        if d.parentid:
            assert d.path == f"{by_id[d.parentid].path}/{d.name}"
    assert max(depth.values()) >= 3
    assert len({d.id for d in company.departments}) == len(company.departments)


def test_users_unique_and_some_in_several_departments(company):
    ids = [u.userid for u in company.users]
    assert len(set(ids)) == len(ids)
    assert all(1 <= len(i.encode()) <= 64 for i in ids)
    multi = [u for u in company.users[1:] if len(u.department) > 1]
    assert multi
    sample = multi[0]
    assert company.departs_name(sample).split(";") == \
        [company.department(d).path for d in sample.department]


def test_rare_characters_and_aliases_present():
    users = make_company(2000, 1).users
    assert any(ord(c) > 0xFFFF for u in users for c in u.name)  # CJK Extension B
    assert any(u.name_ex and u.name_ex.isascii() for u in users)
    assert any(u.name_ex == "" for u in users)


def test_zhangsan_is_the_api_page_example(company):
    zhang = company.user("ZhangSan")
    assert company.departs_name(zhang) == "有家企业/realempty;有家企业;有家企业/部门A4"
    for period in (OCT, parse_month("2026-02")):
        record = company.month_record("ZhangSan", period.starttime, period.endtime)
        assert record == EXAMPLE_RECORD
        assert "holidays_over_sec" not in record["overwork_info"]
        assert "regular_days" not in record["summary_info"]
    annual = next(t for t in company.leave_types if t["id"] == 2)
    assert annual["name"] == "年假"


def test_invisible_and_departed(company):
    assert sum(not u.visible for u in company.users) == 3
    assert company.user("LeftLastYear") is None
    roster_ids = [r["userid"] for r in company.roster_rows()]
    assert {"LeftLastYear", "gone_02"} <= set(roster_ids)
    assert {u.userid for u in company.users if not u.visible} <= set(roster_ids)


@pytest.mark.parametrize("month", ["2025-10", "2026-02", "2026-05", "2026-07"])
def test_summary_follows_the_calendar(company, month):
    period = parse_month(month)
    kinds = [day_kind(d) for d in period.days()]
    work = kinds.count(DayKind.WORK)
    for raw in _records(company, period)[:80]:
        record = MonthRecord.model_validate(raw)  # numbers sent as strings coerce
        summary = record.summary_info
        assert summary.work_days == work
        assert summary.rest_days == len(kinds) - work
        assert summary.standard_work_sec == work * 8 * 3600
        assert 0 <= summary.regular_work_sec <= summary.standard_work_sec


def test_holiday_overtime_only_in_months_with_holidays(company):
    july = parse_month("2026-07")  # no statutory holiday
    assert all(int(r["overwork_info"].get("holidays_over_sec", 0)) == 0
               for r in _records(company, july))
    assert any(int(r["overwork_info"].get("holidays_over_sec", 0)) > 0
               for r in _records(company))


def test_quirks_appear(company):
    records = [MonthRecord.model_validate(r) for r in _records(company)]
    raws = _records(company)
    ow = [r.overwork_info for r in records]
    assert any(o.holidays_over_as_vacation > 0 for o in ow)  # comp time for holiday work
    assert any(o.restdays_over_sec != o.restdays_over_as_money + o.restdays_over_as_vacation
               for o in ow)
    assert any("regular_days" not in r["summary_info"] for r in raws)
    assert any(isinstance(v, str) for r in raws for v in r["summary_info"].values())
    hours = [(o.workday_over_sec + o.restdays_over_sec + o.holidays_over_sec) / 3600 for o in ow]
    assert sum(h <= 40 for h in hours) / len(hours) > 0.85
    assert any(h > 36 for h in hours)


def test_sp_items_and_exceptions_are_well_formed(company):
    leave = {t["id"]: t for t in LEAVE_TYPES}
    items = [i for r in _records(company) for i in r["sp_items"]]
    kinds = {i["type"] for i in items}
    assert {1, 3, 4, 100} <= kinds
    for item in items:
        if item["type"] == 1:
            kind = leave[item["vacation_id"]]
            assert item["name"] == kind["name"] and item["time_type"] == kind["time_attr"]
            unit = 3600 if item["time_type"] else 86400
            assert (item["duration"] * 2) % unit == 0  # whole hours or half days
    assert {i["time_type"] for i in items if i["type"] == 1} == {0, 1}
    assert any(i["type"] == 1 and i["count"] == 1 and i["duration"] == 0 for i in items)
    exceptions = [e for r in _records(company) for e in r["exception_infos"]]
    assert {e["exception"] for e in exceptions} == {1, 2, 3, 4, 5, 6}
    assert all(e["duration"] == 0 for e in exceptions if e["exception"] in (3, 5, 6))
    assert all(e["duration"] > 0 for e in exceptions if e["exception"] in (1, 2, 4))


def test_leave_types_cover_days_hours_and_comp_time(company):
    types = company.leave_types
    assert {t["time_attr"] for t in types} == {0, 1}
    assert [t["name"] for t in types if t["is_newovertime"] == 1] == ["调休"]
    assert {"年假", "事假", "病假", "婚假", "产假", "陪产假", "丧假"} <= {t["name"] for t in types}


def test_roster_rows_and_csv_round_trip(company, tmp_path):
    rows = company.roster_rows()
    assert rows[0]["userid"] == "ZhangSan" and rows[0]["monthly_salary"] == "8700.00"
    for row in rows:
        salary = Decimal(row["monthly_salary"])
        assert salary.as_tuple().exponent == -2 and Decimal(6000) <= salary <= Decimal(45000)
        assert len(row["id_number"]) == 18
    hourly = [r for r in rows if r["hourly_rate"]]
    assert 1 <= len(hourly) <= 3
    path = tmp_path / "out" / "roster.csv"
    company.write_roster(path)
    roster, problems = load_roster(path)
    assert problems == []
    assert roster.userids() == [r["userid"] for r in rows]
    assert roster.by_userid()["ZhangSan"].monthly_salary == Decimal("8700.00")
    with path.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle))[:2] == ["userid", "name"]
    assert [p.name for p in path.parent.iterdir()] == ["roster.csv"]  # no temp left


def test_id_numbers_have_valid_check_digits(company):
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    for row in company.roster_rows()[:50]:
        body, check = row["id_number"][:17], row["id_number"][17]
        assert "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11] == check
        born = date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
        assert date(1960, 1, 1) < born < date(2010, 1, 1)


def test_twenty_thousand_users_smoke():
    big = make_company(20_000, 5)
    assert len(big.users) == 20_000
    assert len({u.userid for u in big.users}) == 20_000
    assert len(big.departments) >= 20_000 // 25
    last = big.users[-1]
    record = big.month_record(last.userid, OCT.starttime, OCT.endtime)
    assert record["base_info"]["acctid"] == last.userid
    json.dumps(record, ensure_ascii=False)


def test_unknown_user_has_no_record(company):
    with pytest.raises(KeyError):
        company.month_record("LeftLastYear", OCT.starttime, OCT.endtime)
