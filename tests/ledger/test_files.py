"""Opening-balance imports: documented columns, every bad row reported at once."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from engine.errors import LedgerError
from engine.ledger.files import read_opening
from engine.rules.loader import load_pack

CN = Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml"


@pytest.fixture(scope="module")
def keys():
    return load_pack(CN).ledger


def write(tmp_path: Path, text: str, name: str = "opening.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_a_good_file_gives_values_and_lots(tmp_path, keys):
    path = write(tmp_path, "userid,key,value,note\nli,ytd_income,60000.00,\n"
                           "li,comp_h@2026-05,4,from old system\nwang,comp_h,2.5,\n")
    values = read_opening(path, keys, "2026-07")
    assert values == {"li": {"ytd_income": D("60000.00"), "comp_h@2026-05": D(4)},
                      "wang": {"comp_h": D("2.5")}}


def test_every_problem_is_listed_at_once_with_its_line(tmp_path, keys):
    path = write(tmp_path, "userid,key,value\n"
                           "li,ytd_incom,1\n"            # unknown key
                           "li,ytd_income,abc\n"          # not a number
                           "li,comp_h@2026-07,1\n"        # lot not before the first month
                           "li,ytd_months@2026-01,1\n"    # lots only for comp time
                           "wang,ytd_income,1\n"
                           "wang,ytd_income,2\n"          # duplicate
                           ",comp_h,1\n"                  # no userid
                           "zhao,comp_h,5\nzhao,comp_h@2026-05,4\n")  # lots ≠ total
    with pytest.raises(LedgerError) as caught:
        read_opening(path, keys, "2026-07")
    text = str(caught.value)
    for needle in ("line 2 [li]: unknown key 'ytd_incom'", "line 3 [li] value",
                   "lot month 2026-07 is not before", "ytd_months is not comp time",
                   "line 7 [wang]: duplicate of line 6", "line 8: userid and key",
                   "[zhao] comp_h = 5 but its month lots add up to 4"):
        assert needle in text, needle
    assert "7 problem(s)" in text and caught.value.exit_code == 3


def test_missing_columns_and_unreadable_files_are_clear(tmp_path, keys):
    with pytest.raises(LedgerError, match="missing column.*value"):
        read_opening(write(tmp_path, "userid,key\nli,comp_h\n"), keys, "2026-07")
    with pytest.raises(LedgerError, match="cannot read the opening balances"):
        read_opening(tmp_path / "nope.csv", keys, "2026-07")


def test_an_xlsx_opening_file_reads_like_the_csv(tmp_path, keys):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["userid", "key", "value"])
    sheet.append(["li", "ytd_income", "1234.50"])
    sheet.append(["li", "comp_h", 3])
    book.save(tmp_path / "opening.xlsx")
    values = read_opening(tmp_path / "opening.xlsx", keys, "2026-07")
    assert values == {"li": {"ytd_income": D("1234.50"), "comp_h": D(3)}}


@pytest.mark.corpus("formula triggers")
@pytest.mark.parametrize("userid", ["=1+1", "-2+3", "@SUM(1)", "'=1", "＋1", "plain"])
def test_the_ledger_csv_reads_back_its_userids_exactly(tmp_path, userid):
    """``results/ledger.csv`` goes through the formula-safe writer (quoted ids, amounts as
    numbers); the next month's reader undoes the quote, so it meets the same employee."""
    from engine.ledger.files import export_rows, read_ledger
    from engine.ledger.models import COLUMNS, Ledger, Row
    from engine.run import cells, exports

    ledger = Ledger(month="2026-10", rows=(Row(userid=userid, key="comp_h", unit="h",
                                               opening=D("0"), change=D("-1.50"),
                                               closing=D("-1.50")),))
    path = tmp_path / "ledger.csv"
    exports.write_csv(path, export_rows(ledger), COLUMNS, COLUMNS[3:])
    raw = path.read_text("utf-8").splitlines()[1].split(",")
    assert not cells.is_live(raw[0]) and raw[3:] == ["0", "-1.50", "-1.50"]
    assert read_ledger(path, "2026-10") == ledger
