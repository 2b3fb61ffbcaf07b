"""Inputs of the formulas: numbers taken from a month record, converted by declared units.

Between the WeCom models (``engine.wecom.models``) and the formula environment built in
``engine.rules.apply``. A pack declares each input as ``name: {source: PATH, unit: U}``;
the path is parsed here once, at load, into a small extractor. Paths:

- ``overwork_info.F``, ``summary_info.F``, ``base_info.F`` (and ``base_info.rule_info.F``):
  a field of the record;
- ``exception.KIND.count|duration``: KIND is late, early, missing, absent, location,
  device or the numeric type (repeated entries are summed);
- ``sp.KIND.count|duration``: KIND is leave, correction, trip, out, approval, field or
  the numeric type;
- ``leave.NAME_OR_ID.count|duration``: leave items (sp type 1) of one leave type
  (``leave.comp_time``: of every type flagged ``is_newovertime``, i.e. comp time taken);
- ``overtime.workday|restday|holiday|all.total|money|bank|unsplit``: the overtime split
  after the pack's ``overtime_split`` policy (``unsplit`` is what is left unexplained).

Durations arrive in seconds: unit ``h`` divides by 3600, ``min`` by 60, ``day`` by 86400
(or, for leave with ``leave_day: perday_duration``, by the leave type's day length);
``sec`` keeps seconds. Counts take unit ``count``.

``sp_items`` mix units: WeCom encodes a day-unit item (``time_type`` 0) as days × 86400 and
an hour-unit item as hours × 3600, so the seconds of the two kinds cannot simply be added.
A ``sp``/``leave`` duration in ``day`` counts an hour-unit item as hours ÷ the working-day
length, and one in ``h`` or ``min`` counts a day-unit item as days × that length; the
working day is the leave type's ``perday_duration`` when WeCom gives one under 24 h (its
default, 86400, says nothing about working hours), else 8 h.
``sec`` sums WeCom's seconds as they are.

Each compiled path (``Source``) reads one value; ``reader`` fuses a pack's paths into one
function per employee that reads every record section once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from pydantic import BaseModel

from engine.wecom.models import LeaveType, MonthRecord

EXCEPTIONS = {"late": 1, "early": 2, "missing": 3, "absent": 4, "location": 5, "device": 6}
SP_TYPES = {"leave": 1, "correction": 2, "trip": 3, "out": 4, "approval": 15, "field": 100}
DIVISORS = {"sec": 1, "min": 60, "h": 3600, "day": 86400}
OT_FIELDS = {
    "workday": ("workday_over_sec", "workdays_over_as_money", "workdays_over_as_vacation"),
    "restday": ("restdays_over_sec", "restdays_over_as_money", "restdays_over_as_vacation"),
    "holiday": ("holidays_over_sec", "holidays_over_as_money", "holidays_over_as_vacation"),
}
DAY = 86400
WORK_DAY = 8 * 3600  # a working day, for converting between day- and hour-unit items
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Item:
    """One ``sp_items`` entry joined with its leave type (when it is a leave)."""

    type: int
    id: int
    name: str
    count: int
    seconds: int
    in_hours: bool
    day_seconds: int
    comp_time: bool
    names: frozenset[str]
    work_day: int = WORK_DAY  # seconds of a working day, to convert days <-> hours

    @property
    def days(self) -> Decimal:
        return _ZERO if self.in_hours else Decimal(self.seconds) / self.day_seconds

    @property
    def hours(self) -> Decimal:
        return Decimal(self.seconds) / 3600 if self.in_hours else _ZERO

    @property
    def as_days(self) -> Decimal:
        """The item in days whatever its unit (hours ÷ the working day)."""
        if self.in_hours:
            return Decimal(self.seconds) / self.work_day if self.seconds else _ZERO
        return self.days

    @property
    def as_hours(self) -> Decimal:
        """The item in hours whatever its unit (days × the working day)."""
        if self.in_hours:
            return self.hours
        return self.days * self.work_day / 3600 if self.seconds else _ZERO

    @property
    def day_hours(self) -> Decimal:
        """Hours of this item's working day (converts its days and hours)."""
        return Decimal(self.work_day) / 3600

    def variables(self) -> dict[str, Decimal]:
        return {"item_count": Decimal(self.count), "item_seconds": Decimal(self.seconds),
                "item_days": self.days, "item_hours": self.hours,
                "item_in_hours": Decimal(int(self.in_hours)), "item_id": Decimal(self.id),
                "item_day_hours": self.day_hours}


