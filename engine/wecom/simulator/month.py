"""Month and day check-in records of the simulated company, derived on demand.

Called by ``Company.month_record`` and the daydata handler. Each record is a pure
function of ``(seed, userid, starttime)`` and the real Chinese calendar of the requested
span (``engine.period.day_kind``): work days, rest days and statutory holidays with
shifted days decide ``work_days``, ``rest_days`` and ``standard_work_sec``. The records
carry the quirks the API is known for: optional fields left out, numbers sent as strings,
overtime splits that do not add up, holiday overtime banked as comp time, leave counted
once with zero duration.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from engine.period import DayKind, day_kind

if TYPE_CHECKING:
    from engine.wecom.simulator.company import User

DAY = 86400
HOUR = 3600
WORKDAY = 8 * HOUR


def _leave(id_: int, name: str, time_attr: int, duration_type: int = 1,
           newovertime: int = 0, quota: int = 0) -> dict:
    return {
        "id": id_, "name": name, "time_attr": time_attr, "duration_type": duration_type,
        "quota_attr": {"type": quota, "autoreset_time": 0, "autoreset_duration": 0},
        "perday_duration": WORKDAY, "is_newovertime": newovertime,
        "enter_comp_time_limit": 0,
        "expire_rule": {"type": 0, "duration": 0, "date": {"month": 0, "day": 0}},
    }


# ``oa/vacation/getcorpconf`` entries; id 2 is 年假 because the API page's example uses it.
LEAVE_TYPES: list[dict] = [
    _leave(1, "事假", 1),
    _leave(2, "年假", 0, quota=1),
    _leave(3, "病假", 0),
    _leave(4, "调休", 1, newovertime=1, quota=2),
    _leave(5, "婚假", 0, duration_type=0),
    _leave(6, "产假", 0, duration_type=0),
    _leave(7, "陪产假", 0),
    _leave(8, "丧假", 0),
    _leave(9, "哺乳假", 1),
]
_LEAVE = {t["id"]: t for t in LEAVE_TYPES}

def span_days(starttime: int, endtime: int, tz: str) -> list[date]:
    """Days covered by ``starttime..endtime``; ``endtime`` names an included day."""
    zone = ZoneInfo(tz)
    first = datetime.fromtimestamp(starttime, zone).date()
    last = datetime.fromtimestamp(endtime, zone).date()
    return [first + timedelta(n) for n in range((last - first).days + 1)]


@lru_cache(maxsize=256)
def _kinds(first: date, count: int) -> tuple[DayKind, ...]:
    return tuple(day_kind(first + timedelta(n)) for n in range(count))


@lru_cache(maxsize=16)
def utc_offset(tz: str) -> int:
    """Seconds east of UTC (zones of the API's users keep no daylight saving)."""
    offset = datetime(2026, 1, 1, tzinfo=ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds()) if offset else 0


@lru_cache(maxsize=256)
def calendar_counts(starttime: int, endtime: int, tz: str) -> tuple[int, int, int]:
    """(work days, rest days incl. holidays, statutory holidays) of the span."""
    days = span_days(starttime, endtime, tz)
    kinds = _kinds(days[0], len(days)) if days else ()
    work = sum(1 for k in kinds if k is DayKind.WORK)
    holidays = sum(1 for k in kinds if k is DayKind.HOLIDAY)
    return work, len(kinds) - work, holidays


def make_record(seed: int, user: User, departs_name: str, starttime: int, endtime: int,
                tz: str) -> dict:
    rng = random.Random(f"{seed}|{user.userid}|{starttime}")
    work, rest, holidays = calendar_counts(starttime, endtime, tz)
    exceptions, absent_days, lost_sec = _exceptions(rng, work)
    sp_items, leave_days = _sp_items(rng, user, work)
    except_days = min(work, sum(e["count"] for e in exceptions if e["exception"] != 5))
    attended = max(0.0, work - leave_days - absent_days)
    summary = {
        "work_days": work, "regular_days": max(0, int(work - leave_days) - except_days),
        "rest_days": rest, "except_days": except_days,
        "regular_work_sec": max(0, int(attended * WORKDAY) - lost_sec),
        "standard_work_sec": work * WORKDAY,
    }
    if rng.random() < 0.1:
        del summary["regular_days"]
    record = {
        "base_info": {
            "record_type": user.record_type, "name": user.name, "name_ex": user.name_ex,
            "departs_name": departs_name,
            "rule_info": {"groupid": user.groupid, "groupname": user.groupname},
            "acctid": user.userid,
        },
        "summary_info": summary, "exception_infos": exceptions, "sp_items": sp_items,
        "overwork_info": _overwork(rng, work, rest, holidays),
    }
    if rng.random() < 0.03:
        _stringify(rng, record)
    return record


def _exceptions(rng: random.Random, work: int) -> tuple[list[dict], int, int]:
    """exception_infos, absent days and seconds lost to lateness and early leave."""
    items: list[dict] = []
    absent = 0
    lost = 0
    # (exception, probability, max count); duration only for late, early, absent.
    for kind, chance, most in ((4, 0.05, 2), (1, 0.3, 5), (2, 0.15, 3), (3, 0.15, 2),
                               (5, 0.05, 3), (6, 0.03, 2)):
        if work == 0 or rng.random() >= chance:
            continue
        count = rng.randint(1, min(most, work))
        duration = 0
        if kind == 4:
            absent, duration = count, count * WORKDAY
        elif kind in (1, 2):
            duration = sum(rng.randrange(1, 61) * 60 for _ in range(count))
            lost += duration
        items.append({"exception": kind, "count": count, "duration": duration})
    return items, absent, lost


def _sp_items(rng: random.Random, user: User, work: int) -> tuple[list[dict], float]:
    """sp_items and the work days they take away (leave only)."""
    field_count = rng.randrange(0, 13) if user.record_type == 4 else 0
    items = [{"type": 100, "vacation_id": 0, "count": field_count, "duration": 0,
              "time_type": 0, "name": "外勤次数"}]
    leave_days = 0.0
    for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2))):
        item, days = _leave_item(rng, work - leave_days)
        if item["vacation_id"] in {i["vacation_id"] for i in items}:
            continue
        items.append(item)
        leave_days += days
    if rng.random() < 0.08 and work - leave_days >= 1:
        days = rng.randint(1, int(min(5, work - leave_days)))
        items.append({"type": 3, "vacation_id": 0, "count": 1, "duration": days * DAY,
                      "time_type": 0, "name": "出差"})
    if rng.random() < 0.1:
        hours = rng.randint(1, 6)
        items.append({"type": 4, "vacation_id": 0, "count": rng.randint(1, 3),
                      "duration": hours * HOUR, "time_type": 1, "name": "外出"})
    if rng.random() < 0.1:
        items.append({"type": 2, "vacation_id": 0, "count": rng.randint(1, 2),
                      "duration": 0, "time_type": 0, "name": "补卡次数"})
    return items, leave_days


