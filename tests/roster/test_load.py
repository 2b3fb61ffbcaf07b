"""Loading a roster file: encodings, header aliases, amounts, and refusals that list every
invalid row with file, line, column and value."""

from decimal import Decimal

import pytest
from openpyxl import Workbook

from engine.errors import RosterError
from engine.roster import RosterInvalid, load_roster


def write(tmp_path, text, name="roster.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_columns_are_kept_as_text_and_salary_is_decimal(tmp_path):
    path = write(tmp_path, "userid,monthly_salary,name,cost_centre\nZhangSan,8700.00,张三,CC-01\n")
    roster, problems = load_roster(path)
    assert problems == []
    emp = roster.employees[0]
    assert emp.monthly_salary == Decimal("8700.00") and isinstance(emp.monthly_salary, Decimal)
    assert emp.columns["cost_centre"] == "CC-01" and emp.columns["name"] == "张三"
    assert roster.columns == ("userid", "monthly_salary", "name", "cost_centre")
    assert roster.encoding == "utf-8"


@pytest.mark.parametrize("encoding, recorded", [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"),
                                                ("gb18030", "gb18030"), ("gbk", "gb18030"),
                                                ("utf-16", "utf-16")])
def test_encodings_excel_writes_are_read(tmp_path, encoding, recorded):
    text = "账号,姓名,月薪,部门\nZhangSan,张三,\"￥8,700.00\",研发部/后端\n𠀾Li,李𠀾,6000元,销售\n"
    if encoding == "gbk":
        text = text.replace("𠀾", "")  # GBK has no Extension B characters; GB18030 has
    roster, problems = load_roster(write(tmp_path, text, encoding=encoding))
    assert roster.encoding == recorded
    first = roster.employees[0]
    assert first.userid == "ZhangSan" and first.columns["name"] == "张三"
    assert first.monthly_salary == Decimal("8700.00")
    assert first.columns["monthly_salary"] == "8700.00"  # what the rules read
    assert first.columns["department"] == "研发部/后端"
    assert roster.headers == {"userid": "账号", "name": "姓名", "monthly_salary": "月薪",
                              "department": "部门"}


def test_tab_separated_unicode_text_from_excel(tmp_path):
    path = write(tmp_path, "userid\tmonthly_salary\nu1\t1,000\n", encoding="utf-16")
    roster, _ = load_roster(path)
    assert roster.employees[0].monthly_salary == Decimal("1000")


def test_undecodable_file_names_the_byte_offset_and_how_to_resave(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"userid,monthly_salary\nu1,1\xff\xfe\n")
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    message = str(caught.value)
    assert "byte offset 26" in message and "0xff" in message
    assert "CSV UTF-8" in message and "xlsx" in message
    assert caught.value.exit_code == 3


@pytest.mark.parametrize("header", ["UserID", "user id", "工号", "账号", "ＵｓｅｒＩＤ"])
def test_userid_aliases(tmp_path, header):
    roster, _ = load_roster(write(tmp_path, f"{header},基本工资\nu1,1\n"))
    assert roster.userids() == ["u1"] and roster.employees[0].monthly_salary == 1


def test_an_exact_name_wins_over_an_alias(tmp_path):
    roster, _ = load_roster(write(tmp_path, "工号,userid,monthly_salary\nE-001,u1,1\n"))
    emp = roster.employees[0]
    assert emp.userid == "u1" and emp.columns["工号"] == "E-001"


def test_every_invalid_row_is_listed_at_once(tmp_path):
    path = write(tmp_path, "userid,月薪,hourly_rate\nu1,\"12,00\",\n,5000,\nu3,-5,\n"
                           "u4,5000,1e3\nu5,¥5000,\nU5,1,\nu5,2,\n")
    with pytest.raises(RosterInvalid) as caught:
        load_roster(path)
    text = str(caught.value)
    problems = caught.value.problems
    assert [p.code for p in problems] == ["bad_salary", "missing_userid", "bad_salary",
                                          "bad_amount", "duplicate_userid", "duplicate_userid"]
    assert [p.source.rsplit(":", 1)[1] for p in problems] == ["2", "3", "4", "5", "7", "8"]
    assert "r.csv:2 column monthly_salary (月薪): '12,00' is not an amount: ambiguous" in text
    assert "r.csv:4 column monthly_salary (月薪): '-5' is negative" in text
    assert "column hourly_rate: '1e3' is not an amount: exponent" in text
    assert "'U5' differs only in case from 'u5' on line 6" in text
    assert "r.csv:8 column userid: 'u5' repeats line 6" in text
    assert caught.value.exit_code == 3


def test_empty_salary_is_left_to_the_pack(tmp_path):
    roster, problems = load_roster(write(tmp_path, "userid,monthly_salary\nu1,\nu2,5000\n"))
    assert roster.userids() == ["u1", "u2"] and roster.employees[0].monthly_salary is None
    assert problems == []  # hourly staff have none; a salaried one is the pack's error


@pytest.mark.parametrize("text, message", [
    ("", "empty: no header row"),
    ("\n\n", "empty: no header row"),
    ("userid,monthly_salary\n", "header but no employees"),
    ("userid,monthly_salary\n,\n", "header but no employees"),
    ("userid,salary\nu1,1\n", "monthly_salary"),
    ("userid,monthly_salary,x,x\nu1,1,a,b\n", "column 'x' appears twice"),
])
def test_unusable_rosters_are_refused(tmp_path, text, message):
    with pytest.raises(RosterError, match=message):
        load_roster(write(tmp_path, text))


def test_extra_cells_are_invalid_and_short_rows_padded(tmp_path):
    roster, _ = load_roster(write(tmp_path, "userid,monthly_salary,name\nu1,1\n"))
    assert roster.employees[0].columns["name"] == ""
    with pytest.raises(RosterInvalid, match="3 cells but the header has 2"):
        load_roster(write(tmp_path, "userid,monthly_salary\nu1,1,oops\n"))


def test_not_found_and_old_xls(tmp_path):
    with pytest.raises(RosterError, match="not found"):
        load_roster(tmp_path / "nope.csv")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(RosterError, match=r"\.xls workbook"):
        load_roster(old)


def test_xlsx_roster(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "月薪", "hourly_rate"])
    sheet.append([None, None, None])  # a blank row is skipped, numbering kept
    sheet.append(["u1", 8700, None])
    sheet.append(["u2", "¥6,000.50", 40])
    sheet.append(["u3", 9570.110000000001, 12.5])  # a computed cell: Excel shows 9570.11
    path = tmp_path / "roster.xlsx"
    book.save(path)
    roster, problems = load_roster(path)
    assert problems == [] and roster.encoding == "xlsx"
    assert [e.monthly_salary for e in roster.employees] == [Decimal("8700"), Decimal("6000.50"),
                                                             Decimal("9570.11")]
    assert [e.line for e in roster.employees] == [3, 4, 5]
    assert roster.employees[1].columns["hourly_rate"] == "40"


