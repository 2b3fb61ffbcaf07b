"""cn-default against an independent exact-rational oracle, on random employees.

The oracle is written from the documented rules (rules/cn-default.yaml's header and
rules/README.md) and the law they cite, with ``fractions.Fraction`` and no engine code:
hourly rate = monthly ÷ 21.75 ÷ 8, day wage = monthly ÷ 21.75 (or the roster's hourly
rate × 8), overtime 150/200/300 % (holiday hours WeCom banked are paid), absence at the
hourly rate, sick leave at 20 % of the wage capped so the base pay stays at 80 % of the
minimum wage, unpaid personal leave capped at the base salary, each leave item seeing the
deductions before it; every line rounded half-up to the fen from its exact value.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.period import parse_month
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.loader import load_pack
from engine.wecom.models import LeaveType, MonthRecord

CN = Path(__file__).resolve().parents[2] / "rules" / "cn-default.yaml"
LEAVES = [LeaveType(id=3, name="事假"), LeaveType(id=4, name="病假"),
          LeaveType(id=5, name="事假(小时)", time_attr=1, perday_duration=28800),
          LeaveType(id=7, name="病假(小时)", time_attr=1, perday_duration=28800),
          LeaveType(id=2, name="年假")]
MIN_WAGE = {"2025-09": Fraction(2740), "2025-10": Fraction(2740), "2025-06": Fraction(2690)}


_PACK = []


def cn_pack():
    """Loaded once; not a fixture argument, whose repr hypothesis would print per example."""
    if not _PACK:
        _PACK.append(load_pack(CN))
    return _PACK[0]


def text(amount: Fraction) -> str:
    """An amount in fen as the roster writes it (exact: the denominator divides 100)."""
    return f"{Decimal(amount.numerator) / Decimal(amount.denominator):.2f}"


def fen(x: Fraction) -> Decimal:
    """Half-up (ties away from zero) to 0.01, from the exact value."""
    cents = math.floor(abs(x) * 100 + Fraction(1, 2))
    return Decimal(cents if x >= 0 else -cents) / 100


def oracle(salary: Fraction, hourly_rate: Fraction | None, ot: dict[str, tuple[int, int]],
           absent_sec: int, leave: list[tuple[str, int, bool]], month: str) -> dict[str, Decimal]:
    """Expected money lines: code (or CODE[item]) -> amount (deductions negative)."""
    hourly = hourly_rate if hourly_rate is not None else salary / Fraction("21.75") / 8
    day_wage = hourly_rate * 8 if hourly_rate is not None else salary / Fraction("21.75")
    lines = {"BASE_SALARY": fen(salary)}
    base = fen(salary)
    for code, kind, mult in (("OT_WORKDAY", "workday", Fraction(3, 2)),
                             ("OT_RESTDAY", "restday", Fraction(2)),
                             ("OT_HOLIDAY", "holiday", Fraction(3))):
        money, bank = ot[kind]
        paid = money + (bank if kind == "holiday" else 0)  # holiday hours are never banked
        lines[code] = fen(Fraction(paid, 3600) * hourly * mult)
    deducted = Decimal(0)

    def deduct(key: str, raw: Fraction, cap: Fraction) -> None:
        nonlocal deducted
        amount = fen(min(raw, max(Fraction(0), cap)))
        lines[key] = -amount
        deducted += amount
    if absent_sec:
        deduct("DED_ABSENT", Fraction(absent_sec, 3600) * hourly, Fraction(base) - 0)
    floor = MIN_WAGE[month] * Fraction("0.8")
    for name, seconds, hours in leave:  # sick leave first (rule order), in record order
        if name.startswith("病假"):
            qty_rate = Fraction(seconds, 3600) * hourly if hours else \
                Fraction(seconds, 86400) * day_wage
            deduct(f"DED_SICK_LEAVE[{name}]", qty_rate * Fraction("0.2"),
                   Fraction(base) - Fraction(deducted) - floor)
    for name, seconds, hours in leave:
        if name.startswith("事假"):
            qty_rate = Fraction(seconds, 3600) * hourly if hours else \
                Fraction(seconds, 86400) * day_wage
            deduct(f"DED_PERSONAL_LEAVE[{name}]", qty_rate, Fraction(base) - Fraction(deducted))
    return {k: v for k, v in lines.items() if v or "[" in k}


salaries = st.integers(min_value=0, max_value=6_000_000).map(lambda c: Fraction(c, 100))
minutes = st.integers(min_value=0, max_value=3000).map(lambda m: m * 60)
half_days = st.integers(min_value=0, max_value=40).map(lambda n: n * 43200)
LEAVE_NAMES = {"病假": (4, False), "病假(小时)": (7, True), "事假": (3, False),
               "事假(小时)": (5, True)}
leave_items = st.lists(st.sampled_from(sorted(LEAVE_NAMES)).flatmap(
    lambda name: (minutes if LEAVE_NAMES[name][1] else half_days).map(
        lambda s: (name, s, LEAVE_NAMES[name][1]))), max_size=4,
    unique_by=lambda item: item[0])


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(salary=salaries, hourly=st.none() | st.integers(1, 20000).map(lambda c: Fraction(c, 100)),
       work=st.tuples(minutes, minutes), rest=st.tuples(minutes, minutes),
       holiday=st.tuples(minutes, minutes), absent=st.integers(0, 200000), leave=leave_items,
       month=st.sampled_from(sorted(MIN_WAGE)))
@example(salary=Fraction("8700.10"), hourly=None, work=(104400, 0), rest=(0, 0),
         holiday=(0, 0), absent=0, leave=[("事假(小时)", 31320, True)], month="2025-09")
@example(salary=Fraction(3000), hourly=None, work=(0, 0), rest=(0, 0), holiday=(0, 0),
         absent=0, leave=[("事假", 15 * 86400, False), ("事假(小时)", 360000, True)],
         month="2025-09")
@example(salary=Fraction(2800), hourly=None, work=(0, 0), rest=(0, 0), holiday=(0, 0),
         absent=86400, leave=[("病假", 10 * 86400, False), ("病假(小时)", 288000, True)],
         month="2025-09")
# a tie whose product rounds onto the boundary in 28 digits (50 min x 6.86 x 1.5 = 8.575)
@example(salary=Fraction(0), hourly=Fraction(343, 50), work=(3000, 0), rest=(0, 0),
         holiday=(0, 0), absent=0, leave=[], month="2025-06")
def test_every_line_equals_the_exact_oracle(salary, hourly, work, rest, holiday, absent,
                                            leave, month):
    row = {"userid": "p", "monthly_salary": text(salary),
           "hourly_rate": "" if hourly is None else text(hourly)}
    ot = {"workday": work, "restday": rest, "holiday": holiday}
    overwork = {}
    for kind, (money, bank) in ot.items():
        prefix = {"workday": "workdays", "restday": "restdays", "holiday": "holidays"}[kind]
        total_key = "workday_over_sec" if kind == "workday" else f"{prefix}_over_sec"
        overwork.update({total_key: money + bank, f"{prefix}_over_as_money": money,
                         f"{prefix}_over_as_vacation": bank})
    record = MonthRecord.model_validate({
        "exception_infos": [{"exception": 4, "count": 1, "duration": absent}] if absent else [],
        "sp_items": [{"type": 1, "vacation_id": LEAVE_NAMES[n][0], "count": 1, "duration": s,
                      "time_type": int(h), "name": n} for n, s, h in leave],
        "overwork_info": overwork})
    roster, _ = parse_rows([row], "r")
    result, _ = compute(cn_pack(), parse_month(month), roster, {"p": record}, LEAVES)
    employee = result.employees[0]
    got = {(f"{x.code}[{x.item}]" if x.item else x.code): x.amount for x in employee.lines
           if x.category.value in ("earning", "deduction")}
    assert got == oracle(salary, hourly, ot, absent, leave, month)
    # comp time: workday and rest-day hours WeCom banked, never holiday hours
    assert abs(Fraction(employee.totals.comp_hours) - Fraction(work[1] + rest[1], 3600)) < 1e-20
    assert employee.totals.net == sum(got.values())
    errors = {p.code for p in employee.problems if p.severity.value == "error"}
    assert employee.totals.net >= 0 or errors
    assert (employee.status.value == "error") == bool(errors)


def test_the_oracle_rounds_the_documented_ties():
    assert fen(Fraction("8700.10") / 174 * 29 * Fraction(3, 2)) == Decimal("2175.03")
    assert fen(Fraction("8700.10") / 174 * Fraction("8.7")) == Decimal("435.01")
    assert fen(Fraction(-1, 200)) == Decimal("-0.01")
