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
from decimal import Decimal

from engine.errors import RulePackError
from engine.money import to_decimal
from engine.period import Period
from engine.rules.lines import ParamUse
from engine.rules.schema import Parameter
from engine.rules.tables import Table, make_table, mode_code, parse_bands


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
    raw = param.values[effective]
    if param.kind == "table":  # the trace shows the number of bands; formulas the table
        value, unit = Decimal(len(parse_bands(raw))), param.unit or "table"
    elif param.kind == "rounding_mode":
        value, unit = mode_code(raw), f"rounding mode {raw}"
    else:
        value, unit = to_decimal(raw), param.unit
    return ParamUse(value=value, effective=effective.isoformat(), unit=unit,
                    reference=param.reference)


def resolve_all(params: Mapping[str, Parameter], day: date) -> dict[str, ParamUse]:
    return {name: resolve(name, param, day) for name, param in params.items()}


def resolve_tables(params: Mapping[str, Parameter], day: date) -> dict[str, Table]:
    """The tables in force on ``day`` (a table past its ``until`` is kept, marked invalid)."""
    out = {}
    for name, param in params.items():
        if param.kind == "table":
            use = resolve(name, param, day)
            effective = date.fromisoformat(use.effective)
            out[name] = make_table(name, parse_bands(param.values[effective]), effective,
                                   param.until, day)
    return out
