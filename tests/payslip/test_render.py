from engine.payslip.context import DEFAULT_TEMPLATES, build_view, load_labels
from engine.payslip.render import render_html
from payslip_samples import context, zhangsan

ZH = load_labels(DEFAULT_TEMPLATES, "zh")


def test_line_breaks_between_tags_are_dropped_but_values_keep_theirs():
    record = zhangsan().record.model_dump()
    record["base_info"]["name_ex"] = "Three >\n< Zhang"
    html = render_html(build_view(zhangsan(record=record), context(), ZH), DEFAULT_TEMPLATES)
    assert ">\n<" not in html.replace("&gt;\n&lt;", "")
    assert "Three &gt;\n&lt; Zhang" in html
    assert html.count("<tr>") + html.count("<tr ") >= 15  # the tables are still all there


def test_related_facts_share_one_text_run():
    html = render_html(build_view(zhangsan(), context(), ZH), DEFAULT_TEMPLATES)
    assert "迟到 1 次 1 分钟；早退 1 次 1 分钟；旷工 2 次 8 小时 2 分钟" in html
    assert "15 小时 × 50 × 1.5" in html
    assert "账号：ZhangSan" in html