def leave_index(leave_types: Sequence[LeaveType]) -> dict[int, LeaveType]:
    return {lt.id: lt for lt in leave_types}


class Facts:
    """Per-employee views of one record, built on first use."""

    __slots__ = ("record", "_leaves", "_perday", "_policy", "_exc", "_items", "_ot")

    def __init__(self, record: MonthRecord, leaves: Mapping[int, LeaveType], perday: bool,
                 policy: str) -> None:
        self.record, self._leaves, self._perday, self._policy = record, leaves, perday, policy
        self._exc: dict[int, tuple[int, int]] | None = None
        self._items: list[Item] | None = None
        self._ot: tuple[int, ...] | None = None

    def exceptions(self) -> dict[int, tuple[int, int]]:
        if self._exc is None:
            table: dict[int, tuple[int, int]] = {}
            for e in self.record.exception_infos:
                count, duration = table.get(e.exception, (0, 0))
                table[e.exception] = (count + e.count, duration + e.duration)
            self._exc = table
        return self._exc

    def items(self) -> list[Item]:
        if self._items is None:
            self._items = [self._item(sp) for sp in self.record.sp_items]
        return self._items

    def _item(self, sp) -> Item:
        lt = self._leaves.get(sp.vacation_id) if sp.type == 1 else None
        known = lt is not None and lt.perday_duration > 0
        day = lt.perday_duration if known and self._perday else DAY
        name = lt.name if lt is not None and lt.name else sp.name
        return Item(type=sp.type, id=sp.vacation_id, name=name, count=sp.count,
                    seconds=sp.duration, in_hours=sp.time_type == 1, day_seconds=day,
                    comp_time=bool(lt is not None and lt.is_newovertime == 1),
                    names=frozenset(n for n in (name, sp.name) if n),
                    work_day=lt.perday_duration if known and lt.perday_duration < DAY
                    else WORK_DAY)

    def overtime(self) -> tuple[int, ...]:
        """The overtime split, flat: index it with ``_ot_slot(kind, part)``."""
        if self._ot is None:
            self._ot = _split(self.record, self._policy)
        return self._ot


def overtime_split(record: MonthRecord, policy: str) -> dict[str, dict[str, int]]:
    """Seconds of overtime per kind after the split policy (flag, pay_ or bank_remainder)."""
    flat = _split(record, policy)
    return {kind: {what: flat[_ot_slot(kind, what)] for what in OT_PARTS} for kind in OT_KINDS}


OT_PARTS = ("total", "money", "bank", "unsplit")
OT_KINDS = (*OT_FIELDS, "all")


def _ot_slot(kind: str, part: str) -> int:
    return OT_KINDS.index(kind) * len(OT_PARTS) + OT_PARTS.index(part)


def _split(record: MonthRecord, policy: str) -> tuple[int, ...]:
    """``overtime_split`` as one flat tuple (kinds × parts, see ``_ot_slot``)."""
    info = record.overwork_info
    values, present = info.__dict__, info.model_fields_set
    out: list[int] = []
    all_total = all_money = all_bank = all_rest = 0
    for total_f, money_f, bank_f in OT_FIELDS.values():
        money, bank = values[money_f], values[bank_f]
        # an omitted total (the API example omits holidays_over_sec) is not a mismatch
        total = values[total_f] if total_f in present else money + bank
        rest = total - money - bank
        if rest > 0 and policy == "pay_remainder":
            money, rest = money + rest, 0
        elif rest > 0 and policy == "bank_remainder":
            bank, rest = bank + rest, 0
        out += (total, money, bank, rest)
        all_total, all_money = all_total + total, all_money + money
        all_bank, all_rest = all_bank + bank, all_rest + rest
    out += (all_total, all_money, all_bank, all_rest)
    return tuple(out)


