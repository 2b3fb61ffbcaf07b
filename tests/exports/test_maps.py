"""Column maps: the shipped ones load, every mistake in one is refused with the file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ConfigError, InputError
from engine.exports.maps import (BANK_MAPS, IIT_MAP, bank_map_path, fill, load_bank_map,
                                 load_iit_map)

REFERENCE_COLUMNS = [  # the tax client's 正常工资薪金所得 template, in its order
    "工号", "姓名", "证件类型", "证件号码", "本期收入", "本期免税收入", "基本养老保险费",
    "基本医疗保险费", "失业保险费", "住房公积金", "累计子女教育", "累计继续教育",
    "累计住房贷款利息", "累计住房租金", "累计赡养老人", "累计3岁以下婴幼儿照护",
    "累计个人养老金", "企业(职业)年金", "商业健康保险", "税延养老保险", "其他",
    "准予扣除的捐赠额", "减免税额", "备注"]


def test_tax_sheet_versions_give_the_templates_columns():
    iit = load_iit_map()
    assert iit.sheet == "正常工资薪金收入" and iit.default == "2"
    current, columns = iit.version(None)
    assert current == "2" and [c.header for c in columns] == REFERENCE_COLUMNS
    _, older = iit.version("1")
    assert [c.header for c in older] == [h.replace("证件号码", "证照号码")
                                         for h in REFERENCE_COLUMNS]
    with pytest.raises(ConfigError, match="no version '9'"):
        iit.version("9")


def test_shipped_bank_maps_load_and_are_found_by_name_or_file(tmp_path):
    assert load_bank_map(BANK_MAPS["generic"]).chunk_rows == 0
    assert load_bank_map(BANK_MAPS["cmb"]).chunk_rows == 1000
    assert bank_map_path(None) == BANK_MAPS["generic"]
    own = tmp_path / "mine.yaml"
    own.write_bytes(BANK_MAPS["generic"].read_bytes())
    assert bank_map_path(str(own)) == own
    with pytest.raises(ConfigError, match="neither a built-in map"):
        bank_map_path("icbc")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank-x.yaml"
    path.write_text(text, "utf-8")
    return path


GOOD = """map: x
version: "1"
file: x.csv
columns:
  - {header: 账号, text: account}
  - {header: 金额, amount: amount}
"""


@pytest.mark.parametrize("change, message", [
    (("text: account", "text: __class__"), "unknown text source"),
    (("amount: amount", "amount: eval(1)"), "unknown amount source"),
    (("file: x.csv", "file: x.csv\nchunk_rows: 10"), "names its files with {part}"),
    (("file: x.csv", "file: ../x.csv"), "file"),
    (("file: x.csv", "file: x-{month}.csv"), "only placeholder"),
    (("file: x.csv", "file: x.csv\nchunk: 10"), "chunk"),
    (("{header: 金额, amount: amount}", "{header: 账号, amount: amount}"), "named twice"),
    (("{header: 金额, amount: amount}", "{header: 金额, amount: amount, text: memo}"),
     "exactly one of text or amount"),
    (("file: x.csv", "file: x.csv\nencoding: latin-1"), "encoding"),
])
def test_a_bad_bank_map_is_refused_naming_file_and_key(tmp_path, change, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError, match=message) as caught:
        load_bank_map(path)
    assert str(path) in str(caught.value)


def test_a_map_that_is_not_yaml_or_not_a_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="not a readable YAML"):
        load_bank_map(write(tmp_path, "map: [x"))
    with pytest.raises(InputError):
        load_bank_map(tmp_path)


def test_placeholders_are_substituted_and_nothing_else_is_interpreted():
    values = {"month": "2026-10", "total": "1.00"}
    assert fill("{month} 工资 {total}", values) == "2026-10 工资 1.00"
    assert fill("{month.__class__} {0} {count}", values) == "{month.__class__} {0} {count}"


def test_iit_map_is_where_the_readme_says():
    assert IIT_MAP.name == "iit-wages.yaml" and IIT_MAP.parent.name == "exports"


def test_the_readme_example_of_a_bank_map_loads(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    after = readme.split("**Adding your bank.**", 1)[1]
    example = after.split("```yaml\n", 1)[1].split("```", 1)[0]
    bank_map = load_bank_map(write(tmp_path, example))
    assert bank_map.chunk_rows == 500 and bank_map.file == "mybank-{part}.csv"
