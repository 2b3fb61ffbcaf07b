import weasyprint

from engine.payslip.context import DEFAULT_TEMPLATES
from engine.payslip.document import (PayslipHTML, fast_path_available, lean_ua_stylesheet,
                                     payslip_document, xml_tree)
from engine.payslip.pdf import PDF_VARIANT, Renderer, render_pdf
from payslip_samples import context, pdf_text, zhangsan


def _write(renderer: Renderer, document: weasyprint.HTML) -> bytes:
    return document.write_pdf(stylesheets=renderer.stylesheets(context()), font_config=renderer.font_config,
                              pdf_variant=PDF_VARIANT, full_fonts=False, uncompressed_pdf=True)


def test_the_fast_path_is_used_and_prints_the_same_bytes_as_the_html5_parser():
    assert fast_path_available() and lean_ua_stylesheet() is not None
    renderer = Renderer(DEFAULT_TEMPLATES, "zh", environ={})
    html = renderer.html(zhangsan(), context())
    base = DEFAULT_TEMPLATES.resolve().as_uri() + "/"
    fast = payslip_document(html, base, renderer.fetcher)
    assert xml_tree(html) is not None and fast.etree_element.tag == "html"
    plain = weasyprint.HTML(string=html, base_url=base, url_fetcher=renderer.fetcher)
    assert _write(renderer, fast) == _write(renderer, plain)


def test_markup_that_is_not_xml_takes_the_html5_parser():
    assert xml_tree("<p>a&nbsp;b</p>") is None
    assert xml_tree("<p>a<br>b</p>") is None
    assert xml_tree('<html><head><base href="http://x/" /></head></html>') is None
    assert xml_tree("<p>a fragment</p>") is None
    assert xml_tree('<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>') is None
    assert xml_tree("<html><body><p>plain</p></body></html>") is not None
    document = payslip_document("<p>a&nbsp;b<br>c", "file:///", None)
    assert isinstance(document, PayslipHTML)
    assert [e.tag for e in document.etree_element.iter()][:3] == ["html", "head", "body"]


def test_a_control_character_in_a_value_still_prints():
    record = zhangsan().record.model_dump()
    record["base_info"]["name_ex"] = "Three\x07Zhang"
    pdf = render_pdf(zhangsan(record=record), context(),
                     Renderer(DEFAULT_TEMPLATES, "zh", environ={}))
    assert "14,223.33" in pdf_text(pdf)


def test_list_items_keep_their_marker_with_the_lean_stylesheet():
    pdf = render_pdf(zhangsan(), context(), Renderer(DEFAULT_TEMPLATES, "zh", environ={}))
    text = pdf_text(pdf)
    assert "•本月有9.1小时休息日加班尚未结算" in text  # the employee's note is a list item
    assert "休息日加班拆分不等于合计" not in text  # the HR finding is not on the payslip


def test_markup_declaring_entities_takes_the_html5_parser():
    nested = ('<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
              "<html><body><p>&b;</p></body></html>")
    assert xml_tree(nested) is None
    document = payslip_document(nested, "file:///", None)
    assert "aaaaaaaaaa" not in "".join(document.etree_element.itertext())
