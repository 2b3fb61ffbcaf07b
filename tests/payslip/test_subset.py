"""The common font: WenQuanYi Micro Hei cut once to the payslip's characters."""

import subprocess

from fontTools.ttLib import TTFont

from engine.payslip.context import DEFAULT_TEMPLATES
from engine.payslip.fonts import label_text, locate
from engine.payslip.pdf import Renderer, render_pdf
from engine.payslip.subset import (SOURCE_FAMILY, common_characters, gb2312, subset_font)
from payslip_samples import context, pdf_text, zhangsan


def _fonts(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                          check=True).stdout


def test_gb2312_has_its_6763_hanzi():
    hanzi = [p for p in gb2312() if 0x4E00 <= p <= 0x9FFF]
    assert len(hanzi) == 6763 and ord("张") in gb2312() and ord("堃") not in gb2312()


def test_the_cut_is_deterministic_and_keeps_exactly_its_characters(tmp_path):
    path, index = locate(SOURCE_FAMILY)
    chars = common_characters("工资条")
    once, twice = subset_font(path, index, chars), subset_font(path, index, chars)
    assert once == twice and 100_000 < len(once) < 3_000_000
    (tmp_path / "c.ttf").write_bytes(once)
    cmap = set(TTFont(tmp_path / "c.ttf").getBestCmap())
    source = set(TTFont(path, fontNumber=index, lazy=True).getBestCmap())
    assert cmap == chars & source


def test_label_text_collects_every_string_of_the_labels():
    text = label_text({"a": "迟到", "b": ["早退", {"c": "旷工"}], "n": 3})
    assert text == "a迟到b早退c旷工n"


def test_payslips_print_with_the_common_font(tmp_path):
    pdf = render_pdf(zhangsan(), context(), Renderer(DEFAULT_TEMPLATES, "zh", environ={}))
    fonts = _fonts(pdf, tmp_path)
    assert "WenQuanYi-Micro-Hei-Common" in fonts
    assert "WenQuanYi-Micro-Hei " not in fonts  # nothing needed the whole font


def test_a_name_character_outside_the_cut_comes_from_the_whole_font(tmp_path):
    pdf = render_pdf(zhangsan(name="王堃"), context(), Renderer(DEFAULT_TEMPLATES, "zh", environ={}))
    assert "王堃" in pdf_text(pdf)
    fonts = _fonts(pdf, tmp_path)
    assert "WenQuanYi-Micro-Hei-Common" in fonts and "WenQuanYi-Micro-Hei " in fonts
