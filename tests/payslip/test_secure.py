import io

import pikepdf
import pytest

from engine.errors import RenderError
from engine.payslip.secure import delivery_password, encrypt
from payslip_samples import zhangsan


def _pdf() -> bytes:
    doc = pikepdf.new()
    doc.add_blank_page()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_copy_is_aes256_and_needs_the_password():
    secure = encrypt(_pdf(), "s3cret-密码")
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(secure))
    with pikepdf.open(io.BytesIO(secure), password="s3cret-密码") as doc:
        assert doc.encryption.R == 6 and doc.encryption.bits == 256
        assert doc.encryption.stream_method.name == "aesv3"
        assert len(doc.pages) == 1


def test_garbage_is_a_render_error():
    with pytest.raises(RenderError):
        encrypt(b"%PDF-garbage", "x")


def test_password_comes_from_the_roster_column():
    password, problems = delivery_password("ZhangSan", " 880101 ", "pdf_password")
    assert (password, problems) == ("880101", [])
    password, problems = delivery_password("ZhangSan", None, "pdf_password")
    assert password is None
    assert [(p.code, p.userid, p.field) for p in problems] == [
        ("no_delivery_password", "ZhangSan", "pdf_password")]
