"""Roster loading: required columns, bad rows named by file, line and field."""

from decimal import Decimal

import pytest
from openpyxl import Workbook

from engine.errors import RosterError
from engine.roster import load_roster


def write(tmp_path, text, name="roster.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_columns_are_kept_as_text_and_salary_is_decimal(tmp_path):
    path = write(tmp_path, "userid,monthly_salary,name,cost_centre\nZhangSan,8700.00,张三,CC-01\n")
    roster, problems = load_roster(path)
    assert problems == []
    emp = roster.employees[0]
    assert emp.monthly_salary == Decimal("8700.00") and isinstance(emp.monthly_salary, Decimal)
    assert emp.columns["cost_centre"] == "CC-01" and emp.columns["name"] == "张三"
    assert roster.columns == ("userid", "monthly_salary", "name", "cost_centre")


def test_utf8_bom_from_excel_is_accepted(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("userid,monthly_salary\nu1,1\n".encode("utf-8-sig"))
    roster, _ = load_roster(path)
    assert roster.userids() == ["u1"]


def test_missing_salary_is_a_problem_not_a_crash(tmp_path):
    path = write(tmp_path, "userid,monthly_salary\nu1,\nu2,abc\nu3,5000\n")
    roster, problems = load_roster(path)
    assert roster.userids() == ["u1", "u2", "u3"]
    assert roster.employees[0].monthly_salary is None
    by_user = {p.userid: p for p in problems}
    assert by_user["u1"].code == "missing_salary" and by_user["u1"].source.endswith("roster.csv:2")
    assert by_user["u2"].code == "bad_salary" and by_user["u2"].field == "monthly_salary"
    assert by_user["u2"].source.endswith(":3")


def test_duplicate_and_blank_userids(tmp_path):
    path = write(tmp_path, "userid,monthly_salary\nu1,1\n,2\nu1,3\n")
    roster, problems = load_roster(path)
    assert roster.userids() == ["u1"]
    assert {p.code for p in problems} == {"missing_userid", "duplicate_userid"}
    assert [p.source.rsplit(":", 1)[1] for p in problems] == ["3", "4"]


def test_missing_required_column_names_the_file(tmp_path):
    path = write(tmp_path, "userid,salary\nu1,1\n")
    with pytest.raises(RosterError, match=r"roster.csv:1.*monthly_salary"):
        load_roster(path)


def test_not_found_and_not_utf8(tmp_path):
    with pytest.raises(RosterError, match="not found"):
        load_roster(tmp_path / "nope.csv")
    bad = tmp_path / "gbk.csv"
    bad.write_bytes("userid,monthly_salary\n张三,1\n".encode("gbk"))
    with pytest.raises(RosterError, match="UTF-8"):
        load_roster(bad)


def test_xlsx_roster(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["userid", "monthly_salary", "hourly_rate"])
    sheet.append(["u1", 8700, None])
    sheet.append(["u2", "6000.50", 40])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    roster, problems = load_roster(path)
    assert problems == []
    assert [e.monthly_salary for e in roster.employees] == [Decimal("8700"), Decimal("6000.50")]
    assert roster.employees[1].columns["hourly_rate"] == "40"
