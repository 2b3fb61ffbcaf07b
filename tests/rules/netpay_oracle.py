"""An independent oracle of net pay: social insurance, housing fund and income tax.

Written from the law and the documented policy (rules/README.md "cn-payroll"), in exact
rational arithmetic (``fractions.Fraction``), with its own rounding: nothing here calls
the engine. Facts used:

- employee shares: pension 8 %, medical 2 % (Beijing + 3 元 a month), unemployment 0.5 %
  (Guangzhou 0.2 %); housing fund at the city's default rate (Shanghai 7 %, Beijing 12 %,
  Shenzhen and Guangzhou 5 %) or the roster's, Shanghai 补充公积金 at the roster's rate;
- bases: the declared base (default the monthly salary) clamped to the city's floor and
  cap (Shanghai 7,384–36,921 social insurance, 2,690–36,921 housing fund; Beijing
  6,821–35,283 and 2,420–35,283; Shenzhen and Guangzhou the pack's placeholders);
- rounding: Shanghai social insurance up to the jiao (见分进角), Shanghai housing fund to
  the yuan half up, other cities to the fen half up;
- 累计预扣法 (公告2018年第61号): taxable = income − tax-free − 5000 × months − 专项扣除 −
  专项附加扣除 − other, all cumulative, at least 0; tax = taxable × rate − quick of the
  cumulative table; this month = max(0, tax − withheld before), to the fen half up;
  公告2020年第13号: months count from January; 公告2020年第19号: 60,000 from January;
- 年终奖 separately: band of bonus ÷ 12 in the monthly table; tax = bonus × rate − quick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction as F

CUMULATIVE = [(36000, "0.03", 0), (144000, "0.10", 2520), (300000, "0.20", 16920),
              (420000, "0.25", 31920), (660000, "0.30", 52920), (960000, "0.35", 85920),
              (None, "0.45", 181920)]
MONTHLY = [(3000, "0.03", 0), (12000, "0.10", 210), (25000, "0.20", 1410),
           (35000, "0.25", 2660), (55000, "0.30", 4410), (80000, "0.35", 7160),
           (None, "0.45", 15160)]

# city code (the roster's city column: 1 上海, 2 北京, 3 深圳, 4 广州)
SI_RANGE = {1: (7384, 36921), 2: (6821, 35283), 3: (2360, 27501), 4: (4588, 26421)}
HF_RANGE = {1: (2690, 36921), 2: (2420, 35283), 3: (2360, 41190), 4: (2300, 38082)}
HF_RATE = {1: F(7, 100), 2: F(12, 100), 3: F(5, 100), 4: F(5, 100)}
UNEMPLOYMENT = {1: F(5, 1000), 2: F(5, 1000), 3: F(5, 1000), 4: F(2, 1000)}
CITY_NAMES = {1: "上海", 2: "北京", 3: "深圳", 4: "广州"}
SAD_KEYS = ("child_education", "infant_care", "elderly_support", "housing_loan_interest",
            "housing_rent", "continuing_education", "private_pension")


def fen(x) -> F:
    """Half up to the fen (positive amounts)."""
    return round_half_up(F(x), F(1, 100))


def round_half_up(x: F, step: F) -> F:
    units = x / step
    whole = units.numerator // units.denominator
    if units - whole >= F(1, 2):
        whole += 1
    return whole * step


def round_up(x: F, step: F) -> F:
    units = x / step
    whole = -((-units.numerator) // units.denominator)  # ceiling for positive values
    return whole * step


def band(table, x: F) -> tuple[int, F, F]:
    for index, (upper, rate, quick) in enumerate(table, 1):
        if upper is None or x <= upper:
            return index, F(rate), F(quick)
    raise AssertionError("unreachable")


def clamp(x: F, low, high) -> F:
    return min(max(x, F(low)), F(high))


def withholdings(city: int, base: F, housing_base: F | None = None, hf_rate: F | None = None,
                 extra_rate: F = F(0)) -> dict[str, F]:
    """The month's social insurance and housing fund lines, positive, by line code."""
    si = clamp(base, *SI_RANGE[city])
    hf = clamp(base if housing_base is None else housing_base, *HF_RANGE[city])
    if city == 1:
        si_round = lambda v: round_up(v, F(1, 10))  # noqa: E731
        hf_round = lambda v: round_half_up(v, F(1))  # noqa: E731
    else:
        si_round = hf_round = fen
    out = {"SI_PENSION": si_round(si * F(8, 100)),
           "SI_MEDICAL": si_round(si * F(2, 100)) + (3 if city == 2 else 0),
           "SI_UNEMPLOYMENT": si_round(si * UNEMPLOYMENT[city]),
           "HOUSING_FUND": hf_round(hf * (HF_RATE[city] if hf_rate is None else hf_rate))}
    if extra_rate:
        out["HOUSING_FUND_EXTRA"] = hf_round(hf * extra_rate)
    return {k: v for k, v in out.items() if v}


def bonus_tax(bonus: F) -> F:
    _, rate, quick = band(MONTHLY, F(bonus) / 12)
    return fen(max(F(0), F(bonus) * rate - quick))


@dataclass
class Year:
    """One employee's year at one employer, month by month."""

    first_job: bool = False
    low_income: bool = False
    income: F = F(0)
    tax_free: F = F(0)
    special: F = F(0)
    additional: F = F(0)
    other: F = F(0)
    months: int = 0
    withheld: F = F(0)
    taxes: list[F] = field(default_factory=list)

    def month(self, month: int, income, special, additional=0, other=0, tax_free=0) -> F:
        """The month's tax; ``special`` is the month's SI + HF, ``additional`` its 专项附加扣除."""
        self.income += F(income)
        self.tax_free += F(tax_free)
        self.special += F(special)
        self.additional += F(additional)
        self.other += F(other)
        self.months += 1
        months = month if self.first_job else self.months
        basic = F(5000 * months)
        if self.low_income:
            basic = max(F(60000), basic)
        taxable = max(F(0), self.income - self.tax_free - basic - self.special
                      - self.additional - self.other)
        _, rate, quick = band(CUMULATIVE, taxable)
        tax = max(F(0), fen(max(F(0), taxable * rate - quick)) - self.withheld)
        self.withheld += tax
        self.taxes.append(tax)
        return tax


def annual_tax(income, special, additional=0, other=0, tax_free=0, basic_months=12,
               low_income=False) -> F:
    """The year's tax computed once on the year's totals: what the cumulative method
    withholds by December when no month was clamped at 0. ``basic_months`` is the number
    of months of 5000 (months employed, or December's month number under 公告2020年第13号)."""
    basic = F(5000 * basic_months)
    if low_income:
        basic = max(F(60000), basic)
    taxable = max(F(0), F(income) - F(tax_free) - basic - F(special) - F(additional) - F(other))
    _, rate, quick = band(CUMULATIVE, taxable)
    return fen(max(F(0), taxable * rate - quick))
