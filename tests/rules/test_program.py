"""The pack specialised for a period: folded formulas and fused input reading must give
exactly what the plain evaluation gives (the rule closures: test_closures.py)."""

import decimal
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EvaluationError
from engine.period import parse_month
from engine.rules.formula import compile_formula, specialise
from engine.rules.inputs import Facts, compile_source, reader, zeros
from engine.rules.closures import CONTEXT
from engine.rules.loader import load_pack
from engine.rules.program import Program
from engine.wecom.models import MonthRecord

RULES = Path(__file__).resolve().parents[2] / "rules"
PACKS = [RULES / "cn-default.yaml", *sorted(p for p in (RULES / "examples").glob("*.yaml")
                                            if not p.name.endswith(".cases.yaml"))]
SEPT = parse_month("2025-09")
_packs = {path: load_pack(path) for path in PACKS}


def _formulas(pack):
    yield from (f for _, f in pack.variables)
    for rule in pack.rules:
        yield from rule.formulas.values()
        yield from (f for table in rule.item_values.values() for f in table.values())
    yield from (c.when for c in pack.checks)


def _outcome(fn, env):
    """The value with its exact digits (``1.0`` is not ``1.00``), or the error."""
    with decimal.localcontext(CONTEXT):
        try:
            value = fn(env)
        except (EvaluationError, ArithmeticError) as exc:
            return type(exc), str(exc)
    return type(value), str(value)


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.name)
@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.decimals(min_value=-1000, max_value=100000, places=3), min_size=8,
                       max_size=8))
def test_specialised_formulas_equal_plain_ones(path, values):
    pack = _packs[path]
    fixed = Program(pack, SEPT).base
    constants = {n: v for n, v in fixed.items() if n in pack.parameters
                 or n in ("calendar_days", "work_days", "holiday_days")}
    for i, formula in enumerate(_formulas(pack)):
        env = dict(fixed)
        env.update({n: values[(i + j) % len(values)] for j, n in
                    enumerate(sorted(formula.names - constants.keys()))})
        fast = specialise(formula, constants, CONTEXT)
        assert _outcome(fast, env) == _outcome(formula.fn, env), formula.source


@pytest.mark.parametrize(("text", "names"), [
    ("x / (RATE - 2)", {"x": Decimal(5)}),
    ("x % (RATE - 2)", {"x": Decimal(5)}),
    ("RATE * 3 + x if RATE > 1 else x", {"x": Decimal("0.5")}),
    ("max(x, RATE) - min(RATE, 1, x)", {"x": Decimal("2.5")}),
    ("round(x / RATE, 2) + floor(x, RATE) + ceil(x, 0.5)", {"x": Decimal("7.3")}),
    ("1 < RATE <= x and not x == 3", {"x": Decimal(3)}),
    ("(RATE - 1) ** 2 - -x", {"x": Decimal(-1)}),
])
def test_folding_keeps_values_and_errors(text, names):
    formula = compile_formula(text)
    env = {"RATE": Decimal(2), **names}
    fast = specialise(formula, {"RATE": Decimal(2)}, CONTEXT)
    assert _outcome(fast, env) == _outcome(formula.fn, env)


def test_constant_division_by_zero_fails_at_each_evaluation():
    fast = specialise(compile_formula("x / (RATE - 2)"), {"RATE": Decimal(2)}, CONTEXT)
    for _ in range(2):
        with pytest.raises(EvaluationError, match=r"division by zero: \(RATE - 2\) = 0|"
                                                  r"division by zero: RATE - 2 = 0"):
            fast({"x": Decimal(1)})


RECORD = {
    "exception_infos": [{"exception": 1, "count": 2, "duration": 600},
                        {"exception": 4, "count": 1, "duration": 7200}],
    "sp_items": [{"type": 3, "count": 1, "duration": 172800, "time_type": 0, "name": "出差"}],
    "overwork_info": {"workday_over_sec": 10800, "workdays_over_as_money": 3600,
                      "restdays_over_sec": 3600, "restdays_over_as_money": 7200},
    "summary_info": {"regular_work_sec": 36000},
}
SOURCES = [("ot_h", "overtime.workday.money", "h"), ("un_h", "overtime.all.unsplit", "h"),
           ("bank", "overtime.restday.bank", "sec"), ("late", "exception.late.count", "count"),
           ("late_m", "exception.late.duration", "min"), ("early", "exception.2.count", "count"),
           ("trip", "sp.trip.duration", "day"), ("work", "summary_info.regular_work_sec", "h")]


@pytest.mark.parametrize("policy", ["flag", "pay_remainder", "bank_remainder"])
def test_reader_equals_each_extractor(policy):
    inputs = tuple((n, compile_source(s, u)) for n, s, u in SOURCES)
    read = reader(inputs)
    empty = MonthRecord.model_validate({"overwork_info": {"workday_over_sec": 3600}})
    for data in (RECORD, empty, RECORD):  # the second pass answers from the memo
        record = MonthRecord.model_validate(data) if isinstance(data, dict) else data
        env = zeros(inputs)
        read(Facts(record, {}, False, policy), env)
        want = {n: x(Facts(record, {}, False, policy)) for n, x in inputs}
        assert env == want
        assert {n: str(v) for n, v in env.items()} == {n: str(v) for n, v in want.items()}
