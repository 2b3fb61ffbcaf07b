from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import RenderError
from engine.payslip.context import (DEFAULT_TEMPLATES, build_view, duration_text, load_labels,
                                    number)
from engine.rules.lines import Totals
from payslip_samples import context, zhangsan

ZH = load_labels(DEFAULT_TEMPLATES, "zh")
EN = load_labels(DEFAULT_TEMPLATES, "en")


def test_number_drops_trailing_zeros_without_exponent():
    assert number(Decimal("15.000")) == "15"
    assert number(Decimal("1E+2")) == "100"
    assert number(Decimal("-803.33333333")) == "-803.3333"
    assert number(Decimal("0.5")) == "0.5"


@given(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False))
def test_number_reads_back_as_the_same_value(value):
    assert Decimal(number(value)) == value


def test_duration_text():
    assert duration_text(28920, ZH) == "8 小时 2 分钟"
    assert duration_text(60, EN) == "1 min"
    assert duration_text(0, EN) == "0 min"


def test_view_groups_lines_and_subtotals_add_up():
    view = build_view(zhangsan(), context(), ZH)
    titles = [g.title for g in view.groups]
    assert titles == ["应发项目", "扣减项目", "调休", "其他信息"]
    earning = view.groups[0]
    assert [r.amount for r in earning.rows] == ["8,700.00", "1,125.00", "4,800.00"]
    assert earning.subtotal == "14,625.00"
    assert view.groups[1].subtotal == "-401.67"
    assert view.groups[2].subtotal == "9.1 小时"
    assert view.net == "14,223.33"
    assert view.net_capitals == "壹万肆仟贰佰贰拾叁元叁角叁分"
    ot = earning.rows[1]
    assert (ot.quantity, ot.unit, ot.rate, ot.multiplier) == ("15", "小时", "50", "1.5")


def test_view_attendance_from_the_record():
    view = build_view(zhangsan(), context(), ZH)
    assert view.departments == ("有家企业/realempty", "有家企业", "有家企业/部门A4")
    assert view.rule_group == "规则测试"
    assert [(r.kind, r.count, r.duration) for r in view.exceptions] == [
        ("迟到", "1", "1 分钟"), ("早退", "1", "1 分钟"), ("旷工", "2", "8 小时 2 分钟")]
    assert [(r.kind, r.item, r.count) for r in view.sp_items] == [("请假", "年假", "1")]
    assert view.overtime[1].count == "57.1 小时"  # 205560 s


def test_english_labels_and_line_labels():
    view = build_view(zhangsan(), context(lang="en"), EN)
    assert view.groups[0].title == "Earnings"
    assert view.groups[0].rows[0].label == "Base salary"
    assert view.groups[1].rows[0].unit == "days"


def test_totals_that_do_not_add_up_are_refused():
    bad = zhangsan(totals=Totals(earnings=Decimal("14625.00"), deductions=Decimal("-401.67"),
                                 gross=Decimal("14223.33"), net=Decimal("14223.34")))
    with pytest.raises(RenderError, match="net"):
        build_view(bad, context(), ZH)


def test_password_column_is_never_printed():
    result = zhangsan(roster={"employee_no": "secret-pw"})
    shown = build_view(result, context(), ZH, hidden=frozenset())
    hidden = build_view(result, context(), ZH, hidden=frozenset({"employee_no"}))
    assert ("工号", "secret-pw") in shown.roster
    assert all(value != "secret-pw" for _, value in hidden.roster)


def test_company_labels_overlay_the_built_in_ones(tmp_path):
    (tmp_path / "labels.yaml").write_text("zh:\n  title: 薪资单\n  units:\n    h: 时\n", "utf-8")
    labels = load_labels(tmp_path, "zh")
    assert labels["title"] == "薪资单"
    assert labels["units"]["h"] == "时" and labels["units"]["day"] == "天"
    assert labels["net"] == ZH["net"]


def test_only_problems_written_for_the_employee_are_printed():
    from engine.problems import Audience, error, warning

    hr = warning("compute", "OT_CAP", "月加班超过36小时（劳动法第41条）", userid="ZhangSan",
                 rule="OT_CAP")
    note = warning("compute", "MISSED_PUNCH", "本月有 2 次缺卡，请联系考勤管理员补卡。",
                   userid="ZhangSan").model_copy(update={"audience": Audience.EMPLOYEE})
    failed = error("payslip", "x", "internal", userid="ZhangSan")
    view = build_view(zhangsan(problems=(hr, note, failed, note)), context(), ZH)
    assert view.warnings == ("本月有 2 次缺卡，请联系考勤管理员补卡。",)


def test_no_word_is_printed_twice():
    from engine.payslip.context import plain_pair

    assert plain_pair("补卡", "补卡次数") == ("补卡次数", "")
    assert plain_pair("出差", "出差") == ("出差", "")
    assert plain_pair("请假扣款", "扣款") == ("请假扣款", "")
    assert plain_pair("请假", "年假") == ("请假", "年假")
    assert plain_pair("", "年假") == ("", "年假")


def test_the_company_address_is_printed_under_its_name():
    view = build_view(zhangsan(), context(address="上海市浦东新区 1 号"), ZH)
    assert view.address == "上海市浦东新区 1 号"
    assert build_view(zhangsan(), context(), ZH).address == ""
