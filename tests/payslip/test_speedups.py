"""The WeasyPrint caches of engine.payslip.speedups change the speed, never the bytes."""

import shutil

import pytest
import weasyprint

from engine.payslip import speedups, styles
from engine.payslip.context import DEFAULT_TEMPLATES
from engine.payslip.pdf import Renderer, render_pdf
from engine.payslip.sample import varied
from payslip_samples import context, pdf_text, zhangsan

# a template that takes the patched functions' rare paths: overflow propagated from the
# root, an ellipsis drawn into a shared line, text decorations, letter and word spacing
_EDGES = """
html { overflow: hidden; }
.name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; width: 20mm;
        text-decoration: underline; }
.dl th { letter-spacing: 0.5pt; word-spacing: 2pt; text-decoration: line-through; }
"""


def _employees():
    long_name = zhangsan(userid="long", name="欧阳" + "长名字" * 12)
    rare = zhangsan(userid="rare", name="𠀀𪚥龘")
    return [varied(i) for i in range(6)] + [long_name, rare, varied(0)]


def _render_all(template_dir) -> list[bytes]:
    """Every sample payslip, in Chinese and English, from fresh renderers."""
    out = []
    for lang in ("zh", "en"):
        ctx = context(template_dir=template_dir, lang=lang)
        renderer = Renderer(template_dir, lang, environ={})
        out += [render_pdf(employee, ctx, renderer) for employee in _employees()]
    return out


@pytest.fixture
def edge_templates(tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, folder)
    with (folder / "payslip.css").open("a", encoding="utf-8") as css:
        css.write(_EDGES)
    return folder


def test_installed_for_the_weasyprint_they_were_made_for():
    Renderer(DEFAULT_TEMPLATES, "zh", environ={})
    assert speedups.supported() == (weasyprint.__version__ == speedups.SUPPORTED_VERSION)
    assert speedups.installed() == speedups.supported()


@pytest.mark.skipif(not speedups.supported(), reason="speedups are for WeasyPrint 70.0")
@pytest.mark.parametrize("templates", ["default", "edges"])
def test_payslips_are_byte_identical_with_and_without_the_caches(templates, edge_templates):
    folder = DEFAULT_TEMPLATES if templates == "default" else edge_templates
    _render_all(folder)  # the caches now hold every line and style these payslips have
    assert speedups.installed() and styles.shared_styles() > 0
    warm = _render_all(folder)
    with speedups.disabled():
        plain = _render_all(folder)
        assert not speedups.installed() and styles.shared_styles() == 0
    assert len(set(plain)) == len(plain) - 2  # varied(0) twice, in each language
    assert warm == plain


@pytest.mark.skipif(not speedups.supported(), reason="speedups are for WeasyPrint 70.0")
def test_the_ellipsis_of_a_shared_line_stays_on_its_own_box(edge_templates):
    ctx = context(template_dir=edge_templates)
    renderer = Renderer(edge_templates, "zh", environ={})
    long_name = zhangsan(userid="long", name="欧阳" + "长名字" * 12)
    first, again = (pdf_text(render_pdf(long_name, ctx, renderer)) for _ in range(2))
    assert first == again and "欧阳长..." in first and "长名字" * 3 not in first  # cut short
    assert "张三" in pdf_text(render_pdf(zhangsan(), ctx, renderer))


def test_without_speedups_payslips_still_render():
    with speedups.disabled():
        pdf = render_pdf(zhangsan(), context(), Renderer(DEFAULT_TEMPLATES, "zh", environ={}))
        assert not speedups.installed()
    assert "张三" in pdf_text(pdf)


def test_the_shape_of_a_document_keeps_the_attribute_values_selectors_read():
    import xml.etree.ElementTree as ET

    def shape(markup, read=frozenset({"colspan"})):
        return styles._shape(list(ET.fromstring(markup).iter()), read)

    same = '<html><head><meta name="k" content="{}"/></head><body><td colspan="{}">x</td></body></html>'
    assert shape(same.format("user1", 2)) == shape(same.format("user2", 2))  # content unread
    assert shape(same.format("user1", 2)) != shape(same.format("user1", 3))  # colspan read
    assert shape('<html><p class="a">x</p></html>') != shape('<html><p class="b">x</p></html>')
    assert shape("<html><p>x</p></html>") != shape("<html><p></p></html>")  # :empty
    assert shape("<html><style>p{}</style></html>") is None
    assert shape('<html><meta http-equiv="content-language" content="en"/></html>') is None


@pytest.mark.skipif(not speedups.supported(), reason="speedups are for WeasyPrint 70.0")
def test_a_written_payslip_is_freed_without_the_garbage_collector():
    import gc

    from weasyprint.layout import LayoutContext

    renderer = Renderer(DEFAULT_TEMPLATES, "zh", environ={})
    render_pdf(varied(1), context(), renderer)
    gc.collect()
    gc.disable()
    try:
        render_pdf(varied(2), context(), renderer)
        alive = [o for o in gc.get_objects() if isinstance(o, LayoutContext)]
    finally:
        gc.enable()
    assert alive == []


@pytest.mark.skipif(not speedups.supported(), reason="speedups are for WeasyPrint 70.0")
def test_a_warm_payslip_computes_no_style_value(monkeypatch):
    from weasyprint.css import ComputedStyle

    renderer = Renderer(DEFAULT_TEMPLATES, "zh", environ={})
    for i in range(3):
        render_pdf(varied(i), context(), renderer)
    computed = []
    missing = ComputedStyle.__missing__
    monkeypatch.setattr(ComputedStyle, "__missing__",
                        lambda self, key: computed.append(key) or missing(self, key))
    render_pdf(varied(7), context(), renderer)
    assert computed == []
