import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.payslip.names import payslip_filename

HOSTILE = ["../../etc/x", "a/b", "a\\b", "..", ".", "CON", "nul.txt", "x" * 300, "张三" * 40,
           "", "a\x00b", "\u202ecod.exe", ".bashrc", "名字/../../x"]


@pytest.mark.parametrize("userid", HOSTILE)
def test_hostile_ids_give_plain_file_names(userid, tmp_path):
    name = payslip_filename(userid, set())
    assert name.endswith(".pdf") and "/" not in name and "\\" not in name
    assert not name.startswith(".") and ".." not in name
    assert len(name.encode()) <= 255
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert name.split(".")[0].casefold() not in {"con", "nul"}


def test_plain_ids_keep_their_name():
    assert payslip_filename("ZhangSan", set()) == "ZhangSan.pdf"
    assert payslip_filename("张三", set()) == "张三.pdf"


def test_ids_that_sanitise_alike_stay_distinct():
    taken: set[str] = set()
    names = [payslip_filename(u, taken) for u in ("a/b", "a\\b", "a_b", "A_B", "a:b")]
    assert len({n.casefold() for n in names}) == len(names)
    assert taken == set(names)


@given(st.lists(st.text(min_size=0, max_size=80), min_size=1, max_size=20))
def test_names_are_always_safe_and_unique(userids):
    taken: set[str] = set()
    names = [payslip_filename(u, taken) for u in userids]
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert "/" not in name and "\x00" not in name and name.endswith(".pdf")
        assert not name.startswith(".") and ".." not in name
