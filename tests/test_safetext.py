import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.safetext import printable, printable_tree, text_problems, unsafe, unsafe_code_points
from engine.payslip.sample import zhangsan

UNSAFE = ["\x00", "\x07", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f",
          "\u0378", "\U000EFFFD", "\U0010FFFD", "\ue000", "\ufffe", "\uffff", "\ud800",
          "\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u2028",
          "\u2029"]
SAFE = ["a", "张", "𠀾", "🚀", "\u200d", "é", " ", "\u3000", "[", "U", "+"]


@pytest.mark.corpus("control characters and emoji")
@pytest.mark.parametrize("ch", UNSAFE)
def test_unsafe_characters_print_as_their_code_point(ch):
    assert unsafe(ch)
    assert printable(f"李{ch}四") == f"李[U+{ord(ch):04X}]四"
    assert unsafe_code_points(f"{ch}x{ch}") == [f"U+{ord(ch):04X}"]


@pytest.mark.parametrize("ch", SAFE)
def test_ordinary_characters_are_kept(ch):
    assert not unsafe(ch) and printable(ch) == ch


@pytest.mark.corpus("control characters and emoji", cases=100)
@given(st.text(max_size=40))
def test_printable_text_has_no_unsafe_character_and_is_idempotent(text):
    shown = printable(text)
    assert not any(unsafe(ch) for ch in shown)
    assert printable(shown) == shown
    shown.encode("utf-8")  # never a lone surrogate: this would raise


def test_trees_of_values_are_walked():
    assert printable_tree({"a": ("x\x07", ["\x00"]), "b": 1}) == {"a": ("x[U+0007]",
                                                                         ["[U+0000]"]), "b": 1}


def test_each_affected_field_is_one_warning():
    record = zhangsan().record.model_dump()
    record["base_info"]["departs_name"] = "研发\x07部"
    emp = zhangsan(userid="a\x1bb", name="张\u202e三", record=record,
                   roster={"userid": "a\x1bb", "note": "fine"})
    found = {(p.field, p.severity.value, p.code) for p in text_problems([emp])}
    assert found == {("userid", "warning", "unprintable_text"), ("name", "warning", "unprintable_text"),
                     ("departs_name", "warning", "unprintable_text"),
                     ("roster.userid", "warning", "unprintable_text")}
    assert text_problems([zhangsan()]) == []
    assert all(p.message.isprintable() for p in text_problems([emp]))
