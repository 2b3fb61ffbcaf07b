import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.payslip.names import (NamePlanner, fold, is_reserved, payslip_filename, plan_names,
                                  portable)

HOSTILE = ["../../etc/x", "a/b", "a\\b", "..", ".", "CON", "nul.txt", "x" * 300, "张三" * 40,
           "", "a\x00b", "\u202ecod.exe", ".bashrc", "名字/../../x"]
WINDOWS = ["CON", "con", "Prn", "AUX.txt", "NUL", "nul.tar.gz", "COM1", "com9", "LPT1", "lpt0",
           "COM¹", "COM²", "COM³", "LPT¹", "lpt²", "LPT³.x", "CONIN$", "conout$", "CLOCK$",
           "ＣＯＮ", "ＣＯＭ１", "CON ", "con.", "trailing.", "trailing ", "trailing. . ",
           "a<b", "a>b", "a:b", 'a"b', "a/b", "a\\b", "a|b", "a?b", "a*b", " lead", "x\tz"]


@pytest.mark.corpus("100,000 ids")
@pytest.mark.parametrize("userid", HOSTILE + WINDOWS)
def test_hostile_ids_give_plain_portable_file_names(userid, tmp_path):
    name = payslip_filename(userid, set())
    assert name.endswith(".pdf") and "/" not in name and "\\" not in name
    assert not name.startswith(".") and ".." not in name
    assert len(name.encode()) <= 255
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert portable(name), name
    assert not is_reserved(name[:-4])


@pytest.mark.parametrize("stem", ["CON", "com¹", "LPT³", "ＮＵＬ", "aux ", "Com1.backup"])
def test_reserved_stems_are_recognised(stem):
    assert is_reserved(stem)
    assert not portable(f"{stem}.pdf")


def test_plain_ids_keep_their_name():
    assert payslip_filename("ZhangSan", set()) == "ZhangSan.pdf"
    assert payslip_filename("张三", set()) == "张三.pdf"
    assert payslip_filename("COM10", set()) == "COM10.pdf"  # only COM0-9 are reserved


def test_ids_that_sanitise_alike_stay_distinct():
    taken: set[str] = set()
    names = [payslip_filename(u, taken) for u in ("a/b", "a\\b", "a_b", "A_B", "a:b")]
    assert len({n.casefold() for n in names}) == len(names)
    assert taken == set(names)


def test_case_and_normalisation_variants_get_distinct_names():
    names = plan_names(["Zoë", "Zoe\u0308", "ZOË", "zoë", "STRASSE", "straße"])
    assert len({fold(n) for n in names}) == len(names)


@given(st.lists(st.text(min_size=0, max_size=80), min_size=1, max_size=20))
def test_names_are_always_safe_and_unique(userids):
    names = plan_names(userids)
    assert len({fold(n) for n in names}) == len(names)
    for name in names:
        assert "/" not in name and "\x00" not in name and name.endswith(".pdf")
        assert not name.startswith(".") and ".." not in name
        assert portable(name)


def corpus(size: int, seed: int = 13) -> list[str]:
    """``size`` distinct userids: plain pinyin ids, case twins, ids that sanitise alike,
    reserved names, CJK and long ids."""
    rng = random.Random(seed)
    shapes = (lambda i: f"Wang{i}", lambda i: f"wang{i}".upper(), lambda i: f"a/b{i % 500}",
              lambda i: f"a:b{i % 500}", lambda i: f"COM{'0123456789¹²³'[i % 13]}",
              lambda i: f"张{i}", lambda i: f"user.{i}.", lambda i: "x" * (100 + i % 60),
              lambda i: f"id {i} ?")
    seen: dict[str, None] = {}
    i = 0
    while len(seen) < size:
        seen.setdefault(rng.choice(shapes)(i), None)
        i += 1
    return list(seen)


@pytest.mark.corpus("100,000 ids", cases=100_000)
def test_a_hundred_thousand_ids_plan_unique_portable_names():
    ids = corpus(100_000)
    start = time.perf_counter()
    names = plan_names(ids)
    elapsed = time.perf_counter() - start
    print(f"\nplanned {len(names)} payslip file names in {elapsed:.2f} s")
    assert len(names) == len(ids) == 100_000
    assert len({fold(n) for n in names}) == len(names)
    assert all(portable(n) for n in names)


def test_planner_respects_names_already_taken():
    planner = NamePlanner({"ZhangSan.pdf"})
    assert planner.name("zhangsan") != "zhangsan.pdf"
