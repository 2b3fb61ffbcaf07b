import hashlib
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest

from engine.errors import InputError, RenderError
from engine.payslip.context import DEFAULT_TEMPLATES
from engine.payslip.pdf import (DATA_NAME, Renderer, TemplateFetcher, embedded_data,
                                pinned_time, render_payslip, render_pdf)
from payslip_samples import context, pdf_text, zhangsan


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(DEFAULT_TEMPLATES, "zh", environ={})


@pytest.fixture(scope="module")
def sample(renderer) -> bytes:
    return render_pdf(zhangsan(), context(), renderer)


@pytest.fixture(scope="module")
def sample_file(sample, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "ZhangSan.pdf"
    path.write_bytes(sample)
    return path


def test_text_shows_name_lines_and_net(sample):
    text = pdf_text(sample)
    for expected in ("张三", "ThreeZhang", "ZhangSan", "有家企业有限公司", "2026-10", "规则测试",
                     "8,700.00", "1,125.00", "4,800.00", "-401.67", "14,625.00", "14,223.33",
                     "壹万肆仟贰佰贰拾叁元叁角叁分", "年假", "旷工", "9.1小时",
                     "2026-10-run-0001", "cn-default", "1/1"):
        assert expected in text, expected


def test_printed_line_amounts_add_up_to_the_printed_net(sample):
    text = pdf_text(sample)
    amounts = [line.amount for line in zhangsan().lines]
    assert all(f"{a:,.2f}" in text for a in amounts if a)
    assert sum(amounts) == Decimal("14223.33")


def test_all_fonts_embedded_and_structure_clean(sample_file):
    fonts = subprocess.run(["pdffonts", str(sample_file)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts, "no fonts listed"
    assert all(row.split()[-5] == "yes" for row in fonts), fonts  # emb column
    assert any("WenQuanYi" in row for row in fonts)
    check = subprocess.run(["qpdf", "--check", str(sample_file)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors" in check.stdout


def test_embedded_data_matches_the_lines(sample, sample_file):
    data = embedded_data(sample)
    assert embedded_data(sample_file) == data
    result = zhangsan()
    assert [(x["code"], Decimal(x["amount"])) for x in data["lines"]] == [
        (line.code, line.amount) for line in result.lines]
    assert Decimal(data["totals"]["net"]) == result.totals.net
    assert data["lines"][1]["trace"]["formula"] == "hours * hourly * 1.5"
    assert data["pack"] == {"name": "cn-default", "version": "2026.1",
                            "sha256": context().pack.sha256}
    assert data["run_id"] == "2026-10-run-0001"
    assert data["inputs"]["record"]["overwork_info"]["restdays_over_sec"] == 205560
    assert isinstance(data["lines"][0]["amount"], str)  # Decimals travel as strings


def test_embedded_file_is_a_pdfa3_associated_data_file(sample):
    with pikepdf.open(__import__("io").BytesIO(sample)) as doc:
        spec = doc.attachments[DATA_NAME]
        assert spec.obj.AFRelationship == pikepdf.Name.Data
        assert spec.obj.objgen in [af.objgen for af in doc.Root.AF]
        assert spec.get_file().mime_type == "application/json"
        raw = spec.get_file().read_bytes()
        assert raw == json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False,
                                 indent=1).encode()
        with doc.open_metadata() as meta:
            assert meta["pdfaid:part"] == "3"
            assert meta["pdfaid:conformance"] == "U"
            assert "张三" in meta["dc:title"] and "2026-10" in meta["dc:title"]
            assert meta["dc:creator"] == ["有家企业有限公司"]
            assert "2026-10" in meta["dc:description"]
        assert str(doc.Root.Lang) == "zh-CN"


def test_rendering_twice_gives_identical_bytes(renderer, sample):
    again = render_pdf(zhangsan(), context(), renderer)
    assert hashlib.sha256(again).hexdigest() == hashlib.sha256(sample).hexdigest()
    fresh = render_pdf(zhangsan(), context(), Renderer(DEFAULT_TEMPLATES, "zh", environ={}))
    assert fresh == sample


def test_attachment_dates_are_pinned_to_the_period_or_source_date_epoch():
    assert pinned_time("2026-10", None, {}).isoformat() == "2026-10-30T16:00:00+00:00"
    assert pinned_time("2026-10", None, {"SOURCE_DATE_EPOCH": "1700000000"}).isoformat() == \
        "2023-11-14T22:13:20+00:00"
    epoch = Renderer(DEFAULT_TEMPLATES, "zh", environ={"SOURCE_DATE_EPOCH": "1700000000"})
    pdf = render_pdf(zhangsan(), context(), epoch)
    with pikepdf.open(__import__("io").BytesIO(pdf)) as doc:
        params = doc.attachments[DATA_NAME].get_file().obj.Params
        assert str(params.CreationDate) == "D:20231114221320Z"


def test_english_payslip(renderer):
    pdf = render_pdf(zhangsan(), context(lang="en"), Renderer(DEFAULT_TEMPLATES, "en", environ={}))
    text = pdf_text(pdf)
    assert "Netpay" in text and "Basesalary" in text
    assert "14,223.33" in text
    with pytest.raises(RenderError):
        render_pdf(zhangsan(), context(lang="en"), renderer)  # a zh renderer refuses


def test_rare_name_characters_render_with_real_glyphs(renderer, tmp_path):
    pdf = render_pdf(zhangsan(name="王𠀾䶮"), context(), renderer)
    assert "王𠀾䶮" in pdf_text(pdf)
    path = tmp_path / "rare.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts.replace(" ", "").replace("-", "")


@pytest.mark.parametrize("char", ["\U0010FFFD", "\U000EFFFD", "\u0378", "\U0001F680", "\x07",
                                  "\x00", "\x1b", "\x7f", "\x85", "\x9f", "\u202e"])
def test_a_character_that_cannot_be_shown_prints_as_its_code_point(renderer, char):
    pdf, problems = render_payslip(zhangsan(name=f"张{char}三"), context(), renderer)
    assert f"张[U+{ord(char):04X}]三" in pdf_text(pdf)
    # unsafe characters are escaped before layout; only a glyph gap is the renderer's warning
    assert [p.code for p in problems] in ([], ["missing_glyph"])


INJECTIONS = ['<img src="file:///etc/passwd">',
              '<link rel=stylesheet href="http://169.254.169.254/">',
              'x<style>@import url(file:///etc/passwd);</style>',
              'url(file:///etc/passwd)']


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injected_markup_prints_as_text_and_fetches_nothing(payload):
    renderer = Renderer(DEFAULT_TEMPLATES, "zh", environ={})
    record = zhangsan().record.model_dump()
    record["base_info"]["departs_name"] = f"研发部/{payload}"
    record["sp_items"][1]["name"] = payload
    result = zhangsan(name=f"李{payload}", record=record, roster={"position": payload})
    pdf = render_pdf(result, context(company=payload), renderer)
    text = pdf_text(pdf)
    squeezed = "".join(payload.split())
    assert text.count(squeezed) >= 4  # name, department, leave item, roster field, company
    root = DEFAULT_TEMPLATES.resolve().as_uri()
    assert all(url.startswith(root + "/") for url in renderer.fetcher.requested)
    assert renderer.fetcher.refused == []


def test_fetcher_refuses_everything_outside_the_template_folder(tmp_path):
    (tmp_path / "logo.png").write_bytes(b"\x89PNG")
    fetcher = TemplateFetcher(tmp_path)
    assert fetcher.fetch((tmp_path / "logo.png").as_uri()).read() == b"\x89PNG"
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest", "https://example.com/x",
                (tmp_path / ".." / "x").as_uri(), (tmp_path / "missing.png").as_uri(),
                "data:text/plain,hi", "file://evil.example/" + str(tmp_path / "logo.png")):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 7


def test_logo_from_the_template_folder(tmp_path):
    for name in ("payslip.html.j2", "payslip.css", "labels.yaml"):
        (tmp_path / name).write_bytes((DEFAULT_TEMPLATES / name).read_bytes())
    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<rect width="40" height="20" fill="#2d5f8a"/></svg>', "utf-8")
    renderer = Renderer(tmp_path, "zh", environ={})
    pdf = render_pdf(zhangsan(), context(template_dir=tmp_path, logo="logo.svg"), renderer)
    assert renderer.fetcher.requested == [(tmp_path / "logo.svg").resolve().as_uri()]
    assert "14,223.33" in pdf_text(pdf)


def test_embedded_data_of_a_pdf_without_it():
    with pytest.raises(InputError):
        embedded_data(b"not a pdf")
    blank = pikepdf.new()
    blank.add_blank_page()
    out = __import__("io").BytesIO()
    blank.save(out)
    with pytest.raises(InputError, match="no embedded"):
        embedded_data(out.getvalue())


def test_streams_are_deflated_once_and_objects_packed(sample):
    with pikepdf.open(__import__("io").BytesIO(sample)) as doc:
        streams = [o for o in doc.objects if isinstance(o, pikepdf.Stream)]
        # XMP stays plain text on purpose (qpdf's default, readable by archive tools)
        big = [s for s in streams if len(s.read_raw_bytes()) > 512
               and s.get("/Type") != pikepdf.Name.Metadata]
        assert big and all(s.get("/Filter") == pikepdf.Name.FlateDecode for s in big)
        assert any(s.get("/Type") == pikepdf.Name.ObjStm for s in streams)
        assert len(doc.trailer.ID) == 2
    assert len(sample) < 120_000  # the uncompressed page is over 400 KB
