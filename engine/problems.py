"""Problems: what a stage reports instead of crashing.

Stages are pure functions returning ``(result, problems)``. A problem names the stage,
the employee, the rule and the field it concerns so a payroll team can act on it; the
run folder lists every one of them in ``results/problems.csv``.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Audience(str, Enum):
    """Who a problem is written for: ``hr`` (payroll team, finance; the default: compliance
    findings, rule codes and legal references stay in the HR reports) or ``employee`` (a note
    in plain words that may be printed on the employee's own payslip)."""

    HR = "hr"
    EMPLOYEE = "employee"


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    severity: Severity
    stage: str
    code: str
    message: str
    userid: str = ""
    rule: str = ""
    field: str = ""
    source: str = ""
    audience: Audience = Audience.HR

    def __str__(self) -> str:
        parts = [self.severity.value, self.stage, self.code]
        who = " ".join(p for p in (self.userid and f"user={self.userid}",
                                   self.rule and f"rule={self.rule}",
                                   self.field and f"field={self.field}",
                                   self.source) if p)
        return f"[{'/'.join(parts)}] {who + ': ' if who else ''}{self.message}"


def error(stage: str, code: str, message: str, **where: str) -> Problem:
    return Problem(severity=Severity.ERROR, stage=stage, code=code, message=message, **where)


def warning(stage: str, code: str, message: str, **where: str) -> Problem:
    return Problem(severity=Severity.WARNING, stage=stage, code=code, message=message, **where)


def info(stage: str, code: str, message: str, **where: str) -> Problem:
    return Problem(severity=Severity.INFO, stage=stage, code=code, message=message, **where)
