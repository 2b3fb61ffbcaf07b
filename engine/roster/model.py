"""The roster as the compute stage sees it: frozen models, one row per employee.

Boundary between the roster reader (:mod:`engine.roster.read`, :mod:`engine.roster.parse`)
and compute (:mod:`engine.rules.apply`), which reads ``monthly_salary`` as a typed value
and every other column as text.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class Employee(BaseModel):
    model_config = ConfigDict(frozen=True)

    userid: str
    monthly_salary: Decimal | None
    columns: dict[str, str] = Field(default_factory=dict)
    line: int = 0


class Roster(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str = ""
    columns: tuple[str, ...] = ()
    employees: tuple[Employee, ...] = ()
    encoding: str = ""  # how the file was decoded: utf-8, utf-8-sig, gb18030, utf-16, xlsx
    headers: dict[str, str] = Field(default_factory=dict)  # column -> header as in the file

    def userids(self) -> list[str]:
        return [e.userid for e in self.employees]

    def by_userid(self) -> dict[str, Employee]:
        return {e.userid: e for e in self.employees}
