"""A small fixed month for the run-folder tests: three employees built by hand.

Totals are summed from the lines here (as the compute stage does), never typed in, so a
change to a line amount moves every total with it.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from engine.problems import Problem, error, warning
from engine.rules.lines import (Category, EmployeeResult, LineItem, PackInfo, ParamUse,
                                PayrollResult, Status, Totals, Trace)
from engine.wecom.models import MonthRecord

PACK = PackInfo(name="cn-default", version="2026.1", sha256="ab" * 32, path="rules/cn-default.yaml")
MONTH = "2026-10"
RUN_ID = "0123456789abcdef"


def line(userid: str, code: str, category: Category, label: str, *, quantity: str = "0",
         unit: str = "", rate: str = "0", multiplier: str = "1", amount: str = "0",
         item: str = "", label_en: str = "") -> LineItem:
    return LineItem(userid=userid, code=code, category=category, label=label,
                    label_en=label_en or code.title(), quantity=D(quantity), unit=unit,
                    rate=D(rate), multiplier=D(multiplier), amount=D(amount), item=item,
                    trace=Trace(rule=code, formula="quantity * rate * multiplier",
                                inputs={"quantity": D(quantity)},
                                parameters={"hourly_divisor": ParamUse(
                                    value=D("174"), effective="2008-01-03",
                                    reference="劳社部发〔2008〕3号")},
                                unrounded=D(amount), rounding="half_up 0.01"))


def totals(lines: tuple[LineItem, ...]) -> Totals:
    earn = sum((x.amount for x in lines if x.category is Category.EARNING), D(0))
    ded = sum((x.amount for x in lines if x.category is Category.DEDUCTION), D(0))
    held = sum((x.amount for x in lines if x.category is Category.WITHHOLDING), D(0))
    comp = sum((x.quantity for x in lines if x.category is Category.TIME_BANK), D(0))
    return Totals(earnings=earn, deductions=ded, gross=earn + ded, withholdings=held,
                  net=earn + ded + held, comp_hours=comp)


def record(userid: str, name: str, dept: str, workday: int = 0, restday: int = 0,
           holiday: int = 0) -> MonthRecord:
    return MonthRecord.model_validate({
        "base_info": {"acctid": userid, "name": name, "departs_name": dept, "record_type": 1},
        "summary_info": {"work_days": 21, "regular_days": 21},
        "overwork_info": {"workday_over_sec": workday, "restdays_over_sec": restday,
                          "holidays_over_sec": holiday, "workdays_over_as_money": workday,
                          "restdays_over_as_money": restday, "holidays_over_as_money": holiday},
    })


def employee(userid: str, name: str, dept: str, lines: tuple[LineItem, ...],
             status: Status = Status.OK, problems: tuple[Problem, ...] = (),
             **overtime: int) -> EmployeeResult:
    return EmployeeResult(userid=userid, name=name, status=status, lines=lines,
                          totals=totals(lines), problems=problems,
                          record=record(userid, name, dept, **overtime),
                          roster={"userid": userid, "monthly_salary": "10000"})


def sample_result() -> tuple[PayrollResult, list[Problem]]:
    C = Category
    zhang = (
        line("zhangsan", "BASE", C.EARNING, "基本工资", quantity="1", unit="month",
             rate="10000", amount="10000.00"),
        line("zhangsan", "OT_WORKDAY", C.EARNING, "工作日加班费", quantity="12.5", unit="h",
             rate="57.47126436781609", multiplier="1.5", amount="1077.59"),
        line("zhangsan", "OT_RESTDAY", C.EARNING, "休息日加班费", quantity="8", unit="h",
             rate="57.47126436781609", multiplier="2", amount="919.54"),
        line("zhangsan", "DED_LEAVE", C.DEDUCTION, "事假扣款", quantity="1", unit="day",
             rate="-459.7701149425287", amount="-459.77", item="事假"),
        line("zhangsan", "COMP_RESTDAY", C.TIME_BANK, "休息日调休", quantity="4", unit="h"),
        line("zhangsan", "INFO_LEAVE", C.INFO, "请假", quantity="1", unit="times", item="事假"),
    )
    li = (
        line("lisi", "BASE", C.EARNING, "基本工资", quantity="1", unit="month", rate="8000",
             amount="8000.00"),
        line("lisi", "OT_HOLIDAY", C.EARNING, "节假日加班费", quantity="3", unit="h",
             rate="45.97701149425287", multiplier="3", amount="413.79"),
        line("lisi", "DED_ABSENT", C.DEDUCTION, "旷工扣款", quantity="1", unit="day",
             rate="-367.8160919540230", amount="-367.82"),
    )
    warn = warning("compute", "ot_split_mismatch", "加班拆分不等于合计 <b>45000 s</b>",
                   userid="zhangsan", field="restdays_over_sec")
    err = error("compute", "missing_salary", "monthly_salary is empty", userid="wangwu",
                field="monthly_salary", source="roster.csv:4")
    employees = (
        employee("zhangsan", "张三", "总部/研发部", zhang, problems=(warn,),
                 workday=45000, restday=43200),
        employee("lisi", "李四", "总部/销售部", li, holiday=10800, workday=7200),
        employee("wangwu", "王五", "总部/研发部", (), status=Status.ERROR, problems=(err,),
                 workday=3600),
    )
    result = PayrollResult(month=MONTH, pack=PACK, employees=employees)
    return result, [warn, err]


def write_tables(run_dir: Path, result: PayrollResult, problems: list[Problem],
                 run_id: str = RUN_ID) -> dict:
    """The CSV/JSON results of a hand-built month, written by the real writers."""
    from engine.run import exports, tables

    results = run_dir / "results"
    summary = tables.summary(result, problems, run_id)
    exports.write_csv(results / "line_items.csv", tables.line_rows(result), tables.LINE_COLUMNS,
                      tables.NUMERIC)
    exports.write_csv(results / "employees.csv", tables.employee_rows(result),
                      tables.employee_columns(result), tables.numeric_columns(result))
    exports.write_csv(results / "problems.csv", tables.problem_rows(problems),
                      tables.PROBLEM_COLUMNS)
    exports.write_json(results / "summary.json", summary)
    return summary