Extractor = Callable[[Facts], Decimal]
Convert = Callable[[int], Decimal]


@dataclass(frozen=True, slots=True)
class Source:
    """One compiled input path; ``kind`` and ``key`` tell ``reader`` how to fuse it.

    kind ``field``: key reads the record; ``overtime``: key is the split's slot;
    ``exception``: key is (code, 0 for count | 1 for duration); ``items``: no key.
    """

    kind: str
    key: object
    conv: Convert | None
    fn: Extractor

    def __call__(self, facts: Facts) -> Decimal:
        return self.fn(facts)


def _whole(value: int) -> Decimal:
    return Decimal(value) if value else _ZERO


def _kind(text: str, table: Mapping[str, int], what: str) -> int:
    if text in table:
        return table[text]
    if text.isdigit():
        return int(text)
    raise ValueError(f"unknown {what} {text!r}; use one of {', '.join(table)} or a number")


def _convert(unit: str, is_duration: bool) -> Callable[[int], Decimal]:
    if is_duration and unit == "count":
        raise ValueError("a duration needs a time unit (sec, min, h, day), not 'count'")
    if not is_duration and unit != "count":
        raise ValueError(f"this field is a count: use unit 'count', not {unit!r}")
    divisor = DIVISORS.get(unit, 1)
    if divisor == 1:
        return _whole
    # most inputs are 0 for most employees; 0 / divisor is exactly 0
    return lambda v: Decimal(v) / divisor if v else _ZERO


def _field(parts: list[str], unit: str) -> Extractor:
    model: type[BaseModel] = MonthRecord
    for part in parts[:-1]:
        sub = model.model_fields.get(part)
        if sub is None or not (isinstance(sub.annotation, type)
                               and issubclass(sub.annotation, BaseModel)):
            raise ValueError(f"{part!r} is not a section of the record")
        model = sub.annotation
    leaf = model.model_fields.get(parts[-1])
    if leaf is None or leaf.annotation is not int:
        raise ValueError(f"{'.'.join(parts)} is not a numeric field of the record")
    is_duration = parts[-1].endswith("_sec") or "_over_as_" in parts[-1]
    conv = _convert(unit, is_duration)
    read = attrgetter(".".join(parts))
    return Source("field", read, conv, lambda facts: conv(read(facts.record)))


def _exception(kind: str, what: str, unit: str) -> Extractor:
    code, idx = _kind(kind, EXCEPTIONS, "exception"), _slot(what)
    conv = _convert(unit, idx == 1)
    return Source("exception", (code, idx), conv,
                  lambda facts: conv(facts.exceptions().get(code, (0, 0))[idx]))


def _slot(what: str) -> int:
    if what not in ("count", "duration"):
        raise ValueError(f"expected 'count' or 'duration', got {what!r}")
    return 0 if what == "count" else 1


def _items(select: Callable[[Item], bool], what: str, unit: str) -> Extractor:
    idx = _slot(what)
    if idx == 0:
        conv = _convert(unit, False)
        return Source("items", None, conv, lambda facts: conv(
            sum(i.count for i in facts.items() if select(i))))
    conv = _convert(unit, True)
    if unit == "day":
        return Source("items", None, None, lambda facts: sum(
            (i.as_days for i in facts.items() if select(i)), _ZERO))
    if unit in ("h", "min"):
        per_hour = 1 if unit == "h" else 60
        return Source("items", None, None, lambda facts: sum(
            (i.as_hours * per_hour for i in facts.items() if select(i)), _ZERO))
    return Source("items", None, conv, lambda facts: conv(
        sum(i.seconds for i in facts.items() if select(i))))


def _leave_selector(key: str) -> Callable[[Item], bool]:
    if key == "comp_time":  # every leave type flagged is_newovertime (调休)
        return lambda i: i.type == 1 and i.comp_time
    if key.isdigit():
        wanted = int(key)
        return lambda i: i.type == 1 and i.id == wanted
    return lambda i: i.type == 1 and key in i.names


