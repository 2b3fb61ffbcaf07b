"""Models of the ledger stage: one long-form row per employee and key, and a month of them.

Shared by every module of ``engine.ledger``. A row is ``userid, key, unit, opening,
change, closing``; comp time has a total row (``comp_h``) and one row per month the
hours were banked in (``comp_h@2026-03``), so first-in-first-out use and expiry can be
followed month by month.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

LOT = "@"  # comp_h@2026-03: hours banked in March 2026
COLUMNS = ("userid", "key", "unit", "opening", "change", "closing")


class Row(BaseModel):
    model_config = ConfigDict(frozen=True)

    userid: str
    key: str
    unit: str
    opening: Decimal
    change: Decimal
    closing: Decimal

    @property
    def base_key(self) -> str:
        return self.key.split(LOT, 1)[0]

    @property
    def lot(self) -> str:
        """The origin month of a comp-time lot row, "" for a total row."""
        return self.key.split(LOT, 1)[1] if LOT in self.key else ""


_ROW_FIELDS = set(Row.model_fields)  # shared by every row ``row`` makes (pydantic only reads it)


def row(userid: str, key: str, unit: str, opening: Decimal, change: Decimal,
        closing: Decimal) -> Row:
    """A row from values the ledger computed (already of the right types), unvalidated and
    with one shared "fields set": a large company's month has several rows per employee."""
    return Row.model_construct(_ROW_FIELDS, userid=userid, key=key, unit=unit,
                               opening=opening, change=change, closing=closing)


class Ledger(BaseModel):
    """A month's rows, in (userid, key) order as written."""

    model_config = ConfigDict(frozen=True)

    month: str
    rows: tuple[Row, ...] = ()

    def closing(self) -> dict[str, dict[str, Decimal]]:
        """userid → key → closing value (lot rows included)."""
        out: dict[str, dict[str, Decimal]] = {}
        for row in self.rows:
            out.setdefault(row.userid, {})[row.key] = row.closing
        return out
