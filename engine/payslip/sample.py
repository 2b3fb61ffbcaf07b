"""A sample payslip: the API page's example employee ZhangSan 张三, fully computed.

Used by the layout preview (``docs/make_sample.py``), the benchmark and the tests, so
they all look at the same page. Amounts follow the default rules: hourly rate
8700 / 174 = 50, workday overtime 15 h x 50 x 1.5, rest-day overtime 48 h x 50 x 2.
"""

from __future__ import annotations

from decimal import Decimal as D

from engine.payslip.context import DEFAULT_TEMPLATES, PayslipContext
from engine.problems import Audience, warning
from engine.rules.lines import (Category, EmployeeResult, LineItem, PackInfo, ParamUse, Status,
                                Totals, Trace)
from engine.wecom.example import EXAMPLE_RECORD
from engine.wecom.models import MonthRecord


PACK = PackInfo(name="cn-default", version="2026.1",
                sha256="3f1a9c0e5b7d2468ace0f13579bdf2468ace0f13579bdf2468ace0f13579bdf2")


def _line(userid: str, code: str, category: Category, label: str, label_en: str, *,
          quantity: str = "0", unit: str = "", rate: str = "0", multiplier: str = "1",
          amount: str = "0", item: str = "", formula: str = "") -> LineItem:
    return LineItem(
        userid=userid, code=code, category=category, label=label, label_en=label_en,
        quantity=D(quantity), unit=unit, rate=D(rate), multiplier=D(multiplier),
        amount=D(amount), item=item,
        trace=Trace(rule=code, formula=formula, inputs={"quantity": D(quantity)},
                    parameters={"hourly_divisor": ParamUse(value=D("174"), effective="2008-01-03",
                                                           reference="劳社部发〔2008〕3号")},
                    unrounded=D(amount), rounding="half_up 0.01"))


def zhangsan(userid: str = "ZhangSan", name: str = "张三", record: dict | None = None,
             roster: dict[str, str] | None = None, **overrides) -> EmployeeResult:
    lines = (
        _line(userid, "BASE_SALARY", Category.EARNING, "基本工资", "Base salary",
              quantity="1", unit="month", rate="8700", amount="8700.00", formula="salary"),
        _line(userid, "OT_WORKDAY", Category.EARNING, "工作日加班费", "Workday overtime",
              quantity="15", unit="h", rate="50", multiplier="1.5", amount="1125.00",
              formula="hours * hourly * 1.5"),
        _line(userid, "OT_RESTDAY", Category.EARNING, "休息日加班费", "Rest-day overtime",
              quantity="48", unit="h", rate="50", multiplier="2", amount="4800.00",
              formula="hours * hourly * 2"),
        _line(userid, "DED_ABSENT", Category.DEDUCTION, "旷工扣款", "Absence deduction",
              quantity="0.5", unit="day", rate="-803.3333333333", amount="-401.67",
              formula="-days * daily"),
        _line(userid, "COMP_RESTDAY", Category.TIME_BANK, "休息日加班调休", "Rest-day comp time",
              quantity="9.1", unit="h", formula="restdays_over_as_vacation / 3600"),
        _line(userid, "INFO_LEAVE", Category.INFO, "请假", "Leave", quantity="1", unit="times",
              item="年假"),
    )
    rec = dict(EXAMPLE_RECORD if record is None else record)
    rec["base_info"] = {**rec["base_info"], "acctid": userid, "name": name}
    fields = dict(
        userid=userid, name=name, status=Status.OK, lines=lines,
        totals=Totals(earnings=D("14625.00"), deductions=D("-401.67"), net=D("14223.33"),
                      gross=D("14223.33"),
                      comp_hours=D("9.1")),
        problems=(warning("compute", "ot_split_mismatch",  # for HR: not on the payslip
                          "休息日加班拆分不等于合计 (205560 s ≠ 172800 s + 0 s)", userid=userid),
                  warning("compute", "ot_unsettled",
                          "本月有 9.1 小时休息日加班尚未结算，考勤管理员核对后在下月补发或存入调休。",
                          userid=userid).model_copy(update={"audience": Audience.EMPLOYEE})),
        record=MonthRecord.model_validate(rec),
        roster={"userid": userid, "monthly_salary": "8700", "employee_no": "E-0001",
                "position": "工程师", **(roster or {})},
    )
    fields.update(overrides)
    return EmployeeResult(**fields)


def varied(i: int) -> EmployeeResult:
    """Sample employee number ``i``: its own userid, name and earnings (the lines and totals
    still add up), so payslips of a benchmark or a test differ the way a month's do."""
    result = zhangsan(userid=f"user{i:05d}",
                      name=f"{'张王李赵刘陈杨黄'[i % 8]}{'三四五六七八九十'[i * 3 % 8]}{i}")
    extra = D(i * 37 % 1000) + D("0.01") * (i % 100)
    lines = tuple(line.model_copy(update={"amount": line.amount + extra})
                  if line.category is Category.EARNING else line for line in result.lines)
    totals = result.totals
    more = {name: getattr(totals, name) + 3 * extra for name in ("earnings", "net", "gross")}
    return result.model_copy(update={"lines": lines, "totals": totals.model_copy(update=more)})


def context(**overrides) -> PayslipContext:
    fields = dict(company="有家企业有限公司", month="2026-10", run_id="2026-10-run-0001",
                  pack=PACK, snapshot_sha256="9b" * 32, template_dir=DEFAULT_TEMPLATES)
    fields.update(overrides)
    return PayslipContext(**fields)