def _overtime(kind: str, what: str, unit: str) -> Extractor:
    if kind not in (*OT_FIELDS, "all"):
        raise ValueError(f"unknown overtime kind {kind!r}; use workday, restday, holiday, all")
    if what not in ("total", "money", "bank", "unsplit"):
        raise ValueError(f"unknown overtime part {what!r}; use total, money, bank, unsplit")
    conv = _convert(unit, True)
    slot = _ot_slot(kind, what)
    return Source("overtime", slot, conv, lambda facts: conv(facts.overtime()[slot]))


def compile_source(source: str, unit: str) -> Extractor:
    """Parse an input path once; raises ``ValueError`` with the reason."""
    parts = source.strip().split(".")
    head = parts[0]
    if head in ("overwork_info", "summary_info", "base_info") and len(parts) >= 2:
        return _field(parts, unit)
    if len(parts) != 3:
        raise ValueError(f"cannot read input source {source!r}: expected e.g. "
                         "'overwork_info.workdays_over_as_money' or 'exception.absent.duration'")
    _, kind, what = parts
    if head == "exception":
        return _exception(kind, what, unit)
    if head == "sp":
        code = _kind(kind, SP_TYPES, "sp_items type")
        return _items(lambda i: i.type == code, what, unit)
    if head == "leave":
        return _items(_leave_selector(kind), what, unit)
    if head == "overtime":
        return _overtime(kind, what, unit)
    raise ValueError(f"unknown input source {head!r}; use overwork_info, summary_info, "
                     "base_info, exception, sp, leave or overtime")


Reader = Callable[[Facts, dict], None]


def zeros(inputs: Sequence[tuple[str, Extractor]]) -> dict[str, Decimal]:
    """What an environment holds for the inputs before ``reader`` writes the others."""
    return {name: _ZERO for name, _ in inputs}
MEMO_SIZE = 4096  # distinct values remembered per input


def _remember(memo: dict[int, Decimal], conv: Convert, value: int) -> Decimal:
    found = conv(value)
    if len(memo) < MEMO_SIZE:
        memo[value] = found
    return found


def reader(inputs: Sequence[tuple[str, Extractor]]) -> Reader:
    """One function writing the inputs into an environment, each section read once.

    The environment must already hold 0 for every input (``zeros``): most inputs are 0 for
    most employees, and those are not written again.
    """
    groups: dict[str, list] = {"field": [], "overtime": [], "exception": [], "items": [],
                               "other": []}
    for name, source in inputs:
        if not isinstance(source, Source):
            groups["other"].append((name, source))
        elif source.kind == "items":
            groups["items"].append((name, source))
        else:
            groups[source.kind].append((name, source.key, source.conv))
    fields, overtime, exceptions, items, other = (tuple(groups[k]) for k in groups)
    # Durations repeat across employees (a day, an hour): each conversion is made once
    # per reader, which lives for one compute call and so for one decimal context.
    fields = tuple((n, get, conv, {}) for n, get, conv in fields)
    overtime = tuple((n, key, conv, {}) for n, key, conv in overtime)
    exceptions = tuple((n, key, conv, {}) for n, key, conv in exceptions)

    def read(facts: Facts, env: dict) -> None:
        record = facts.record
        for name, get, conv, memo in fields:
            value = get(record)
            if value:
                env[name] = memo[value] if value in memo else _remember(memo, conv, value)
        if overtime:
            split = facts.overtime()
            for name, key, conv, memo in overtime:
                value = split[key]
                if value:
                    env[name] = memo[value] if value in memo else _remember(memo, conv, value)
        if exceptions:
            table = facts.exceptions()
            for name, (code, idx), conv, memo in exceptions:
                value = table[code][idx] if code in table else 0
                if value:
                    env[name] = memo[value] if value in memo else _remember(memo, conv, value)
        if items and record.sp_items:  # with no sp_items every count and duration is 0
            for name, source in items:
                env[name] = source(facts)
        for name, source in other:
            env[name] = source(facts)
    return read
