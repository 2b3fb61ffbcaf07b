"""Absent is not zero: inputs whose value WeCom left out of an employee's record.

Between ``engine.rules.inputs`` (which reads a missing field as 0, like every missing
value of the tolerant WeCom models) and ``engine.rules.apply``. The models keep which keys
WeCom actually sent (pydantic's ``model_fields_set``); for every input a rule or check of
the pack reads, the pack says per input what absence means (``absent: warn`` by default,
``zero`` or ``error``). ``warn`` computes with 0 and tells HR which field of which
employee was missing and which rules used it; ``error`` stops that employee. Inputs read
from the same field (all ``overtime.…`` inputs read ``overwork_info``) give one problem.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from pydantic import BaseModel

from engine.problems import Problem, Severity
from engine.rules.checks import make_problem
from engine.rules.compiled import Pack
from engine.wecom.models import MonthRecord

Checker = Callable[[MonthRecord, str], list[Problem]]
Presence = Callable[[MonthRecord], bool]


def presence(source: str) -> tuple[str, Presence] | None:
    """``(what WeCom left out, test)`` for an input that can be absent, else ``None``.

    A record field (``summary_info.regular_days``) is absent when its key (or a section
    above it) is not in WeCom's answer, or is ``null``. The ``overtime.…`` inputs are
    absent when the record has no ``overwork_info`` at all; inside it a missing part shows
    up as overtime neither paid nor banked, which the split reports (``unsplit``), and an
    omitted total counts as money + bank (the API's own example omits
    ``holidays_over_sec``). Exceptions and ``sp_items`` are lists: a missing list is an
    empty one, as the API documents.
    """
    parts = source.strip().split(".")
    if parts[0] in ("overwork_info", "summary_info", "base_info"):
        return source.strip(), _present(parts)
    if parts[0] == "overtime":
        return "overwork_info", _present(["overwork_info"])
    return None


def _present(parts: list[str]) -> Presence:
    def test(record: MonthRecord) -> bool:
        model: BaseModel = record
        for part in parts:
            if part not in model.model_fields_set:
                return False
            model = getattr(model, part)
        return True
    return test


def consumers(pack: Pack) -> dict[str, list[str]]:
    """Input (or other) name -> codes of the rules and checks that read it, through
    variables too."""
    var_names = {name: formula.names for name, formula in pack.variables}

    def closure(names: Iterable[str]) -> set[str]:
        seen, todo = set(), list(names)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(var_names.get(name, ()))
        return seen
    out: dict[str, list[str]] = defaultdict(list)
    for rule in pack.rules:
        for name in closure(rule.trace_inputs):
            out[name].append(rule.code)
    for check in pack.checks:
        for name in closure(check.when.names):
            out[name].append(check.code)
    return out


def absent_checker(pack: Pack) -> Checker | None:
    """The per-employee test, or ``None`` when no used input can be absent (or all are
    declared ``absent: zero``)."""
    users = consumers(pack)
    groups: dict[str, tuple[Presence, list[str], set[str], list[str]]] = {}
    for name, _ in pack.inputs:
        mode = pack.input_absent.get(name, "warn")
        found = presence(pack.input_sources.get(name, ""))
        if mode == "zero" or found is None or not users.get(name):
            continue
        what, test = found
        group = groups.setdefault(what, (test, [], set(), []))
        group[1].append(name)
        group[2].add(mode)
        group[3].extend(c for c in users[name] if c not in group[3])
    if not groups:
        return None
    table = tuple((what, test, "error" in modes, _few(names), _few(codes))
                  for what, (test, names, modes, codes) in groups.items())

    def check(record: MonthRecord, userid: str) -> list[Problem]:
        out = []
        for what, test, stop, names, codes in table:
            if test(record):
                continue
            if stop:
                message = (f"WeCom's record has no {what}: inputs {names} (used by {codes}) "
                           "cannot be computed; the pack says absent: error")
            else:
                message = (f"WeCom's record has no {what}: inputs {names} counted as 0 in "
                           f"{codes}; check the attendance data (or declare the inputs "
                           "absent: zero in the pack)")
            out.append(make_problem(Severity.ERROR if stop else Severity.WARNING, "absent_input",
                                message, userid, "", what))
        return out
    return check


def _few(names: list[str], shown: int = 4) -> str:
    """A list for a message: the first few names and how many more."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"