# (vacation_id, weight, smallest, largest) in the leave type's unit (days or hours).
_LEAVE_DRAW = ((1, 30, 1, 16), (2, 25, 1, 3), (3, 15, 1, 3), (4, 15, 2, 16), (5, 3, 3, 10),
               (6, 1, 20, 31), (7, 3, 5, 15), (8, 3, 1, 3), (9, 5, 10, 22))


def _leave_item(rng: random.Random, room: float) -> tuple[dict, float]:
    vid, _, low, high = rng.choices(_LEAVE_DRAW, weights=[d[1] for d in _LEAVE_DRAW])[0]
    kind = _LEAVE[vid]
    hourly = kind["time_attr"] == 1
    amount: float = rng.randint(low, high)
    if not hourly and rng.random() < 0.2:
        amount -= 0.5  # half days exist
    amount = max(0.0, min(amount, room * (8 if hourly else 1)))
    count = 1 if amount <= (8 if hourly else 1) else rng.randint(1, 3)
    if rng.random() < 0.05:
        amount = 0.0  # approved but counted with no duration, as the API page shows
    item = {"type": 1, "vacation_id": vid, "count": count,
            "duration": int(amount * (HOUR if hourly else DAY)),
            "time_type": 1 if hourly else 0, "name": kind["name"]}
    return item, amount / 8 if hourly else amount


