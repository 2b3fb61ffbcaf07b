"""Fuzzing the pack loader: malformed and mutated YAML gives a located RulePackError, never
a traceback, and never hangs.

Two corpora: hand-written hostile documents (each a YAML trap with the error it must
give), and hypothesis mutations of real packs (characters inserted, deleted or replaced
with YAML's special tokens, lines duplicated or swapped). For every input the loader
either returns a pack or raises :class:`RulePackError` whose text starts with
``file:line``; any other exception fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import PayrollError, RulePackError
from engine.rules.cases import run_cases
from engine.rules.loader import load_pack

RULES = Path(__file__).resolve().parents[2] / "rules"
SMALL = """\
pack:
  name: fuzz
  rounding: {mode: half_up, step: "0.01"}
parameters:
  RATE:
    label: 倍数
    values: {2020-01-01: "1.5", 2024-01-01: "2"}
inputs:
  ot_hours: {source: overwork_info.workday_over_sec, unit: h}
variables:
  HOURLY: {formula: monthly_salary / 21.75 / 8}
rules:
  - code: BASE_SALARY
    label: 基本工资
    category: earning
    rate: monthly_salary
  - code: OT
    label: 加班
    category: earning
    quantity: ot_hours
    unit: h
    rate: HOURLY
    multiplier: RATE
checks:
  - {code: NEG, severity: error, when: "BASE_SALARY < 0", message: negative}
