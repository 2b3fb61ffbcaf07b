"""The payslip's total under the name the pack gives it: never 实发工资 for a total before tax."""

from __future__ import annotations

from pathlib import Path

from engine.payslip.context import DEFAULT_TEMPLATES, build_view, load_labels
from engine.rules.loader import load_pack
from payslip_samples import context, zhangsan

ROOT = Path(__file__).resolve().parents[2]
ZH = load_labels(DEFAULT_TEMPLATES, "zh")
EN = load_labels(DEFAULT_TEMPLATES, "en")
BEFORE_TAX = "应发合计（未扣税）"


def test_without_a_pack_label_the_total_is_net_pay():
    assert build_view(zhangsan(), context(), ZH).net_label == "实发工资"
    assert build_view(zhangsan(), context(lang="en"), EN).net_label == "Net pay"


def test_a_pack_label_replaces_it_and_english_never_falls_back_to_net_pay():
    assert build_view(zhangsan(), context(net_label=BEFORE_TAX), ZH).net_label == BEFORE_TAX
    en = context(lang="en", net_label=BEFORE_TAX)
    assert build_view(zhangsan(), en, EN).net_label == BEFORE_TAX
    en = context(lang="en", net_label=BEFORE_TAX, net_label_en="Gross pay")
    assert build_view(zhangsan(), en, EN).net_label == "Gross pay"


def test_cn_default_declares_its_total_before_tax_and_extending_packs_inherit_it(tmp_path):
    pack = load_pack(ROOT / "rules" / "cn-default.yaml")
    assert pack.header.net_label == BEFORE_TAX
    assert load_pack(ROOT / "rules/examples/company-sh.yaml").header.net_label == BEFORE_TAX
    (tmp_path / "rules").mkdir()
    for name in ("cn-default.yaml", "cn-default.cases.yaml"):
        (tmp_path / "rules" / name).write_bytes((ROOT / "rules" / name).read_bytes())
    own = tmp_path / "rules" / "with-tax.yaml"
    own.write_text('pack:\n  name: with-tax\n  extends: cn-default.yaml\n  net_label: ""\n',
                   "utf-8")
    assert load_pack(own).header.net_label == ""


def test_a_payslip_of_a_pack_without_tax_prints_the_honest_label():
    from engine.payslip.pdf import Renderer, render_pdf
    from payslip_samples import pdf_text

    renderer = Renderer(DEFAULT_TEMPLATES, "zh", environ={})
    pack = load_pack(ROOT / "rules" / "cn-default.yaml")
    ctx = context(net_label=pack.header.net_label, net_label_en=pack.header.net_label_en)
    text = pdf_text(render_pdf(zhangsan(), ctx, renderer))
    assert BEFORE_TAX in text and "14,223.33" in text and "实发工资" not in text