def _overwork(rng: random.Random, work: int, rest: int, holidays: int) -> dict:
    band = rng.random()
    hours = 0 if band < 0.25 else rng.uniform(1, 20) if band < 0.7 else \
        rng.uniform(20, 36) if band < 0.93 else rng.uniform(36, 60)
    total = int(hours * 2) * 1800  # half-hour steps
    holiday = min(total // 4, holidays * WORKDAY) if holidays and rng.random() < 0.4 else 0
    holiday -= holiday % 1800
    restday = (total - holiday) * rng.choice((0, 0, 1, 2, 3)) // 6 if rest > holidays else 0
    restday -= restday % 1800
    workday = total - holiday - restday if work else 0
    info = {"workday_over_sec": workday, "holidays_over_sec": holiday,
            "restdays_over_sec": restday}
    info.update(_split(rng, "workdays", workday, 0.2))
    info.update(_split(rng, "restdays", restday, 0.4))
    info.update(_split(rng, "holidays", holiday, 0.08))  # comp time here breaks the law
    if restday and rng.random() < 0.04:
        # Like the API page's example: the split does not add up to the total.
        info["restdays_over_as_money"] = max(0, restday - rng.randint(1, 20) * 1800)
        info["restdays_over_as_vacation"] = 0
    if not holiday and rng.random() < 0.5:
        del info["holidays_over_sec"]
    return info


def _split(rng: random.Random, prefix: str, total: int, comp_chance: float) -> dict:
    vacation = 0
    if total and rng.random() < comp_chance:
        vacation = total if rng.random() < 0.5 else (total // 2) - (total // 2) % 1800
    return {f"{prefix}_over_as_vacation": vacation, f"{prefix}_over_as_money": total - vacation}


def _stringify(rng: random.Random, record: dict) -> None:
    """Schema drift: a few numbers arrive as strings."""
    for section in ("summary_info", "overwork_info"):
        keys = sorted(record[section])
        for key in rng.sample(keys, k=min(2, len(keys))):
            record[section][key] = str(record[section][key])


def day_records(seed: int, user: User, departs_name: str, starttime: int, endtime: int,
                tz: str) -> list[dict]:
    """``getcheckin_daydata`` entries, one per day: a plain day of work or of rest."""
    zone = ZoneInfo(tz)
    out = []
    for day in span_days(starttime, endtime, tz):
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())
        rng = random.Random(f"{seed}|{user.userid}|day|{midnight}")
        working = day_kind(day) is DayKind.WORK
        over = rng.choice((0, 0, 0, 1800, 3600, 7200)) if working else 0
        out.append({
            "base_info": {"date": midnight, "record_type": user.record_type, "name": user.name,
                          "name_ex": user.name_ex, "departs_name": departs_name,
                          "acctid": user.userid, "day_type": 0 if working else 1,
                          "rule_info": {"groupid": user.groupid, "groupname": user.groupname,
                                        "scheduleid": 0, "schedulename": "", "checkintime": []}},
            "summary_info": {"checkin_count": 2 if working else 0,
                             "regular_work_sec": WORKDAY if working else 0,
                             "standard_work_sec": WORKDAY if working else 0,
                             "earliest_time": 9 * HOUR if working else 0,
                             "lastest_time": 18 * HOUR + over if working else 0},
            "holiday_infos": [], "exception_infos": [], "sp_items": [],
            "ot_info": {"ot_status": 1 if over else 0, "ot_duration": over,
                        "exception_duration": [], "workday_over_as_vacation": 0,
                        "workday_over_as_money": over, "restday_over_as_vacation": 0,
                        "restday_over_as_money": 0, "holiday_over_as_vacation": 0,
                        "holiday_over_as_money": 0},
        })
    return out
