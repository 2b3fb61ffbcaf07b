"""Input paths: fields, exceptions, sp items, leave and the overtime split policies."""

from decimal import Decimal

import pytest

from engine.rules.inputs import Facts, compile_source, overtime_split
from engine.wecom.models import LeaveType, MonthRecord

RECORD = MonthRecord.model_validate({
    "summary_info": {"regular_work_sec": 36000, "work_days": 21},
    "exception_infos": [{"exception": 1, "count": 2, "duration": 600},
                        {"exception": 1, "count": 1, "duration": 300},
                        {"exception": 4, "count": 1, "duration": 7200}],
    "sp_items": [{"type": 1, "vacation_id": 3, "count": 1, "duration": 57600, "time_type": 0,
                  "name": "事假"},
                 {"type": 1, "vacation_id": 5, "count": 1, "duration": 7200, "time_type": 1,
                  "name": "调休"},
                 {"type": 3, "count": 1, "duration": 172800, "time_type": 0, "name": "出差"}],
    "overwork_info": {"workday_over_sec": 10800, "workdays_over_as_money": 3600,
                      "workdays_over_as_vacation": 3600, "restdays_over_sec": 3600,
                      "restdays_over_as_money": 7200},
})
LEAVES = {3: LeaveType(id=3, name="事假", perday_duration=28800),
          5: LeaveType(id=5, name="调休", is_newovertime=1)}


def read(source, unit, perday=False, policy="flag"):
    return compile_source(source, unit)(Facts(RECORD, LEAVES, perday, policy))


@pytest.mark.parametrize(("source", "unit", "value"), [
    ("summary_info.regular_work_sec", "h", Decimal(10)),
    ("summary_info.work_days", "count", Decimal(21)),
    ("exception.late.count", "count", Decimal(3)),
    ("exception.1.duration", "min", Decimal(15)),
    ("exception.absent.duration", "h", Decimal(2)),
    ("exception.early.count", "count", Decimal(0)),
    ("sp.trip.duration", "day", Decimal(2)),
    ("sp.leave.count", "count", Decimal(2)),
    ("leave.事假.duration", "day", Decimal("0.6666666666666666666666666667")),
    ("leave.3.count", "count", Decimal(1)),
    ("overtime.workday.unsplit", "h", Decimal(1)),
    ("overtime.restday.unsplit", "h", Decimal(-1)),
    ("overtime.all.total", "sec", Decimal(14400)),
])
def test_sources(source, unit, value):
    assert read(source, unit) == value


def test_leave_days_by_perday_duration():
    assert read("leave.事假.duration", "day", perday=True) == Decimal(2)


def test_mixed_units_add_up_in_days_and_hours():
    """A day-unit and an hour-unit leave item: seconds mean different things, so the
    aggregate converts through the working day (the leave type's, else 8 h)."""
    personal_days = Decimal(57600) / 86400  # day-unit item, 事假 (working day 8 h)
    comp_hours = Decimal(7200) / 3600  # hour-unit item, 调休 (no perday_duration)
    assert read("sp.leave.duration", "day") == personal_days + comp_hours / 8
    assert read("sp.leave.duration", "h") == personal_days * 28800 / 3600 + comp_hours
    assert read("sp.leave.duration", "min") == (personal_days * 8 + comp_hours) * 60
    assert read("sp.leave.duration", "sec") == Decimal(57600 + 7200)  # WeCom's own seconds


def test_hour_unit_trip_counts_working_days():
    record = RECORD.model_copy(update={"sp_items": [
        RECORD.sp_items[2].model_copy(update={"duration": 4 * 3600, "time_type": 1})]})
    facts = Facts(record, LEAVES, False, "flag")
    assert compile_source("sp.trip.duration", "day")(facts) == Decimal("0.5")
    assert compile_source("sp.trip.duration", "h")(facts) == Decimal(4)


def test_perday_duration_is_the_working_day():
    leaves = {3: LeaveType(id=3, name="事假", perday_duration=27000)}  # 7.5 h days
    record = RECORD.model_copy(update={"sp_items": [
        RECORD.sp_items[0].model_copy(update={"duration": 3 * 3600, "time_type": 1})]})
    facts = Facts(record, leaves, False, "flag")
    assert compile_source("leave.事假.duration", "day")(facts) == Decimal(3 * 3600) / 27000


def test_split_policies():
    flag = overtime_split(RECORD, "flag")["workday"]
    pay = overtime_split(RECORD, "pay_remainder")["workday"]
    bank = overtime_split(RECORD, "bank_remainder")["workday"]
    assert flag == {"total": 10800, "money": 3600, "bank": 3600, "unsplit": 3600}
    assert pay == {"total": 10800, "money": 7200, "bank": 3600, "unsplit": 0}
    assert bank == {"total": 10800, "money": 3600, "bank": 7200, "unsplit": 0}
    # more split than the total is never hidden by a policy
    assert overtime_split(RECORD, "pay_remainder")["restday"]["unsplit"] == -3600


def test_omitted_total_is_not_a_mismatch():
    record = MonthRecord.model_validate({"overwork_info": {"holidays_over_as_money": 3600}})
    assert overtime_split(record, "flag")["holiday"] == {"total": 3600, "money": 3600,
                                                         "bank": 0, "unsplit": 0}


@pytest.mark.parametrize(("source", "unit", "text"), [
    ("overwork_info.nope", "h", "not a numeric field"),
    ("base_info.name", "count", "not a numeric field"),
    ("exception.sleepy.count", "count", "unknown exception"),
    ("exception.late.duration", "count", "needs a time unit"),
    ("exception.late.count", "h", "is a count"),
    ("sp.leave.hours", "h", "expected 'count' or 'duration'"),
    ("overtime.night.total", "h", "unknown overtime kind"),
    ("payroll.x.y", "h", "unknown input source"),
    ("overwork_info", "h", "cannot read input source"),
])
def test_bad_sources(source, unit, text):
    with pytest.raises(ValueError, match=text):
        compile_source(source, unit)
