"""``results/bank.csv`` (or the bank's own files) and ``results/bank.json``: the transfer.

Exports stage. One row per paid employee with a positive net pay (实发), in the column
map's layout (``templates/exports/bank-*.yaml``): account from the roster column the map
names (``bank_account`` by default), name, amount to the fen, memo. A map may cut the
rows into files of at most ``chunk_rows`` rows, each starting with its own control lines
(count and total of that file). ``bank.json`` is the control record of every map: per
file its rows and total, the whole transfer's count and total, and every paid employee
who is *not* in a file with the reason (no account, a malformed one, nothing to pay);
each of those is also a problem in ``problems.csv``, never a silent omission. The
transfer's total plus the amounts left out equals the month's net pay to the fen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from engine.exports import figures, safe
from engine.exports.maps import BankMap, Column, fill
from engine.problems import Problem, error, warning
from engine.rules.lines import EmployeeResult

CONTROL = "bank.json"
CENT = Decimal("0.01")
_SEPARATORS = re.compile(r"[\s\u3000\-]+")
_ACCOUNT = re.compile(r"[0-9]{6,32}")


@dataclass(frozen=True)
class BankRow:
    """One transfer, its cells made as the employee is read (a month of rows holds text,
    not employees); ``None`` stands for the memo, known once the file is cut."""

    userid: str
    account: str
    amount: Decimal
    cells: tuple[str | None, ...]


def money(value: Decimal) -> str:
    text = format(value.quantize(CENT), "f")
    return "0.00" if text == "-0.00" else text


def account_of(emp: EmployeeResult, column: str) -> tuple[str, Problem | None]:
    """The account with spaces and hyphens removed, or the problem that keeps the
    employee out of the file."""
    raw = emp.roster.get(column, "")
    account = _SEPARATORS.sub("", raw)
    if not account:
        return "", error("exports", "bank_account_missing",
                         f"no bank account (roster column {column}): net pay "
                         f"{money(emp.totals.net)} is not in the bank file; pay it "
                         "separately or fill in the account and run again",
                         userid=emp.userid, field=column)
    if not _ACCOUNT.fullmatch(account):
        return "", error("exports", "bank_account_invalid",
                         f"bank account {raw!r} (roster column {column}) is not 6-32 digits: "
                         f"net pay {money(emp.totals.net)} is not in the bank file",
                         userid=emp.userid, field=column)
    return account, None


def transfer_rows(paid: Sequence[EmployeeResult], bank_map: BankMap
                  ) -> tuple[list[BankRow], list[dict[str, str]], list[Problem]]:
    """Rows to pay, the paid employees left out (with the reason) and their problems."""
    rows, left_out, problems = [], [], []
    for emp in paid:
        amount = figures.net(emp)
        account, problem = account_of(emp, bank_map.account_column)
        if problem is None and amount <= 0:
            problem = warning("exports", "bank_nothing_to_pay",
                              f"net pay {money(amount)}: no bank row", userid=emp.userid)
        if problem is not None:
            problems.append(problem)
            left_out.append({"userid": emp.userid, "net": money(amount), "reason": problem.code})
            continue
        rows.append(BankRow(emp.userid, account, amount,
                            tuple(cell(emp, c, account, amount) for c in bank_map.columns)))
    return rows, left_out, problems


def chunks(rows: Sequence[BankRow], size: int) -> list[list[BankRow]]:
    """Files of at most ``size`` rows (0: one file); always at least one file."""
    if not size or len(rows) <= size:
        return [list(rows)]
    return [list(rows[i:i + size]) for i in range(0, len(rows), size)]


def file_name(bank_map: BankMap, part: int) -> str:
    return bank_map.file.replace("{part}", f"{part:03d}")


def cell(emp: EmployeeResult, column: Column, account: str, amount: Decimal) -> str | None:
    """A cell of the employee's row (``None``: the memo, filled in per file)."""
    if column.is_amount:
        value, _ = figures.amount_of(emp, column.source, "bank", amount)
        return money(value) if value is not None else ""
    return figures.text_of(emp, column.source, {"account": account, "memo": None})


def chunk_text(bank_map: BankMap, rows: Sequence[BankRow], values: dict[str, str]) -> str:
    """One file: its control lines, the header, the rows."""
    memo = fill(bank_map.memo, values)
    head = [[fill(cell, values) for cell in line] for line in bank_map.head]
    table = [{c.header: memo if value is None else value
              for c, value in zip(bank_map.columns, row.cells)} for row in rows]
    numeric = {c.header for c in bank_map.columns if c.is_amount}
    return safe.csv_text(table, [c.header for c in bank_map.columns], numeric, head)


def build(paid: Sequence[EmployeeResult], bank_map: BankMap, *, month: str, company: str,
          map_file: str) -> tuple[dict[str, bytes], dict[str, Any], list[Problem]]:
    """The files (name → bytes), the control record and the problems."""
    rows, left_out, problems = transfer_rows(paid, bank_map)
    parts = chunks(rows, bank_map.chunk_rows)
    files: dict[str, bytes] = {}
    listed = []
    for number, part in enumerate(parts, start=1):
        total = sum((r.amount for r in part), Decimal(0))
        values = {"month": month, "company": company, "count": str(len(part)),
                  "total": money(total), "part": str(number), "parts": str(len(parts))}
        name = file_name(bank_map, number)
        files[name] = chunk_text(bank_map, part, values).encode(bank_map.encoding)
        listed.append({"file": name, "rows": len(part), "total": money(total)})
    expected = sum((figures.net(e) for e in paid), Decimal(0))
    control = {"map": bank_map.map, "version": bank_map.version, "map_file": map_file,
               "month": month, "encoding": bank_map.encoding, "files": listed,
               "count": len(rows), "total": money(sum((r.amount for r in rows), Decimal(0))),
               "left_out": left_out,
               "left_out_total": money(sum((Decimal(x["net"]) for x in left_out), Decimal(0))),
               "net_pay_total": money(expected), "employees": len(paid)}
    return files, control, problems
