"""Bank files: every paid employee paid once to the fen, or listed with the reason.

The oracle reads the files as a bank would (the csv module, the map's encoding) and adds
the amounts itself; it never calls the engine's sums.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.exports import bank
from engine.exports.maps import BANK_MAPS, load_bank_map

from tests.golden import check_golden
from tests.exports.samples import C, employee, line, month, paid, pay

GOLDEN = Path(__file__).parent / "golden"
GENERIC = load_bank_map(BANK_MAPS["generic"])
CMB = load_bank_map(BANK_MAPS["cmb"])


def build(employees, bank_map=GENERIC):
    return bank.build(employees, bank_map, month="2026-10", company="示例科技有限公司",
                      map_file="inputs/exports/bank-map.yaml")


def records(data: bytes, encoding: str = "utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def table(data: bytes, encoding: str = "utf-8", skip: int = 0) -> list[dict[str, str]]:
    rows = records(data, encoding)[skip:]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_generic_file_and_control_match_golden():
    files, control, _ = build(paid(month()))
    assert list(files) == ["bank.csv"]
    check_golden(GOLDEN, "bank.csv", files["bank.csv"])
    check_golden(GOLDEN, "bank.json",
                 (json.dumps(control, ensure_ascii=False, indent=2) + "\n").encode())


def test_total_is_the_net_pay_of_everyone_paid_to_the_fen():
    employees = paid(month())
    files, control, problems = build(employees)
    rows = table(files["bank.csv"])
    paid_in_file = sum(D(r["金额"]) for r in rows)
    left = {x["userid"]: D(x["net"]) for x in control["left_out"]}
    assert paid_in_file == D(control["total"]) and len(rows) == control["count"] == 3
    assert paid_in_file + sum(left.values()) == sum(e.totals.net for e in employees)
    assert left == {"zhaoliu": D("5700.00")}
    assert [(p.code, p.userid, p.field, p.severity.value) for p in problems] == [
        ("bank_account_missing", "zhaoliu", "bank_account", "error")]


def test_a_name_that_looks_like_a_formula_is_text_and_accounts_lose_their_spaces():
    files, _, _ = build(paid(month()))
    rows = table(files["bank.csv"])
    assert rows[0]["账号"] == "6225887502691583"
    assert rows[2]["户名"] == "'=HYPERLINK(\"http://x\")"
    assert not any(v[:1] in "=+-@" for r in rows for v in r.values())


def test_a_malformed_account_and_nothing_to_pay_are_reported_not_paid():
    result = month(rosters={"lisi": {"bank_account": "6225-88AB"}})
    zero = employee("nobody", "无薪", [line("nobody", "BASE_SALARY", C.EARNING, "基本工资",
                                             "0.00")], {"bank_account": "6225880000000001"})
    files, control, problems = build([*paid(result), zero])
    assert {(p.userid, p.code) for p in problems} == {
        ("lisi", "bank_account_invalid"), ("zhaoliu", "bank_account_missing"),
        ("nobody", "bank_nothing_to_pay")}
    assert [x["userid"] for x in control["left_out"]] == ["lisi", "zhaoliu", "nobody"]
    assert control["count"] == 2


def many(n: int) -> list:
    out = []
    for i in range(n):
        cents = 500_000 + (i * 7919) % 3_000_000
        out.append(employee(f"u{i:05d}", f"员工{i}", pay(f"u{i:05d}", f"{cents // 100}.{cents % 100:02d}"),
                            {"bank_account": f"62258800{i:08d}"}))
    return out


def test_cmb_map_cuts_batches_of_1000_each_with_its_own_control_lines():
    employees = many(2500)
    files, control, problems = build(employees, CMB)
    assert not problems
    assert list(files) == ["bank-cmb-001.csv", "bank-cmb-002.csv", "bank-cmb-003.csv"]
    grand = D(0)
    for name, size in zip(files, (1000, 1000, 500)):
        head = records(files[name], "gb18030")[:4]
        rows = table(files[name], "gb18030", skip=4)
        total = sum(D(r["金额"]) for r in rows)
        assert len(rows) == size
        assert head[1] == ["总金额", format(total, "f")] and head[2] == ["总笔数", str(size)]
        grand += total
    assert grand == sum(e.totals.net for e in employees) == D(control["total"])
    assert [f["rows"] for f in control["files"]] == [1000, 1000, 500]


def test_cmb_names_survive_gb18030_including_rare_characters():
    rare = employee("rare", "𠀾堃", pay("rare", "7000.00"),
                    {"bank_account": "6225880000000009", "name": "𠀾堃"})
    files, _, _ = build([rare], CMB)
    assert table(files["bank-cmb-001.csv"], "gb18030", skip=4)[0]["户名"] == "𠀾堃"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=0, max_size=40),
       st.integers(min_value=0, max_value=7))
def test_any_month_any_chunking_adds_up_to_the_fen(cents, size):
    employees = [employee(f"u{i}", "甲", pay(f"u{i}", f"{c // 100}.{c % 100:02d}"),
                          {"bank_account": f"6225880000{i:06d}"}) for i, c in enumerate(cents)]
    bank_map = CMB.model_copy(update={"chunk_rows": size})
    files, control, _ = build(employees, bank_map)
    rows = [r for data in files.values() for r in table(data, "gb18030", skip=4)]
    assert sorted(D(r["金额"]) * 100 for r in rows) == sorted(D(c) for c in cents)
    assert D(control["total"]) * 100 == sum(cents)
    assert len(files) == (max(1, -(-len(cents) // size)) if size else 1)


def test_every_file_is_deterministic():
    a = build(paid(month()), CMB)
    b = build(paid(month()), CMB)
    assert a[0] == b[0] and a[1] == b[1]