def test_an_xlsx_error_names_the_row(tmp_path):
    book = Workbook()
    book.active.append(["userid", "monthly_salary"])
    book.active.append(["u1", "五千"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    with pytest.raises(RosterInvalid, match=r"roster.xlsx:2 column monthly_salary: '五千'"):
        load_roster(path)


from hypothesis import given, settings as hsettings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NAMES = st.text(alphabet=st.characters(whitelist_categories=("Lo", "Lu", "Ll", "Nd")),
                min_size=1, max_size=6)


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(NAMES, st.decimals(min_value=0, max_value=10**6, places=2)),
                min_size=1, max_size=6, unique_by=lambda r: r[0].casefold()),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_any_names_in_any_supported_encoding_read_back_exactly(rows, encoding):
    import tempfile
    from pathlib import Path

    from engine.roster.parse import userid_key

    if len({userid_key(u) for u, _ in rows}) < len(rows):
        return  # case-only variants are refused by design (tested above)
    text = "账号,姓名,月薪\n" + "".join(f'{u},名{u},"¥{s:,}"\n' for u, s in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.csv"
        path.write_bytes(text.encode(encoding))
        roster, _ = load_roster(path)
    assert [(e.userid, e.monthly_salary) for e in roster.employees] == rows
    assert roster.encoding == encoding
