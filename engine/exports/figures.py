"""The figures an export column can hold, for one paid employee.

Used by every export of :mod:`engine.exports` so the tax sheet, the bank file and the
contributions table read the same numbers: gross (应发合计: earnings and attendance
deductions), withheld (扣款合计: social insurance, housing fund and tax, a positive
amount), net (实发 = gross − withheld, which must equal the employee's net total), the
withheld amount of given line codes, a roster amount, a ledger closing (a year-to-date
total). A source a column map names is resolved here (:func:`text_of`, :func:`amount_of`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from engine.errors import PayrollError
from engine.problems import Problem, error
from engine.roster.amounts import AmountError, parse_amount
from engine.rules.lines import EmployeeResult

WITHHOLDING = "withholding"  # the category of social insurance, housing fund and tax lines
GROSS_CATEGORIES = ("earning", "deduction")
DEFAULT_ID_TYPE = "居民身份证"
INCOME_KEY = "ytd_income"
ZERO = Decimal("0.00")


class ExportError(PayrollError):
    """An employee's figures do not add up: a bug upstream, never written to a file."""


def gross(emp: EmployeeResult) -> Decimal:
    """应发合计: earnings plus attendance deductions (negative), before any withholding."""
    return sum((line.amount for line in emp.lines
                if line.category.value in GROSS_CATEGORIES), ZERO)


def withheld(emp: EmployeeResult, codes: Iterable[str] | None = None) -> Decimal:
    """扣款合计 (or the part of it of ``codes``) as a positive amount."""
    wanted = None if codes is None else set(codes)
    return -sum((line.amount for line in emp.lines if line.category.value == WITHHOLDING
                 and (wanted is None or line.code in wanted)), ZERO) + ZERO


def net(emp: EmployeeResult) -> Decimal:
    """实发: gross − withheld, refused when it is not the employee's net total."""
    value = gross(emp) - withheld(emp)
    if value != emp.totals.net:
        raise ExportError(f"{emp.userid}: gross {gross(emp)} − withheld {withheld(emp)} = "
                          f"{value}, but the net total is {emp.totals.net}")
    return value


def ledger_closing(emp: EmployeeResult, key: str) -> Decimal | None:
    for balance in emp.balances:
        if balance.key == key:
            return balance.closing
    return None


def income(emp: EmployeeResult) -> Decimal:
    """本期收入 as the pack's tax counts it: the month's change of the ledger key
    ``ytd_income`` (cn-payroll: gross pay without a separately taxed annual bonus, which
    the tax client takes on another sheet), else the gross pay."""
    for balance in emp.balances:
        if balance.key == INCOME_KEY:
            return balance.change
    return gross(emp)


def roster_amount(emp: EmployeeResult, column: str, export: str
                  ) -> tuple[Decimal | None, list[Problem]]:
    raw = emp.roster.get(column, "").strip()
    if not raw:
        return None, []
    try:
        return parse_amount(raw), []
    except AmountError as exc:
        return None, [error("exports", "export_bad_roster_value",
                            f"{export}: roster column {column} {raw!r} is not an amount "
                            f"({exc.reason}); the cell is left empty", userid=emp.userid,
                            field=column)]


def amount_of(emp: EmployeeResult, source: str, export: str,
              row_amount: Decimal | None = None) -> tuple[Decimal | None, list[Problem]]:
    """The number a column map's amount source gives (None: an empty cell)."""
    kind, _, arg = source.partition(":")
    if kind == "roster":
        return roster_amount(emp, arg, export)
    simple = {"gross": lambda: gross(emp), "net": lambda: net(emp), "income": lambda: income(emp),
              "amount": lambda: row_amount,
              "withheld": lambda: withheld(emp, arg.split("+") if arg else None),
              "ledger": lambda: ledger_closing(emp, arg), "blank": lambda: None}
    return simple[kind](), []


def employee_no(emp: EmployeeResult) -> str:
    return emp.roster.get("employee_no", "").strip() or emp.userid


def text_of(emp: EmployeeResult, source: str, extra: dict[str, str]) -> str:
    """The text a column map's text source gives; ``extra`` holds the row's own values
    (the bank row's account and memo)."""
    kind, _, arg = source.partition(":")
    if kind == "roster":
        return emp.roster.get(arg, "").strip()
    if kind == "text":
        return arg
    if kind in extra:
        return extra[kind]
    values = {"userid": emp.userid, "name": emp.roster.get("name", "").strip() or emp.name,
              "employee_no": employee_no(emp),
              "id_type": emp.roster.get("id_type", "").strip() or DEFAULT_ID_TYPE,
              "id_number": emp.roster.get("id_number", "").strip(), "blank": ""}
    return values[kind]
