from engine.payslip.context import DEFAULT_TEMPLATES, build_view, load_labels
from engine.payslip.render import render_html
from payslip_samples import context, zhangsan

ZH = load_labels(DEFAULT_TEMPLATES, "zh")


def test_line_breaks_between_tags_are_dropped_but_values_keep_theirs():
    record = zhangsan().record.model_dump()
    record["base_info"]["name_ex"] = "Three >\n< Zhang"
    html = render_html(build_view(zhangsan(record=record), context(), ZH), DEFAULT_TEMPLATES)
    assert ">\n<" not in html.replace("&gt;\n&lt;", "")
    assert "Three &gt;[U+000A]&lt; Zhang" in html  # a control character in its printable form
    assert html.count("<tr>") + html.count("<tr ") >= 15  # the tables are still all there


def test_related_facts_share_one_text_run():
    html = render_html(build_view(zhangsan(), context(), ZH), DEFAULT_TEMPLATES)
    assert "迟到 1 次 1 分钟；早退 1 次 1 分钟；旷工 2 次 8 小时 2 分钟" in html
    assert "15 小时 × 50 × 1.5" in html
    assert "账号：ZhangSan" in html


def test_page_furniture_values_are_css_strings_that_cannot_add_rules():
    from engine.payslip.context import page_view
    from engine.payslip.render import css_string, render_page_css

    assert css_string('a"b\\c\nd') == '"a\\22 b\\5c c\\a d"'
    hostile = '"; } @import url(file:///etc/passwd); @page { x: "'
    ctx = context(run_id=hostile)
    css = render_page_css(page_view(ctx, ZH), DEFAULT_TEMPLATES)
    assert css_string(hostile) in css and "@import" in css  # only inside a string
    assert css.count('"; }') == 0


def test_the_footer_prints_the_run_from_page_css(tmp_path):
    from engine.payslip.pdf import Renderer, render_pdf
    from payslip_samples import pdf_text

    renderer = Renderer(DEFAULT_TEMPLATES, "zh", environ={})
    hostile = 'r"1}@import url(file:///etc/passwd);'
    text = pdf_text(render_pdf(zhangsan(), context(run_id=hostile), renderer))
    assert "批次" + "".join(hostile.split()) in text and "1/1" in text
    assert renderer.fetcher.refused == []
