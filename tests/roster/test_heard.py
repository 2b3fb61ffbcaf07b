"""The roster is heard: unused columns noted once, differing names warned about, the
payslip's name chosen by the settings."""

from __future__ import annotations

import pytest

from engine.pipeline import default_pack
from engine.period import parse_month
from engine.roster import parse_rows
from engine.roster.heard import heard
from engine.rules.apply import compute
from engine.rules.loader import load_pack
from engine.wecom.models import MonthRecord


@pytest.fixture(scope="module")
def pack():
    return load_pack(default_pack())


def month(pack, rows, names="wecom"):
    roster, _ = parse_rows(rows, "roster.csv")
    records = {"zhangsan": MonthRecord.model_validate(
        {"base_info": {"acctid": "zhangsan", "name": "张三"}})}
    result, _ = compute(pack, parse_month("2026-10"), roster, records, [])
    return heard(roster, pack, records, result, names)


ROWS = [{"userid": "zhangsan", "name": "张叁", "monthly_salary": "8700", "badge": "A1",
         "cost_centre": "CC-1", "email": "z@example.com"}]


def test_unused_columns_are_listed_once_as_a_note(pack):
    _, problems = month(pack, [*ROWS, {**ROWS[0], "userid": "lisi", "name": "李四"}])
    notes = [p for p in problems if p.code == "unused_columns"]
    assert len(notes) == 1 and notes[0].severity.value == "info"
    assert "badge" in notes[0].message and "email" in notes[0].message
    assert "cost_centre" not in notes[0].message and "monthly_salary" not in notes[0].message


def test_a_differing_name_is_a_warning_and_the_settings_choose(pack):
    result, problems = month(pack, ROWS)
    (warned,) = [p for p in problems if p.code == "name_differs"]
    assert warned.severity.value == "warning" and warned.userid == "zhangsan"
    assert "张叁" in warned.message and "张三" in warned.message
    assert result.employees[0].name == "张三"  # wecom by default
    chosen, _ = month(pack, ROWS, names="roster")
    assert chosen.employees[0].name == "张叁"


def test_the_same_name_is_no_warning(pack):
    _, problems = month(pack, [{**ROWS[0], "name": "张三"}])
    assert not [p for p in problems if p.code == "name_differs"]


def test_an_unknown_name_source_is_refused(pack):
    with pytest.raises(ValueError, match="wecom, roster"):
        month(pack, ROWS, names="hr")
