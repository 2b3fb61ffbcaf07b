"""pandas views of a month: one DataFrame per table, Decimal amounts kept exact.

Used by :mod:`engine.run.opened` for ``engine.open_run``. Money and quantity columns hold
``decimal.Decimal`` objects in ``object`` columns: pandas adds them with Python's
Decimal arithmetic, so a group total equals the sum of the printed lines to the fen
(float64 or pyarrow's fixed-scale decimals would round or overflow). Text columns keep
pandas' string dtype.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Sequence

import pandas as pd


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
