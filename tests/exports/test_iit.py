"""The tax sheet read back with openpyxl: exact columns, numbers as numbers, no formulas."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal as D
from pathlib import Path

from engine.exports import iit, safe
from engine.exports.maps import load_iit_map

from tests.exports.samples import month, paid, ytd
from tests.exports.test_maps import REFERENCE_COLUMNS
from tests.golden import check_golden

GOLDEN = Path(__file__).parent / "golden"
CREATED = "2026-10-31T00:00:00"


def sheet(result, version=None):
    return iit.build(paid(result), load_iit_map(), version, CREATED)


def with_ytd():
    result = month()
    zhang = result.employees[0].model_copy(update={"balances": (
        ytd("ytd_child_education", "20000.00"), ytd("ytd_housing_rent", "15000.00"))})
    return result.model_copy(update={"employees": (zhang, *result.employees[1:])})


def test_sheet_matches_golden_and_has_exactly_the_templates_columns():
    version, data, _ = sheet(with_ytd())
    names, values, formulas = iit.read_sheet(data)
    assert version == "2" and names == ["正常工资薪金收入"] and not formulas
    assert values[0] == REFERENCE_COLUMNS
    dump = json.dumps([[str(v) if v is not None else None for v in row] for row in values],
                      ensure_ascii=False, indent=1) + "\n"
    check_golden(GOLDEN, "iit_wages.json", dump.encode())


def test_only_paid_employees_one_row_each_with_their_figures():
    _, data, _ = sheet(with_ytd())
    _, values, _ = iit.read_sheet(data)
    rows = [dict(zip(values[0], row)) for row in values[1:]]
    assert [r["姓名"] for r in rows] == ["张三", "李四", "=HYPERLINK(\"http://x\")", "赵六"]
    zhang = rows[0]
    assert zhang["工号"] == "A001" and rows[1]["工号"] == "lisi"
    assert zhang["证件类型"] == "居民身份证" and rows[2]["证件类型"] == "中国护照"
    assert D(str(zhang["本期收入"])) == D("11448.28")  # 12000.00 − 551.72 事假
    assert zhang["累计子女教育"] == 20000 and zhang["累计住房租金"] == 15000
    assert rows[1]["累计子女教育"] is None  # no ledger key: empty, never a made-up 0


def test_amounts_are_stored_as_their_exact_decimal_text_and_text_never_as_formula():
    _, data, _ = sheet(month())
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert '<c r="E3" s="1" t="n"><v>8700.1</v></c>' in xml and "<f>" not in xml
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    cell = ws["B4"]
    assert cell.value.startswith("=") and cell.data_type == "s" and cell.quotePrefix


def test_the_older_template_and_a_missing_id_number():
    _, data, problems = sheet(month(), "1")
    _, values, _ = iit.read_sheet(data)
    assert values[0][3] == "证照号码"
    assert [(p.code, p.userid, p.severity.value) for p in problems] == [
        ("iit_id_missing", "zhaoliu", "warning")]


def test_same_month_same_bytes():
    assert sheet(month())[1] == sheet(month())[1]


def test_the_sheet_is_the_workbook_openpyxls_own_cells_make():
    """The oracle: every value through safe.xlsx_cell and openpyxl's ws.append."""
    from openpyxl import Workbook

    from engine.run.exports import pinned_workbook

    _, columns = load_iit_map().version(None)
    rows, _ = iit.sheet_rows(paid(with_ytd()), columns)
    rows.append(["=1+2", " 张 ", D("-0.005"), D("12345678901.23"), None, "a\tb", 7])
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=load_iit_map().sheet)
    for row in rows:
        ws.append([safe.xlsx_cell(ws, value) for value in row])
    assert iit.workbook_bytes(load_iit_map().sheet, rows, CREATED) == \
        pinned_workbook(book, CREATED)
