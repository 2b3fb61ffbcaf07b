"""Acceptance: a simulated year as 12 chained runs, checked against an independent oracle.

One session-scoped year (56 employees through the simulator over HTTP, payslips only for
December to keep the suite's cost down: ``--no-payslips`` is the trial-run option; the
fixtures are in conftest.py) serves every test here and in test_year_netpay.py.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from engine.run import manifest as manifest_mod
from engine.run.verify import verify
from tests.ledger import year


def ledger_rows(run_dir: Path) -> list[dict[str, str]]:
    return year.read_csv(run_dir / "results" / "ledger.csv")


def test_the_year_has_joiners_leavers_hourly_staff_and_comp_time_moving(full_year, rows):
    joiners = {r["hire_date"][:7] for r in rows if r["hire_date"]}
    leavers = {r["leave_date"][:7] for r in rows if r["leave_date"]}
    assert len(rows) >= 50 and len(joiners) >= 3 and len(leavers) >= 3
    codes: dict[str, int] = {}
    for run in full_year.values():
        for line in year.read_csv(run / "results" / "line_items.csv"):
            codes[line["code"]] = codes.get(line["code"], 0) + 1
    for code in ("BASE_SALARY_PRORATED", "HOURLY_PAY", "COMP_WORKDAY", "COMP_RESTDAY",
                 "COMP_EXPIRED_PAY", "COMP_PAYOUT_LEAVING"):
        assert codes.get(code, 0) > 0, code


def test_every_closing_balance_equals_the_independent_computation(full_year, rows):
    people: dict[str, year.Person] = {}
    for month, run in full_year.items():
        year.oracle_month(people, month, run, rows)
        want = year.expected_closing(people)
        got = {(r["userid"], r["key"]): Decimal(r["closing"]) for r in ledger_rows(run)
               if r["key"].startswith(("comp_h", "ytd_income", "ytd_months"))}
        for key, value in got.items():
            assert value == want.get(key, Decimal(0)), (month, key)
        for key, value in want.items():
            if value:
                assert got.get(key) == value, (month, key)
    assert sum(p.banked for p in people.values()) > 0
    assert sum(p.used for p in people.values()) > 0
    assert sum(p.expired for p in people.values()) > 0


def test_expired_hours_are_paid_as_the_oracle_says(full_year, rows):
    people: dict[str, year.Person] = {}
    for month, run in full_year.items():
        before = {u: p.expired for u, p in people.items()}
        year.oracle_month(people, month, run, rows)
        paid = {line["userid"]: Decimal(line["quantity"])
                for line in year.read_csv(run / "results" / "line_items.csv")
                if line["code"] == "COMP_EXPIRED_PAY"}
        for userid, person in people.items():
            assert paid.get(userid, Decimal(0)) == person.expired - before.get(userid, 0), \
                (month, userid)


def test_next_opening_is_this_closing_row_for_row_and_january_resets(full_year):
    months = list(full_year)
    for before, after in zip(months, months[1:]):
        closing = {(r["userid"], r["key"]): r["closing"] for r in ledger_rows(full_year[before])}
        opening = {(r["userid"], r["key"]): r["opening"] for r in ledger_rows(full_year[after])}
        for key, value in closing.items():
            if Decimal(value):
                assert opening[key] == value, (after, key)
    january = ledger_rows(full_year["2026-01"])
    assert all(Decimal(r["opening"]) == 0 for r in january)


def test_verify_passes_on_every_month(full_year):
    for month, run in full_year.items():
        report = verify(run)
        assert report.ok, str(report)
        assert report.checked["chained runs"] == int(month[5:])


def test_december_payslips_show_the_comp_time_balance(full_year):
    from tests.conftest import pdf_text

    run = full_year["2026-12"]
    comp = {r["userid"]: r for r in ledger_rows(run) if r["key"] == "comp_h"}
    userid = next(u for u, r in comp.items() if Decimal(r["closing"]) > 0
                  and (run / "payslips" / f"{u}.pdf").is_file())
    text = pdf_text(run / "payslips" / f"{userid}.pdf")
    assert "调休余额" in text and comp[userid]["closing"].rstrip("0").rstrip(".") in text


def test_editing_march_breaks_december_naming_march(full_year, tmp_path):
    copy = tmp_path / "runs"
    shutil.copytree(full_year["2026-01"].parent, copy)
    march = copy / "2026-03"
    lines = march / "results" / "line_items.csv"
    text = lines.read_text("utf-8")
    lines.write_text(text.replace("8700.00", "8790.00", 1) if "8700.00" in text
                     else text.replace(".00,", ".01,", 1), "utf-8")
    body = json.loads((march / "manifest.json").read_text("utf-8"))
    body["files"] = [e.model_dump() for e in manifest_mod.file_entries(march)]
    (march / "manifest.json").write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    report = verify(copy / "2026-12")
    assert not report.ok
    chain = [d for d in report.differences if d.kind == "chain"]
    assert chain and "2026-03" in chain[0].message, str(report)


def test_editing_march_without_its_manifest_is_caught_from_december(full_year, tmp_path):
    copy = tmp_path / "runs"
    shutil.copytree(full_year["2026-01"].parent, copy)
    ledger = copy / "2026-03" / "results" / "ledger.csv"
    ledger.write_text(ledger.read_text("utf-8").replace(",h,", ",h ,", 1), "utf-8")
    report = verify(copy / "2026-12")
    chain = [d for d in report.differences if d.kind == "chain"]
    assert chain and chain[0].message.startswith("2026-03"), str(report)


def test_adopting_in_july_from_an_opening_import_gives_the_same_december(
        full_year, sim, rows, tmp_path):
    june = ledger_rows(full_year["2026-06"])
    opening = tmp_path / "opening.csv"
    year.write_roster(opening, [{"userid": r["userid"], "key": r["key"], "value": r["closing"]}
                                for r in june if r["key"] != "comp_h"])
    runs = year.run_year(tmp_path / "adopted", sim, rows, year.MONTHS[6:], opening=opening)
    assert ledger_rows(runs["2026-12"]) == ledger_rows(full_year["2026-12"])
    assert verify(runs["2026-12"]).ok
