"""An independent plain-Decimal implementation of the cn-default money rules.

Written from the rule descriptions, not from the engine, so the property tests can
compare the two to the fen.
"""

from decimal import ROUND_HALF_UP, Decimal

D = Decimal


def fen(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def cn_default(salary: Decimal, hourly_override: Decimal | None, ot_work_s: int, ot_rest_s: int,
               ot_holiday_s: int, absent_s: int, sick_days: int, personal_days: int,
               min_wage: Decimal) -> dict[str, Decimal]:
    """Signed, rounded amounts of the money lines that are not zero."""
    if hourly_override is not None:
        hourly, day = hourly_override, hourly_override * 8
    else:
        hourly, day = salary / D("21.75") / 8, salary / D("21.75")
    out = {"BASE_SALARY": fen(salary)}
    out["OT_WORKDAY"] = fen(D(ot_work_s) / 3600 * hourly * D("1.5"))
    out["OT_RESTDAY"] = fen(D(ot_rest_s) / 3600 * hourly * 2)
    out["OT_HOLIDAY"] = fen(D(ot_holiday_s) / 3600 * hourly * 3)
    base, deducted = out["BASE_SALARY"], D(0)
    absent = fen(min(D(absent_s) / 3600 * hourly, max(D(0), base - deducted)))
    deducted += absent
    sick = D(sick_days) * day * (1 - D("0.8"))
    sick = fen(min(sick, max(D(0), base - deducted - min_wage * D("0.8")))) if sick_days else D(0)
    deducted += sick
    personal = D(personal_days) * day
    personal = fen(min(personal, max(D(0), base - deducted))) if personal_days else D(0)
    out.update({"DED_ABSENT": -absent, "DED_SICK_LEAVE": -sick, "DED_PERSONAL_LEAVE": -personal})
    return {k: v for k, v in out.items() if v}
