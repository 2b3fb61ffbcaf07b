"""Loading packs: strict schema, marks in every error, extends, hashing."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from engine.errors import RulePackError
from engine.rules.loader import load_pack

BAD = Path(__file__).parent / "bad"
RULES = Path(__file__).resolve().parents[2] / "rules"
CN = RULES / "cn-default.yaml"

MINIMAL = """\
pack:
  name: mini
rules:
  - code: BASE_SALARY
    label: 基本工资
    category: earning
    rate: monthly_salary
"""


@pytest.mark.parametrize(("name", "line", "column", "text"), [
    ("unknown_key.yaml", 8, 5, "unknown key 'rounding_mode'"),
    ("float_money.yaml", 7, 19, "float 21.75 is not exact"),
    ("undefined_name.yaml", 12, 28, "undefined name 'MONTH_DAYS'"),
    ("cycle.yaml", 7, 13, "cycle between rules: FIRST uses SECOND"),
    ("variable_cycle.yaml", 5, 16, "cycle between variables: A -> B -> A"),
    ("duplicate_key.yaml", 7, 3, "duplicate key 'RATE' (first at line 4, column 3)"),
    ("bad_formula.yaml", 11, 13, "attribute access is not allowed"),
    ("bad_input.yaml", 4, 22, "a duration needs a time unit"),
])
def test_bad_pack_names_file_line_and_column(name, line, column, text):
    with pytest.raises(RulePackError) as caught:
        load_pack(BAD / name)
    err = caught.value
    assert (err.line, err.column) == (line, column), str(err)
    assert text in str(err)
    assert str(err).startswith(f"{BAD / name}:{line}:{column}: ")


def test_rule_errors_name_the_rule():
    with pytest.raises(RulePackError) as caught:
        load_pack(BAD / "undefined_name.yaml")
    assert caught.value.rule == "OT"
    assert "rule OT:" in str(caught.value)


def test_extends_loop_is_refused():
    with pytest.raises(RulePackError, match="extends loop"):
        load_pack(BAD / "extends_loop_a.yaml")


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("snippet", "line", "text"), [
    ("    amount: !!python/object/apply:os.system ['id']\n", 8,
     "could not determine a constructor"),
    ("    amount: [unclosed\n", 9, "YAML error"),
    ("    amount: 12.5\n", 8, "float 12.5 is not exact"),
    ("    when: True\n", 8, "a formula must be text"),
    ("    rounding: {mode: banker, step: \"0.01\"}\n", 8, "unknown rounding mode"),
    ("    category: bonus\n", 8, "category"),
])
def test_schema_and_yaml_errors(tmp_path, snippet, line, text):
    with pytest.raises(RulePackError) as caught:
        load_pack(write(tmp_path, MINIMAL + snippet))
    assert text in str(caught.value)
    assert caught.value.line == line, str(caught.value)


def test_misplaced_key_at_top_level(tmp_path):
    text = MINIMAL + "rounding: {mode: half_up}\n"
    with pytest.raises(RulePackError, match="unknown key 'rounding'") as caught:
        load_pack(write(tmp_path, text))
    assert caught.value.line == 8


def test_rule_shape_errors(tmp_path):
    bad = MINIMAL + "  - code: BANK\n    label: x\n    category: time_bank\n    quantity: '1'\n"
    with pytest.raises(RulePackError, match="unit must be 'h'"):
        load_pack(write(tmp_path, bad))
    bad = MINIMAL + "  - code: X\n    label: x\n    category: earning\n    quantity: '1'\n"
    with pytest.raises(RulePackError, match="needs 'amount' or 'rate'"):
        load_pack(write(tmp_path, bad))
    bad = MINIMAL + "  - code: X\n    label: x\n    category: info\n    quantity: item_days\n"
    with pytest.raises(RulePackError, match="only in a rule with 'for_each'"):
        load_pack(write(tmp_path, bad))
    bad = MINIMAL + ("  - code: X\n    label: x\n    category: earning\n"
                     "    amount: BASE_SALARY + X\n")
    with pytest.raises(RulePackError, match="X uses itself"):
        load_pack(write(tmp_path, bad))


def test_name_defined_twice(tmp_path):
    text = MINIMAL.replace("rules:", "parameters:\n  monthly_salary: {values: {2020-01-01: '1'}}\n"
                                      "rules:")
    with pytest.raises(RulePackError, match="already defined as parameter"):
        load_pack(write(tmp_path, text))


def test_shipped_packs_load():
    pack = load_pack(CN)
    assert pack.info.name == "cn-default"
    assert "OT_WORKDAY" in pack.codes
    assert len(pack.info.sha256) == 64
    assert pack.case_files == ((RULES / "cn-default.cases.yaml").resolve(),)


def test_hash_is_stable_and_location_independent(tmp_path):
    first = load_pack(CN).info.sha256
    shutil.copy(CN, tmp_path / "cn-default.yaml")
    assert load_pack(tmp_path / "cn-default.yaml").info.sha256 == first
    assert load_pack(CN).info.sha256 == first


def test_extends_merges_and_hashes_every_file(tmp_path):
    shutil.copy(CN, tmp_path / "cn-default.yaml")
    child = write(tmp_path, """\
pack:
  name: child
  extends: cn-default.yaml
  overtime_split: bank_remainder
parameters:
  MIN_WAGE: {values: {2026-01-01: "2800"}}
rules:
  - code: BONUS
    label: 奖金
    category: earning
    after: BASE_SALARY
    amount: "100"
remove: [ALLOW_FIELD]
""", "child.yaml")
    pack = load_pack(child)
    assert pack.codes[:4] == ("BASE_SALARY", "BONUS", "BASE_SALARY_PRORATED", "HOURLY_PAY")
    assert "ALLOW_FIELD" not in pack.codes
    assert set(pack.parameters["MIN_WAGE"].values) == {date(2023, 7, 1), date(2025, 7, 1),
                                                       date(2026, 1, 1)}
    assert pack.parameters["MIN_WAGE"].reference  # kept from the parent
    assert pack.header.overtime_split == "bank_remainder"
    assert pack.header.params_at == "first_day"
    before = pack.info.sha256
    parent = tmp_path / "cn-default.yaml"
    parent.write_text(parent.read_text("utf-8").replace('"0.8"', '"0.7"', 1), "utf-8")
    assert load_pack(child).info.sha256 != before


def test_extends_errors_point_into_the_child(tmp_path):
    shutil.copy(CN, tmp_path / "cn-default.yaml")
    child = write(tmp_path, "pack:\n  name: c\n  extends: cn-default.yaml\nremove: [NOPE]\n")
    with pytest.raises(RulePackError, match="unknown rule or check NOPE") as caught:
        load_pack(child)
    assert caught.value.path.endswith("p.yaml") and caught.value.line == 4
    missing = write(tmp_path, "pack:\n  name: c\n  extends: nowhere.yaml\n", "m.yaml")
    with pytest.raises(RulePackError, match="extended pack not found"):
        load_pack(missing)


def test_files_lists_the_chain_and_flat_copies_still_load(tmp_path):
    child = RULES / "examples" / "company-sh.yaml"
    pack = load_pack(child)
    assert [Path(f).name for f in pack.files] == ["company-sh.yaml", "cn-default.yaml"]
    for source in pack.files:
        shutil.copy(source, tmp_path / Path(source).name)
    copied = load_pack(tmp_path / "company-sh.yaml")
    assert copied.info.sha256 == pack.info.sha256
    assert copied.codes == pack.codes
