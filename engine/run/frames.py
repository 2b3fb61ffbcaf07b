"""pandas views of a month: one DataFrame per table, Decimal amounts kept exact.

Used by :mod:`engine.run.tables` for the summary's group totals and by
:mod:`engine.run.opened` for ``engine.open_run``. Money and quantity columns hold
``decimal.Decimal`` objects in ``object`` columns: pandas adds them with Python's
Decimal arithmetic, so a group total equals the sum of the printed lines to the fen
(float64 or pyarrow's fixed-scale decimals would round or overflow). Text columns keep
pandas' string dtype.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Sequence

import pandas as pd

from engine.rules.lines import MONEY_TOTALS, EmployeeResult


GROUPS = ("department", "cost_centre")


def cost_centre(emp: EmployeeResult) -> str:
    """The roster's ``cost_centre`` column (``成本中心`` in a Chinese header)."""
    return emp.roster.get("cost_centre", "")


def decimal_column(values: Iterable[object]) -> pd.Series:
    """An ``object`` column of Decimal (``None`` for an empty cell)."""
    return pd.Series([Decimal(v) if isinstance(v, str) and v != "" else
                      (v if isinstance(v, Decimal) else None) for v in values], dtype=object)


def with_decimals(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` (text cells) turned into exact Decimals."""
    frame = frame.copy()
    for column in columns:
        if column in frame.columns:
            frame[column] = decimal_column(frame[column].tolist()).set_axis(frame.index)
    return frame


def employee_totals(employees: Sequence[EmployeeResult], department) -> pd.DataFrame:
    """One row per employee: userid, department, cost centre and the money totals."""
    rows = [{"userid": e.userid, "department": department(e) or "—",
             "cost_centre": cost_centre(e) or "—",
             **{k: getattr(e.totals, k) for k in MONEY_TOTALS}}
            for e in employees]
    frame = pd.DataFrame(rows, columns=["userid", *GROUPS, *MONEY_TOTALS])
    for column in MONEY_TOTALS:
        frame[column] = frame[column].astype(object)
    return frame


def group_totals(frame: pd.DataFrame, by: str) -> dict[str, dict[str, object]]:
    """Headcount and money totals per value of ``by``, sorted by that value."""
    if frame.empty:
        return {}
    grouped = frame.groupby(by, sort=True)
    sums = grouped[list(MONEY_TOTALS)].agg(lambda s: sum(s, Decimal(0)))
    counts = grouped.size()
    return {str(key): {"employees": int(counts[key]),
                       **{c: sums.at[key, c] for c in MONEY_TOTALS}}
            for key in sums.index}
