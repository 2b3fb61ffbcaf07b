import hashlib
from pathlib import Path

import pikepdf
import pytest

from engine.payslip.pdf import embedded_data
from engine.executor import render_all
from engine.payslip.workers import plan
from decimal import Decimal as D

from engine.rules.lines import Status, Totals
from payslip_samples import context, pdf_text, zhangsan

HOSTILE_IDS = ["../../etc/x", "a/b", "..", "CON", "x" * 70, "王五"]


def _results():
    ok = [zhangsan(userid=u, roster={"pdf_password": f"pw-{n}"}) for n, u in enumerate(HOSTILE_IDS)]
    return [
        *ok[:3],
        zhangsan(userid="broken", totals=Totals(earnings=D("1"), deductions=D("0"), net=D("1"),
                                                comp_hours=D("0")),
                 roster={"pdf_password": "pw"}),  # fails alone
        zhangsan(userid="emoji", name="火箭\U0001F680",
                 roster={"pdf_password": "pw-e"}),  # no glyph: fallback form, a warning
        zhangsan(userid="missing", status=Status.MISSING),  # not paid by us: no payslip
        zhangsan(userid="nopass"),  # no password: no payslip at all (held)
        *ok[3:],
    ]


@pytest.fixture(scope="module")
def pooled(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "payslips"
    seen = []
    files, problems = render_all(_results(), context(encrypt_with="pdf_password"), out,
                                 workers=2, progress=lambda done, total: seen.append((done, total)))
    return out, files, problems, seen


def test_every_ok_employee_but_the_broken_and_passwordless_ones_gets_a_payslip(pooled):
    out, files, problems, seen = pooled
    assert [f.userid for f in files] == HOSTILE_IDS[:3] + ["emoji"] + HOSTILE_IDS[3:]
    assert {(p.userid, p.code, p.severity.value) for p in problems} == {
        ("broken", "render_failed", "error"), ("nopass", "no_delivery_password", "error"),
        ("emoji", "missing_glyph", "warning")}
    assert seen[-1] == (len(HOSTILE_IDS) + 3, len(HOSTILE_IDS) + 3)
    assert [d for d, _ in seen] == list(range(1, len(seen) + 1))


def test_files_stay_inside_the_folder_and_match_the_manifest(pooled):
    out, files, _, _ = pooled
    written = sorted(p.name for p in out.iterdir() if p.is_file())
    assert written == sorted(Path(f.path).name for f in files)
    for f in files:
        path = out.parent / f.path
        assert path.resolve().parent == out.resolve()
        data = path.read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (f.sha256, f.size)
        assert embedded_data(path)["userid"] == f.userid
        assert f.net == zhangsan().totals.net
    assert not list(out.parent.glob("*.pdf")) and not list(out.glob(".*"))


def test_encrypted_copies_beside_the_masters(pooled):
    out, files, _, _ = pooled
    secure = {p.name for p in (out / "secure").iterdir()}
    assert secure == {Path(f.path).name for f in files}
    assert not any("nopass" in p.name for p in out.rglob("*"))  # nothing written for it
    first = next(f for f in files if f.userid == HOSTILE_IDS[0])
    with pikepdf.open(out / "secure" / Path(first.path).name, password="pw-0") as doc:
        assert doc.encryption.R == 6


def test_one_worker_in_process_gives_the_same_bytes(pooled, tmp_path):
    _, pooled_files, _, _ = pooled
    files, problems = render_all(_results(), context(encrypt_with="pdf_password"),
                                 tmp_path / "payslips", workers=1)
    assert [(f.path, f.sha256) for f in files] == [(f.path, f.sha256) for f in pooled_files]
    assert len(problems) == 3
    assert "王五" in pdf_text(tmp_path / files[-1].path)


def test_a_character_no_font_draws_prints_in_fallback_form(pooled):
    out, files, problems, _ = pooled
    emoji = next(f for f in files if f.userid == "emoji")
    assert "火箭[U+1F680]" in pdf_text(out.parent / emoji.path)
    assert embedded_data(out.parent / emoji.path)["name"] == "火箭\U0001F680"  # data stays exact
    warning = next(p for p in problems if p.code == "missing_glyph")
    assert "U+1F680" in warning.message


def test_plan_names_are_unique_and_skip_non_ok():
    tasks = plan([zhangsan(userid="a/b"), zhangsan(userid="a_b"),
                  zhangsan(userid="x", status=Status.ERROR)])
    assert [t[2] for t in tasks][1] == "a_b.pdf"
    assert len({t[2] for t in tasks}) == 2


def test_warm_up_survives_a_template_that_cannot_print_the_sample(tmp_path):
    from engine.payslip.context import DEFAULT_TEMPLATES
    from engine.payslip.pdf import Renderer
    from engine.payslip.workers import warm_up

    for name in ("payslip.css", "labels.yaml"):
        (tmp_path / name).write_bytes((DEFAULT_TEMPLATES / name).read_bytes())
    (tmp_path / "payslip.html.j2").write_text("{{ v.no_such_field }}", "utf-8")
    renderer = Renderer(tmp_path, "zh", environ={})
    warm_up(renderer, context(template_dir=tmp_path))  # no exception: the error waits for real work
    files, problems = render_all([zhangsan()], context(template_dir=tmp_path),
                                 tmp_path / "out", workers=1)
    assert files == [] and [p.code for p in problems] == ["render_failed"]
