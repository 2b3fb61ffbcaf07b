"""Typed models of the WeCom answers the engine reads.

The boundary between the raw JSON kept in the snapshot and everything downstream. The
API's schema drifts, so every field is optional with the documented empty value
(0, "" or []), numeric strings are coerced, ``null`` means "absent", and unknown fields
are kept (``extra="allow"``) so nothing the service sends is lost.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


_SURROGATE = re.compile("[\ud800-\udfff]")


def whole_text(value: Any) -> Any:
    """A string with lone surrogates (JSON's ``"\\ud800"`` decodes to one; no UTF-8 file
    can hold it, so every export would fail) replaced by U+FFFD; other values as given."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _SURROGATE.sub("\ufffd", value)
    elif isinstance(value, list):
        return [whole_text(v) for v in value]
    return value


class Lenient(BaseModel):
    """Frozen, tolerant base: drops ``null`` so defaults apply, keeps unknown keys, and
    makes every string encodable (see :func:`whole_text`)."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: whole_text(v) for k, v in data.items() if v is not None}
        return data


class RuleInfo(Lenient):
    groupid: int = 0
    groupname: str = ""


class BaseInfo(Lenient):
    record_type: int = 0
    name: str = ""
    name_ex: str = ""
    departs_name: str = ""
    acctid: str = ""
    rule_info: RuleInfo = RuleInfo()

    @property
    def departments(self) -> list[str]:
        """``departs_name`` split on ``;``: each entry is a ``/`` path."""
        return [d for d in self.departs_name.split(";") if d]


class SummaryInfo(Lenient):
    work_days: int = 0
    regular_days: int = 0
    rest_days: int = 0
    except_days: int = 0
    regular_work_sec: int = 0
    standard_work_sec: int = 0


class ExceptionInfo(Lenient):
    exception: int = 0
    count: int = 0
    duration: int = 0


class SpItem(Lenient):
    type: int = 0
    vacation_id: int = 0
    count: int = 0
    duration: int = 0
    time_type: int = 0
    name: str = ""


class OverworkInfo(Lenient):
    workday_over_sec: int = 0
    holidays_over_sec: int = 0
    restdays_over_sec: int = 0
    workdays_over_as_vacation: int = 0
    workdays_over_as_money: int = 0
    restdays_over_as_vacation: int = 0
    restdays_over_as_money: int = 0
    holidays_over_as_vacation: int = 0
    holidays_over_as_money: int = 0


class MonthRecord(Lenient):
    """One employee's ``getcheckin_monthdata`` entry."""

    base_info: BaseInfo = BaseInfo()
    summary_info: SummaryInfo = SummaryInfo()
    exception_infos: list[ExceptionInfo] = Field(default_factory=list)
    sp_items: list[SpItem] = Field(default_factory=list)
    overwork_info: OverworkInfo = OverworkInfo()

    @property
    def userid(self) -> str:
        return self.base_info.acctid


class ApiAnswer(Lenient):
    errcode: int = 0
    errmsg: str = ""


class MonthDataAnswer(ApiAnswer):
    datas: list[MonthRecord] = Field(default_factory=list)


class LeaveType(Lenient):
    """A leave type of ``oa/vacation/getcorpconf``, joined with ``sp_items.vacation_id``."""

    id: int = 0
    name: str = ""
    time_attr: int = 0  # 0 days, 1 hours
    duration_type: int = 0  # 0 calendar days, 1 working days
    perday_duration: int = 86400
    is_newovertime: int = 0  # 1: this leave is comp time (调休)
    quota_attr: dict[str, Any] = Field(default_factory=dict)
    expire_rule: dict[str, Any] = Field(default_factory=dict)


class LeaveConfAnswer(ApiAnswer):
    lists: list[LeaveType] = Field(default_factory=list)


class Department(Lenient):
    id: int = 0
    parentid: int = 0
    order: int = 0


class DepartmentAnswer(ApiAnswer):
    department_id: list[Department] = Field(default_factory=list)


class DirectoryUser(Lenient):
    userid: str = ""
    name: str = ""
    department: list[int] = Field(default_factory=list)


class UserListAnswer(ApiAnswer):
    userlist: list[DirectoryUser] = Field(default_factory=list)


class TokenAnswer(ApiAnswer):
    access_token: str = ""
    expires_in: int = 0


class RecordBuilder:
    """``MonthRecord.model_validate`` for a whole company, sharing equal parts.

    Most employees' records repeat small parts exactly (the same shift group, the same
    empty field-work item, the same absence counts, all-zero overtime): each distinct part
    is validated once and the frozen model shared by every record holding it, which more
    than halves a large month's records in memory. A record whose parts do not validate
    on their own is validated whole instead, so its errors name the same locations.
    """

    _LISTS = (("exception_infos", ExceptionInfo), ("sp_items", SpItem))
    _PARTS = (("overwork_info", OverworkInfo), ("summary_info", SummaryInfo))

    def __init__(self) -> None:
        self._seen: dict[tuple[type, str], BaseModel] = {}

    def _shared(self, model: type[BaseModel], raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw  # drift (a string, a list): left to the whole record's validation
        key = (model, json.dumps(raw, sort_keys=True, ensure_ascii=False))
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = model.model_validate(raw)
        return found

    def build(self, raw: Any) -> MonthRecord:
        if not isinstance(raw, dict):
            return MonthRecord.model_validate(raw)
        parts = dict(raw)
        try:
            base = parts.get("base_info")
            if isinstance(base, dict) and "rule_info" in base:
                parts["base_info"] = {**base, "rule_info": self._shared(RuleInfo,
                                                                        base["rule_info"])}
            for name, model in self._LISTS:
                if isinstance(parts.get(name), list):
                    parts[name] = [self._shared(model, item) for item in parts[name]]
            for name, model in self._PARTS:
                if name in parts:
                    parts[name] = self._shared(model, parts[name])
            return MonthRecord.model_validate(parts)
        except ValidationError:
            return MonthRecord.model_validate(raw)  # raises with the whole record's locations
