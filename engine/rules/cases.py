"""YAML test cases shipped with a rule pack: inputs → expected lines, totals and problems.

Used by ``payroll rules test PACK`` and as the pre-flight of every run: a pack whose own
cases fail is not used. A case file holds default ``leave_types`` and a list of cases,
each with a month, one roster row, one month record (the API's JSON shape; omit it to
test a missing record) and the expectation. ``lines`` is exhaustive: a line that appears
but is not expected is a difference too. A line is keyed by its code, or by
``CODE[item]`` for per-item rules. An expected quantity is compared at the precision it
is written with (``"8.0333"`` matches 8.03333…); amounts compare exactly.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ConfigError, RulePackError
from engine.money import to_decimal
from engine.period import parse_month
from engine.roster import parse_rows
from engine.rules.apply import compute
from engine.rules.compiled import Pack
from engine.rules.lines import EmployeeResult
from engine.rules.loader import Where, read_doc
from engine.rules.schema import Number
from engine.wecom.models import LeaveType, MonthRecord


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LineExpect(_Strict):
    amount: Number | None = None
    quantity: Number | None = None
    rate: Number | None = None


class TotalsExpect(_Strict):
    earnings: Number | None = None
    deductions: Number | None = None
    net: Number | None = None
    comp_hours: Number | None = None
    gross: Number | None = None
    withholdings: Number | None = None


class Expect(_Strict):
    status: str = "ok"
    lines: dict[str, Number | LineExpect] = Field(default_factory=dict)
    totals: TotalsExpect = TotalsExpect()
    problems: list[str] = Field(default_factory=list)
    # the month's ledger movements (``KEY`` or ``KEY.banked|used|settled``), those listed
    ledger: dict[str, Number] = Field(default_factory=dict)


class Case(_Strict):
    name: str
    month: str
    roster: dict[str, str | int]
    record: dict[str, Any] | None = None
    leave_types: list[dict[str, Any]] | None = None
    # parameters of the pack set for this case only (a policy switch, another rate)
    parameters: dict[str, Number] = Field(default_factory=dict)
    # opening values the ledger would give: ledger.KEY, ytd.NAME, expired.KEY
    opening: dict[str, Number] = Field(default_factory=dict)
    expect: Expect


class CaseFile(_Strict):
    leave_types: list[dict[str, Any]] = Field(default_factory=list)
    cases: list[Case] = Field(min_length=1)


class CaseResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    file: str
    name: str
    differences: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.differences


class CaseReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    pack: str
    results: tuple[CaseResult, ...] = ()

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def __str__(self) -> str:
        out = [f"{self.pack}: {self.passed} passed, {self.failed} failed"]
        for r in self.results:
            out.append(f"  {'PASS' if r.passed else 'FAIL'} {r.file}: {r.name}")
            out.extend(f"       - {d}" for d in r.differences)
        return "\n".join(out)


def _key(line) -> str:
    return f"{line.code}[{line.item}]" if line.item else line.code


def _same_quantity(actual: Decimal, expected: str) -> bool:
    want = to_decimal(expected)
    exponent = want.as_tuple().exponent
    if isinstance(exponent, int) and exponent < 0:
        return actual.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP) == want
    return actual == want


def _compare_lines(result: EmployeeResult, expect: Expect) -> list[str]:
    diffs = []
    actual = {_key(x): x for x in result.lines}
    for key, want in expect.lines.items():
        line = actual.get(key)
        if line is None:
            diffs.append(f"line {key}: expected, not produced")
            continue
        spec = want if isinstance(want, LineExpect) else LineExpect(amount=want)
        if spec.amount is not None and line.amount != to_decimal(spec.amount):
            diffs.append(f"line {key}: amount {line.amount}, expected {spec.amount}")
        if spec.quantity is not None and not _same_quantity(line.quantity, spec.quantity):
            diffs.append(f"line {key}: quantity {line.quantity}, expected {spec.quantity}")
        if spec.rate is not None and not _same_quantity(line.rate, spec.rate):
            diffs.append(f"line {key}: rate {line.rate}, expected {spec.rate}")
    diffs += [f"line {k}: produced ({actual[k].amount}), not expected"
              for k in actual if k not in expect.lines]
    return diffs


def _compare(result: EmployeeResult, expect: Expect) -> list[str]:
    diffs = []
    if result.status.value != expect.status:
        why = "; ".join(p.message for p in result.problems)
        diffs.append(f"status {result.status.value}, expected {expect.status} ({why})")
    diffs += _compare_lines(result, expect)
    for name in ("earnings", "deductions", "net", "comp_hours", "gross", "withholdings"):
        want = getattr(expect.totals, name)
        if want is not None and getattr(result.totals, name) != to_decimal(want):
            diffs.append(f"total {name}: {getattr(result.totals, name)}, expected {want}")
    for key, want in expect.ledger.items():
        if key not in result.ledger:
            diffs.append(f"ledger {key}: expected, not computed")
        elif result.ledger[key] != to_decimal(want):
            diffs.append(f"ledger {key}: {result.ledger[key]}, expected {want}")
    got = sorted(p.code for p in result.problems)
    if got != sorted(expect.problems):
        diffs.append(f"problems {got}, expected {sorted(expect.problems)}")
    return diffs


def run_case(pack: Pack, case: Case, default_leaves: list[dict[str, Any]]) -> list[str]:
    """Differences between what the pack computes for one case and what it expects."""
    row = {k: str(v) for k, v in case.roster.items()}
    row.setdefault("userid", "E1")
    roster, _ = parse_rows([row], "case")
    userid = row["userid"]
    records = {}
    if case.record is not None:
        data = dict(case.record)
        data.setdefault("base_info", {}).setdefault("acctid", userid)
        records[userid] = MonthRecord.model_validate(data)
    leaves = [LeaveType.model_validate(x) for x in (case.leave_types
                                                    if case.leave_types is not None
                                                    else default_leaves)]
    names = {n for key in pack.ledger for n in key.names}
    unknown = sorted(set(case.opening) - names)
    if unknown:
        return [f"opening names {', '.join(unknown)} are not ledger names of the pack "
                f"({', '.join(sorted(names)) or 'none'})"]
    opening = {userid: {n: to_decimal(v) for n, v in case.opening.items()}}
    result, _ = compute(_with_parameters(pack, case.parameters), parse_month(case.month),
                        roster, records, leaves, opening)
    return _compare(result.employees[0], case.expect)


def _with_parameters(pack: Pack, values: dict[str, str]) -> Pack:
    """The pack with some parameters replaced by one value in force since ever."""
    if not values:
        return pack
    unknown = sorted(set(values) - set(pack.parameters))
    if unknown:
        raise ValueError(f"case sets unknown parameters {', '.join(unknown)}")
    params = dict(pack.parameters)
    for name, value in values.items():
        params[name] = params[name].model_copy(update={"values": {date.min: value}})
    return replace(pack, parameters=params)


def load_cases(path: Path) -> CaseFile:
    doc = read_doc(path)
    try:
        return CaseFile.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise Where(doc, tuple(err["loc"])).error(
            f"{err['msg']} (at {'.'.join(map(str, err['loc']))})",
            key=err["type"] == "extra_forbidden") from exc


def run_cases(pack: Pack) -> CaseReport:
    """Run every case file the pack names (or ``<pack>.cases.yaml`` beside it)."""
    results = []
    for path in pack.case_files:
        if not path.is_file():
            raise RulePackError("case file not found", path=str(path))
        cases = load_cases(path)
        for case in cases.cases:
            try:
                diffs = run_case(pack, case, cases.leave_types)
            except (ConfigError, ValidationError, ValueError) as exc:
                diffs = [f"case cannot run: {exc}"]
            results.append(CaseResult(file=path.name, name=case.name,
                                      differences=tuple(diffs)))
    return CaseReport(pack=pack.info.name, results=tuple(results))