"""
TOKENS = ["&a ", "*a", "*b", "&b [*a, *a]", "!!python/object:os.system ", "!!binary ", "!!int ",
          "!!float ", "!!timestamp ", "!!set ", "!!omap ", "<<: *a", "? ", ": ", "- ", "{", "}",
          "[", "]", ",", "'", '"', "|", ">", "#", "%YAML 1.1\n", "---\n", "...\n", "\t", "\x00",
          "\x1b", "\ufeff", "\u2028", "2026-02-30", "2026-13-01", "2000-01-01 00:00:00",
          "1e999999", '"1e999999"', '"1e-999999"', "9" * 5000, "0x", "0b", "0o", "1:2:3",
          ".nan", ".inf", "~", "null", "yes", "\\", "\n", "\n  ", "\n- ", "@", "`"]
LOCATED = re.compile(r"^.+\.yaml:\d+(:\d+)?: ")


def check_loads_or_located(path: Path) -> str:
    """'ok' or the RulePackError text; anything else propagates and fails the test."""
    try:
        load_pack(path)
    except RulePackError as exc:
        assert LOCATED.match(str(exc)), f"error without file:line: {exc}"
        return str(exc)
    return "ok"


# Hand-written hostile documents and the words their error must contain.
HOSTILE = {
    "alias_bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\n"
                   + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join(
                       [f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)), "alias bomb"),
    "recursive_alias": ("pack: &a {name: x, more: [*a]}\n", "recursive"),
    "deep_flow": ("pack: " + "[" * 5000 + "]" * 5000 + "\n", "levels deep"),
    "deep_block": ("pack:\n" + "".join("  " * i + "- \n" for i in range(1, 60)), "levels deep"),
    "deep_through_aliases": ("a: &a " + "[" * 30 + "1" + "]" * 30 + "\nb: &b "
                             + "[" * 30 + "*a" + "]" * 30 + "\n", "levels deep"),
    "impossible_date_key": ("pack: {name: x}\nparameters:\n  P: {values: {2026-02-30: '1'}}\n",
                            "impossible date '2026-02-30'"),
    "impossible_month": ("pack: {name: x}\nparameters:\n  P: {values: {2026-13-01: '1'}}\n",
                         "impossible date '2026-13-01'"),
    "impossible_date_value": ("pack: {name: x, version: 2026-02-29}\n", "impossible date"),
    "same_date_twice": ("pack: {name: x}\nparameters:\n  P:\n    values:\n"
                        "      2000-01-01: '1'\n      2000-01-01 00:00:00: '2'\n",
                        "the same as '2000-01-01' (first at line 5, column 7)"),
    "same_date_quoted": ("pack: {name: x}\nparameters:\n  P: {values: {2000-01-01: '1', "
                         "'2000-01-01': '2'}}\n", "duplicate key"),
    "huge_int": ("pack: {name: x}\nparameters:\n  P: {values: {2020-01-01: " + "9" * 5000
                 + "}}\n", "5000 digits"),
    "huge_float": ("pack: {name: x}\nparameters:\n  P: {values: {2020-01-01: 1e999999}}\n",
                   "out of range"),
    "huge_quoted": ("pack: {name: x}\nparameters:\n  P: {values: {2020-01-01: '1e999999'}}\n",
                    "out of range"),
    "tiny_quoted": ("pack: {name: x}\nparameters:\n  P: {values: {2020-01-01: '1e-999999'}}\n",
                    "out of range"),
    "many_digits": ("pack: {name: x}\nparameters:\n  P: {values: {2020-01-01: '0."
                    + "1" * 60 + "'}}\n", "60 digits"),
    "python_tag": ("pack: !!python/object/apply:os.system ['id']\n", "constructor"),
    "bad_int_tag": ("pack: {name: !!int ''}\n", "cannot read this value"),
    "bad_int_text": ("pack: {name: !!int 'x'}\n", "cannot read this value"),
    "bad_binary": ("pack: {name: !!binary '%%%'}\n", "binary"),
    "bad_timestamp_tag": ("pack: {name: !!timestamp 'soon'}\n", "cannot read this value"),
    "unhashable_key": ("pack: {name: x}\n? [a, b]\n: c\n", "unhashable"),
    "bad_merge": ("pack: {name: x, <<: 5}\n", "merge"),
    "undefined_alias": ("pack: *nowhere\n", "undefined alias"),
    "duplicate_anchor": ("a: &x 1\nb: &x 2\n", "duplicate anchor"),
    "nul_character": ("pack:\n  name: a\x00b\n", "U+0000"),
    "escape_character": ("pack:\n  name: \x1b[31m\n", "U+001B"),
    "tab_indent": ("pack:\n\tname: x\n", "YAML error"),
    "two_documents": ("pack: {name: x}\n---\npack: {name: y}\n", "single document"),
    "unclosed_quote": ("pack: {name: 'x}\n", "YAML error"),
    "unclosed_flow": ("pack: {name: x\n", "YAML error"),
    "bad_indent": ("pack:\n  name: x\n version: 1\n", "YAML error"),
    "directive_only": ("%YAML 1.1\n", "YAML error"),
    "only_comment": ("# nothing\n", "empty pack"),
    "scalar_document": ("just text\n", "mapping"),
    "list_document": ("- a\n- b\n", "mapping"),
    "bad_escape": ('pack: {name: "\\q"}\n', "YAML error"),
    "not_utf8": ("pack: {name: \udcff}\n", "not UTF-8"),
    "duplicate_rule_code": (SMALL.replace("checks:", "  - {code: OT, label: again, category: "
                                          "earning, amount: '1'}\nchecks:"),
                            "rule code OT is defined twice: first at "),
    "duplicate_check_code": (SMALL + "  - {code: NEG, severity: warning, when: 'OT < 0', "
                             "message: again}\n", "check code NEG is defined twice"),
}


@pytest.mark.corpus("malformed YAML")
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_yaml_is_a_located_error(tmp_path, name):
    text, expected = HOSTILE[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    outcome = check_loads_or_located(path)
    assert outcome != "ok"
    assert expected in outcome, outcome


def _mutate(text: str, data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace", "dupline", "swap"]))
        if action == "insert":
            text = text[:pos] + data.draw(st.sampled_from(TOKENS)) + text[pos:]
        elif action == "delete":
            text = text[:pos] + text[pos + data.draw(st.integers(1, 8)):]
        elif action == "replace":
            text = text[:pos] + data.draw(st.text(max_size=3)) + text[pos + 1:]
        else:
            lines = text.split("\n")
            i = data.draw(st.integers(0, len(lines) - 1))
            j = data.draw(st.integers(0, len(lines) - 1))
            if action == "dupline":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


FUZZ = settings(max_examples=500, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.mark.corpus("malformed YAML", cases=500)
@FUZZ
@given(data=st.data())
def test_mutated_small_pack_never_tracebacks(tmp_path, data):
    path = tmp_path / "mutant.yaml"
    path.write_bytes(_mutate(SMALL, data).encode("utf-8", "surrogatepass"))
    check_loads_or_located(path)


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@pytest.mark.corpus("malformed YAML", cases=100)
@given(data=st.data())
def test_mutated_default_pack_never_tracebacks(tmp_path, data):
    text = (RULES / "cn-default.yaml").read_text("utf-8")
    path = tmp_path / "cn-default.yaml"
    path.write_bytes(_mutate(text, data).encode("utf-8", "surrogatepass"))
    check_loads_or_located(path)


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.sampled_from(TOKENS + list("abc:-{}[] \n'\"&*!#0123456789")),
                     max_size=40).map("".join))
@pytest.mark.corpus("malformed YAML", cases=200)
def test_random_token_soup_never_tracebacks(tmp_path, text):
    path = tmp_path / "soup.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    check_loads_or_located(path)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@pytest.mark.corpus("malformed YAML", cases=25)
@given(data=st.data())
def test_mutated_case_file_never_tracebacks(tmp_path, data):
    """`payroll rules test` reads the pack's case file with the same loader."""
    (tmp_path / "cn-default.yaml").write_bytes((RULES / "cn-default.yaml").read_bytes())
    text = (RULES / "cn-default.cases.yaml").read_text("utf-8")
    (tmp_path / "cn-default.cases.yaml").write_bytes(
        _mutate(text, data).encode("utf-8", "surrogatepass"))
    try:
        run_cases(load_pack(tmp_path / "cn-default.yaml"))
    except PayrollError as exc:  # a located pack error, or a case that now fails to run
        assert str(exc)
