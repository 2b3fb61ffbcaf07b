"""Roster column names: the header a person wrote → the name the rules read.

Part of the roster edge, applied to the header row before any cell is read. A header is
compared after Unicode NFKC normalisation (full-width letters), case folding and removing
spaces, ``_`` and ``-``, so ``UserID``, ``user id`` and ``Monthly Salary`` all match.
The aliases below are the documented list (README, "The roster"); any other header is
kept as written (trimmed) and offered to the rules under that name.
"""

from __future__ import annotations

import re
import unicodedata

ALIASES: dict[str, tuple[str, ...]] = {
    "userid": ("userid", "账号", "帐号", "成员账号", "工号", "员工账号", "企业微信账号"),
    "name": ("name", "姓名", "名字", "员工姓名"),
    "monthly_salary": ("monthly_salary", "月薪", "基本工资", "月工资", "月基本工资"),
    "hourly_rate": ("hourly_rate", "时薪", "小时工资"),
    "department": ("department", "部门", "所属部门"),
    "cost_centre": ("cost_centre", "成本中心", "cost center"),
}
_IGNORED = re.compile(r"[\s_\-]+")


def _key(header: str) -> str:
    return _IGNORED.sub("", unicodedata.normalize("NFKC", header)).casefold()


_BY_KEY = {_key(alias): column for column, aliases in ALIASES.items() for alias in aliases}


def canonical(header: str) -> str:
    """The column name the rules use for a header cell."""
    return _BY_KEY.get(_key(header), header.strip())


def alias_list() -> str:
    """The alias table as text (for messages)."""
    return "; ".join(f"{column}: {', '.join(a for a in aliases if a != column)}"
                     for column, aliases in ALIASES.items())
