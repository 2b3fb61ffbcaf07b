"""The month record model against the API page's example answer and drifting schemas."""

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from engine.wecom.models import MonthDataAnswer, MonthRecord

EXAMPLE = Path(__file__).parent.parent / "fixtures" / "monthdata_example.json"


@pytest.fixture()
def record() -> MonthRecord:
    answer = MonthDataAnswer.model_validate_json(EXAMPLE.read_bytes())
    assert answer.errcode == 0 and answer.errmsg == "ok"
    assert len(answer.datas) == 1
    return answer.datas[0]


def test_base_info(record):
    base = record.base_info
    assert (base.record_type, base.name, base.name_ex, base.acctid) == (1, "张三", "Three Zhang", "ZhangSan")
    assert base.departs_name == "有家企业/realempty;有家企业;有家企业/部门A4"
    assert base.departments == ["有家企业/realempty", "有家企业", "有家企业/部门A4"]
    assert (base.rule_info.groupid, base.rule_info.groupname) == (10, "规则测试")
    assert record.userid == "ZhangSan"


def test_summary_info_with_absent_regular_days(record):
    s = record.summary_info
    assert (s.except_days, s.regular_work_sec, s.standard_work_sec, s.work_days, s.rest_days) == (3, 31, 29040, 3, 0)
    assert s.regular_days == 0  # absent from the example: defaults to 0


def test_exception_infos(record):
    got = [(e.exception, e.count, e.duration) for e in record.exception_infos]
    assert got == [(4, 2, 28920), (1, 1, 60), (2, 1, 60)]


def test_sp_items(record):
    got = [(i.type, i.vacation_id, i.count, i.duration, i.time_type, i.name) for i in record.sp_items]
    assert got == [(100, 0, 0, 0, 0, "外勤次数"), (1, 2, 1, 0, 0, "年假")]


def test_overwork_info_with_absent_fields(record):
    o = record.overwork_info
    assert o.workday_over_sec == 54000
    assert o.restdays_over_sec == 205560
    assert o.holidays_over_sec == 0  # absent from the example
    assert (o.workdays_over_as_vacation, o.workdays_over_as_money) == (0, 54000)
    assert (o.restdays_over_as_vacation, o.restdays_over_as_money) == (0, 172800)
    assert (o.holidays_over_as_vacation, o.holidays_over_as_money) == (0, 0)


def test_drift_nulls_strings_and_unknown_fields_are_tolerated():
    rec = MonthRecord.model_validate({
        "base_info": {"acctid": "u1", "name": None, "new_field": {"x": 1}},
        "summary_info": {"work_days": "21"},
        "overwork_info": None,
        "sp_items": [{"type": "1", "duration": "86400"}],
        "brand_new_section": [1, 2],
    })
    assert rec.base_info.name == "" and rec.summary_info.work_days == 21
    assert rec.overwork_info.workday_over_sec == 0
    assert rec.sp_items[0].duration == 86400
    assert rec.model_extra["brand_new_section"] == [1, 2]
    assert rec.base_info.model_extra["new_field"] == {"x": 1}


def test_record_is_frozen(record):
    with pytest.raises(Exception):
        record.base_info = None  # type: ignore[misc]


@given(st.integers(min_value=0, max_value=2**31 - 1))
def test_numeric_strings_equal_numbers(n):
    a = MonthRecord.model_validate({"overwork_info": {"workday_over_sec": n}})
    b = MonthRecord.model_validate({"overwork_info": {"workday_over_sec": str(n)}})
    assert a == b


def _raw_records() -> list[dict]:
    import json

    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))["datas"][0]
    other = json.loads(json.dumps(example))
    other["base_info"]["acctid"] = "LiSi"
    other["summary_info"]["work_days"] = "4"  # a numeric string: coerced alike
    other["extra_field"] = {"kept": [1, 2]}
    return [example, other, {"base_info": {"acctid": "WangWu"}}]


def test_record_builder_gives_the_same_records_as_plain_validation():
    from engine.wecom.models import RecordBuilder

    builder = RecordBuilder()
    for raw in _raw_records():
        built, plain = builder.build(raw), MonthRecord.model_validate(raw)
        assert built == plain
        assert built.model_dump(mode="json") == plain.model_dump(mode="json")


def test_record_builder_shares_equal_parts_between_records():
    from engine.wecom.models import RecordBuilder

    builder = RecordBuilder()
    first, second, _ = (builder.build(raw) for raw in _raw_records())
    assert first.base_info.rule_info is second.base_info.rule_info
    assert first.overwork_info is second.overwork_info
    assert first.exception_infos[0] is second.exception_infos[0]
    assert first.summary_info is not second.summary_info  # they differ in work_days
    assert first.base_info is not second.base_info


@pytest.mark.parametrize("broken, where", [
    ({"summary_info": {"work_days": "twenty"}}, ("summary_info", "work_days")),
    ({"exception_infos": [{"count": 1}, {"count": "x"}]}, ("exception_infos", 1, "count")),
    ({"base_info": {"acctid": "a", "rule_info": {"groupid": "g"}}},
     ("base_info", "rule_info", "groupid")),
])
def test_record_builder_errors_name_the_whole_records_locations(broken, where):
    from pydantic import ValidationError

    from engine.wecom.models import RecordBuilder

    with pytest.raises(ValidationError) as built:
        RecordBuilder().build({"base_info": {"acctid": "a"}, **broken})
    with pytest.raises(ValidationError) as plain:
        MonthRecord.model_validate({"base_info": {"acctid": "a"}, **broken})
    assert [e["loc"] for e in built.value.errors()] == [e["loc"] for e in plain.value.errors()]
    assert built.value.errors()[0]["loc"] == where


def test_lone_surrogates_from_json_become_replacement_characters():
    import json

    from engine.wecom.models import MonthRecord

    raw = json.loads('{"base_info": {"name": "a\\ud800b", "departs_name": "x\\udfff"}}')
    base = MonthRecord.model_validate(raw).base_info
    assert (base.name, base.departs_name) == ("a\ufffdb", "x\ufffd")
    assert base.name.encode("utf-8")
