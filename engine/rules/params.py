"""Dated parameters of a rule pack, resolved for one pay period.

Between the loaded pack and the per-employee computation. A parameter has values with
effective dates (``values: {2008-01-01: "21.75"}``), a unit and a legal reference. The
value used for a month is the one in force on the period's first day by default (the
pack may choose ``params_at: last_day``): a change in the middle of a month applies from
the next month, which keeps a whole month on one set of values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from engine.errors import RulePackError
from engine.money import to_decimal
from engine.period import Period
from engine.rules.lines import ParamUse
from engine.rules.schema import Parameter


def resolve_day(period: Period, params_at: str) -> date:
    """The day whose values apply to ``period``."""
    return period.last_day if params_at == "last_day" else period.first_day


def resolve(name: str, param: Parameter, day: date) -> ParamUse:
    """The value in force on ``day``: the latest effective date not after it."""
    dates = sorted(d for d in param.values if d <= day)
    if not dates:
        first = min(param.values)
        raise RulePackError(f"parameter {name} has no value before {first.isoformat()}; "
                            f"the period needs one in force on {day.isoformat()}")
    effective = dates[-1]
    return ParamUse(value=to_decimal(param.values[effective]), effective=effective.isoformat(),
                    unit=param.unit, reference=param.reference)


def resolve_all(params: Mapping[str, Parameter], day: date) -> dict[str, ParamUse]:
    return {name: resolve(name, param, day) for name, param in params.items()}
