"""employees.csv as integrators import it: the pack's columns every month, in pack order,
money and quantities apart, documented in results/columns.csv; golden files of two
months of cn-default whose lines have different codes."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from engine.pipeline import default_pack
from engine.period import parse_month
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.loader import load_pack
from engine.run import columns, exports, tables
from engine.wecom.models import LeaveType, MonthRecord

from test_exports import check_golden

LEAVES = [LeaveType.model_validate(x) for x in (
    {"id": 2, "name": "年假", "time_attr": 0, "perday_duration": 86400},
    {"id": 6, "name": "调休假", "time_attr": 1, "perday_duration": 28800, "is_newovertime": 1},
    {"id": 3, "name": "事假", "time_attr": 0, "perday_duration": 86400})]
ROSTER = [{"userid": "zhangsan", "name": "张三", "monthly_salary": "8700", "cost_centre": "CC-1"},
          {"userid": "lisi", "name": "李四", "monthly_salary": "6000", "cost_centre": "CC-2"}]
OVERTIME = {"overwork_info": {"workday_over_sec": 36000, "workdays_over_as_money": 36000}}
LEAVE = {"sp_items": [
    {"count": 1, "duration": 172800, "time_type": 0, "type": 1, "vacation_id": 2, "name": "年假"},
    {"count": 1, "duration": 14400, "time_type": 1, "type": 1, "vacation_id": 6, "name": "调休假"},
    {"count": 1, "duration": 86400, "time_type": 0, "type": 1, "vacation_id": 3, "name": "事假"}]}
MONTHS = {"2026-09": {"zhangsan": OVERTIME, "lisi": {}},  # overtime only
          "2026-10": {"zhangsan": LEAVE, "lisi": LEAVE}}  # leave in days and hours, no overtime


@pytest.fixture(scope="module")
def pack():
    return load_pack(default_pack())


def month_tables(pack, month: str):
    roster, _ = parse_rows([dict(r) for r in ROSTER], "roster.csv")
    records = {u: MonthRecord.model_validate({**data, "base_info": {"acctid": u}})
               for u, data in MONTHS[month].items()}
    result, _ = compute(pack, parse_month(month), roster, records, LEAVES)
    return result, tables.employee_rows(result, pack), tables.employee_columns(result, pack)


def read(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
    return list(reader.fieldnames or ()), list(reader)


@pytest.mark.parametrize("month", sorted(MONTHS))
def test_employees_csv_of_two_months_matches_golden(pack, month):
    result, rows, names = month_tables(pack, month)
    # as the run writes it: through the formula-safe writer, numbers of numeric columns kept
    check_golden(f"months/employees-{month}.csv", exports.csv_bytes(
        rows, names, tables.numeric_columns(result, pack)))


def test_both_months_have_the_same_columns_in_pack_order(pack):
    sep_result, sep_rows, sep_names = month_tables(pack, "2026-09")
    oct_result, oct_rows, oct_names = month_tables(pack, "2026-10")
    assert {l.code for e in sep_result.employees for l in e.lines} != \
        {l.code for e in oct_result.employees for l in e.lines}  # different codes present
    assert sep_names == oct_names
    codes = [c.code for c in columns.pack_columns(pack)]
    assert list(dict.fromkeys(codes)) == [r.code for r in pack.rules]  # pack order
    for name in ("OT_WORKDAY", "OT_WORKDAY_h", "LEAVE_PAID_day", "LEAVE_PAID_h", "DED_PERSONAL_LEAVE"):
        assert name in sep_names
    # absent codes are zeros, not blanks
    zhang = next(r for r in oct_rows if r["userid"] == "zhangsan")
    assert zhang["OT_WORKDAY"] == "0.00" and zhang["OT_WORKDAY_h"] == "0"
    # days and hours are never added: 2 days of 年假 and 4 h of 调休 stay apart
    assert Decimal(zhang["LEAVE_PAID_day"]) == 2 and Decimal(zhang["LEAVE_PAID_h"]) == 4
    assert zhang["cost_centre"] == "CC-1"


def test_every_amount_column_adds_up_to_net(pack):
    for month in MONTHS:
        result, rows, names = month_tables(pack, month)
        spec = columns.employee_columns(result, pack)
        money = [c.name for c in spec[len(columns.FIXED):] if c.kind == "amount"]
        for row in rows:
            assert sum((Decimal(row[c]) for c in money), Decimal(0)) == Decimal(row["net"])


def test_the_data_dictionary_documents_every_column(pack):
    result, _, names = month_tables(pack, "2026-10")
    rows = columns.dictionary_rows(columns.employee_columns(result, pack))
    assert [r["column"] for r in rows] == list(names)
    by_name = {r["column"]: r for r in rows}
    assert by_name["LEAVE_PAID_h"]["unit"] == "h" and by_name["LEAVE_PAID_h"]["kind"] == "quantity"
    assert by_name["OT_WORKDAY"]["unit"] == "CNY" and by_name["OT_WORKDAY"]["label"] == "工作日加班费"
    assert all(r["description"] for r in rows)


def test_display_precision_in_the_csv_full_precision_in_parquet(pack):
    result, _, _ = month_tables(pack, "2026-09")
    shown = tables.line_rows(result)
    precise = tables.line_rows(result, precise=True)
    rate = next(r for r in shown if r["code"] == "OT_WORKDAY" and r["userid"] == "lisi" or
                r["code"] == "BASE_SALARY" and r["userid"] == "lisi")
    assert all(len(r["rate"].partition(".")[2]) <= columns.DISPLAY_PLACES for r in shown)
    hourly = next(r for r in precise if r["code"] == "OT_WORKDAY")
    assert len(hourly["rate"].partition(".")[2]) <= 28 and rate
    assert any(len(r["rate"].partition(".")[2]) > columns.DISPLAY_PLACES for r in precise) or \
        all(a == b for a, b in zip(shown, precise))
