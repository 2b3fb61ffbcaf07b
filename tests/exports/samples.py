"""A small paid month for the export tests, built by hand: five employees in two cities.

Totals are summed from the lines (as compute does), never typed in. Roster columns are
what a real roster would carry for the exports: bank account, id, city.
"""

from __future__ import annotations

from decimal import Decimal as D

from engine.rules.lines import (Balance, Category, EmployeeResult, LineItem, PackInfo,
                                PayrollResult, Status, Totals, Trace)

PACK = PackInfo(name="cn-payroll", version="2026.1", sha256="cd" * 32)
MONTH = "2026-10"
C = Category
WITHHELD = Category.WITHHOLDING


def line(userid: str, code: str, category: Category, label: str, amount: str,
         quantity: str = "0", rate: str = "0", unit: str = "") -> LineItem:
    return LineItem(userid=userid, code=code, category=category, label=label,
                    quantity=D(quantity), rate=D(rate), unit=unit, amount=D(amount),
                    trace=Trace(rule=code, unrounded=D(amount)))


def totals(lines) -> Totals:
    earn = sum((x.amount for x in lines if x.category is C.EARNING), D(0))
    ded = sum((x.amount for x in lines if x.category is C.DEDUCTION), D(0))
    held = sum((x.amount for x in lines if x.category is C.WITHHOLDING), D(0))
    return Totals(earnings=earn, deductions=ded, gross=earn + ded, withholdings=held,
                  net=earn + ded + held)


def employee(userid: str, name: str, lines, roster: dict[str, str],
             status: Status = Status.OK, balances=()) -> EmployeeResult:
    return EmployeeResult(userid=userid, name=name, status=status, lines=tuple(lines),
                          totals=totals(lines), roster={"userid": userid, **roster},
                          balances=tuple(balances))


def pay(userid: str, base: str, deduction: str = "0") -> list[LineItem]:
    out = [line(userid, "BASE_SALARY", C.EARNING, "基本工资", base, "1", base, "month")]
    if deduction != "0":
        out.append(line(userid, "DED_PERSONAL_LEAVE", C.DEDUCTION, "事假扣款",
                        f"-{deduction}"))
    return out


def month(extra_lines=None, rosters=None) -> PayrollResult:
    """Four paid employees and one held (status error); ``extra_lines`` per userid are
    appended (the withholding lines), ``rosters`` overlay the roster columns."""
    people = [
        ("zhangsan", "张三", pay("zhangsan", "12000.00", "551.72"),
         {"name": "张三", "bank_account": "6225 8875 0269 1583", "city": "上海",
          "id_number": "310104198501010011", "employee_no": "A001"}),
        ("lisi", "李四", pay("lisi", "8700.10"),
         {"name": "李四", "bank_account": "6225885481705911", "city": "北京",
          "id_number": "110101199002020022"}),
        ("wangwu", "王五", pay("wangwu", "30000.00"),
         {"name": "=HYPERLINK(\"http://x\")", "bank_account": "6225881324240224",
          "city": "上海", "id_number": "310104197703030033", "id_type": "中国护照"}),
        ("zhaoliu", "赵六", pay("zhaoliu", "6000.00", "300.00"),
         {"name": "赵六", "bank_account": "", "city": "北京", "id_number": ""}),
        ("sunqi", "孙七", pay("sunqi", "9000.00"),
         {"name": "孙七", "bank_account": "6225884273108293", "city": "上海"}),
    ]
    extra_lines, rosters = extra_lines or {}, rosters or {}
    employees = tuple(
        employee(u, n, [*lines, *extra_lines.get(u, ())], {**roster, **rosters.get(u, {})},
                 Status.ERROR if u == "sunqi" else Status.OK)
        for u, n, lines, roster in people)
    return PayrollResult(month=MONTH, pack=PACK, employees=employees)


def paid(result: PayrollResult) -> list[EmployeeResult]:
    return [e for e in result.employees if e.status is Status.OK]


def ytd(key: str, closing: str) -> Balance:
    return Balance(key=key, unit="CNY", closing=D(closing))
