"""Benchmark of the compute stage: cn-default over synthetic employees on one core.

Prints employees per second for the engine and for a hand-written Decimal
implementation of the same rules measured in the same run, their ratio, and the peak
memory of the engine run. A second baseline codes the same rules by hand but builds the
result models the engine returns (a trace and line per line, totals, a result per
employee): no engine with this output can be faster, so it shows what interpretation
costs and what the models alone cost on this machine. Times are CPU time of this process (``time.process_time``):
the machine may be shared, and wall time would count the other processes too. Usage: ``python benchmarks/rules_bench.py [N] [CHUNK]``
(defaults: 100000 employees, computed in chunks of 10000 so results of one chunk can be
written before the next, as a run would).
"""

from __future__ import annotations

import gc
import random
import resource
import sys
import time
import tracemalloc
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.period import parse_month  # noqa: E402
from engine.roster import parse_rows  # noqa: E402
from engine.rules.apply import compute  # noqa: E402
from engine.rules.lines import Category, EmployeeResult, LineItem, Status, Totals, Trace  # noqa: E402,E501
from engine.rules.loader import load_pack  # noqa: E402
from engine.rules.closures import build_all  # noqa: E402
from engine.wecom.models import LeaveType, MonthRecord  # noqa: E402

LEAVES = [LeaveType(id=2, name="年假"), LeaveType(id=3, name="事假"),
          LeaveType(id=4, name="病假")]


def synthetic(n: int, seed: int = 7) -> tuple[list[dict], dict[str, MonthRecord]]:
    rnd = random.Random(seed)
    rows, records = [], {}
    for i in range(n):
        uid = f"u{i:06d}"
        salary = f"{rnd.randint(3000, 40000)}.{rnd.randint(0, 99):02d}"
        hourly = "" if rnd.random() < 0.9 else str(rnd.randint(20, 90))
        rows.append({"userid": uid, "monthly_salary": salary, "hourly_rate": hourly})
        work, rest = rnd.choice((0, 0, 3600, 18000, 54000)), rnd.choice((0, 0, 28800, 172800))
        items = []
        if rnd.random() < 0.2:
            items.append({"type": 1, "vacation_id": rnd.choice((2, 3, 4)), "count": 1,
                          "duration": 86400 * rnd.randint(1, 3), "time_type": 0})
        records[uid] = MonthRecord.model_validate({
            "base_info": {"acctid": uid, "name": f"员工{i}"},
            "exception_infos": [{"exception": 1, "count": rnd.randint(0, 3), "duration": 600},
                                {"exception": 4, "count": 1,
                                 "duration": rnd.choice((0, 0, 0, 3600, 28920))}],
            "sp_items": items,
            "overwork_info": {"workday_over_sec": work, "workdays_over_as_money": work,
                              "restdays_over_sec": rest, "restdays_over_as_money": rest}})
    return rows, records


CENT, ONE = Decimal("0.01"), Decimal(1)


HALF_FENS, TIE = Decimal(200), Decimal("1e-10")


def fen(v: Decimal) -> Decimal:
    """Half-up to the fen, a half-fen tie lost to 28 digits (2175.02499…) taken as the tie."""
    halves = v * HALF_FENS
    nearest = halves.to_integral_value()
    if abs(halves - nearest) <= TIE:
        v = nearest / HALF_FENS
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


def rates(row: dict) -> tuple[Decimal, Decimal, Decimal]:
    """Monthly salary, hourly rate and day wage (a roster hourly rate overrides)."""
    salary = Decimal(row["monthly_salary"])
    if row["hourly_rate"]:
        hourly = Decimal(row["hourly_rate"])
        return salary, hourly, hourly * 8
    day = salary / Decimal("21.75")
    return salary, day / 8, day


def hand_written(rows: list[dict], records: dict[str, MonthRecord]) -> list[tuple]:
    """The same money rules as cn-default, coded directly: the baseline."""
    names = {lt.id: lt.name for lt in LEAVES}
    out = []
    for row in rows:
        rec = records[row["userid"]]
        salary, hourly, day = rates(row)
        ow = rec.overwork_info
        lines = [("BASE_SALARY", salary)]
        for code, secs, mult in (("OT_WORKDAY", ow.workdays_over_as_money, Decimal("1.5")),
                                 ("OT_RESTDAY", ow.restdays_over_as_money, Decimal(2)),
                                 ("OT_HOLIDAY", ow.holidays_over_as_money, Decimal(3))):
            if secs:
                lines.append((code, fen(Decimal(secs) / 3600 * hourly * mult)))
        absent = sum(e.duration for e in rec.exception_infos if e.exception == 4)
        deducted = Decimal(0)
        if absent:
            amount = fen(min(Decimal(absent) / 3600 * hourly, max(Decimal(0), salary - deducted)))
            deducted += amount
            lines.append(("DED_ABSENT", -amount))
        for item in rec.sp_items:
            name = names.get(item.vacation_id, item.name)
            days = Decimal(item.duration) / 86400
            if name == "病假":
                amount = fen(min(days * day * Decimal("0.2"),
                                 max(Decimal(0), salary - deducted - Decimal("2192"))))
                deducted += amount
                lines.append(("DED_SICK_LEAVE", -amount))
            elif name == "事假":
                amount = fen(min(days * day, max(Decimal(0), salary - deducted)))
                deducted += amount
                lines.append(("DED_PERSONAL_LEAVE", -amount))
        earnings = sum(a for _, a in lines if a > 0)
        out.append((row["userid"], lines, earnings, -deducted, earnings - deducted))
    return out


def hand_written_models(rows: list[dict], records: dict[str, MonthRecord]) -> list:
    """The same rules coded directly, building the result models the engine returns.

    A floor for any engine with this output: one ``Trace`` and ``LineItem`` per line and
    ``Totals`` and ``EmployeeResult`` per employee, made the engine's cheapest way
    (``build_all``, no validation), with no formula interpretation, checks or leave
    matching. The engine's time over this one is what interpretation costs.
    """
    names = {lt.id: lt.name for lt in LEAVES}
    hundred = {"monthly_salary": Decimal(0)}
    out = []
    for row, emp in rows:
        uid, rec = row["userid"], records[row["userid"]]
        salary, hourly, day = rates(row)
        made = []

        def line(code: str, qty: Decimal, rate: Decimal, mult: Decimal, raw: Decimal,
                 amount: Decimal, category: Category = Category.EARNING) -> Decimal:
            trace = build_all(Trace, {"rule": code, "formula": "", "inputs": {"q": qty},
                                      "parameters": hundred, "unrounded": raw,
                                      "rounding": "half_up 0.01", "notes": ()})
            made.append(build_all(LineItem, {
                "userid": uid, "code": code, "category": category, "label": code,
                "label_en": code, "quantity": qty, "unit": "h", "rate": rate,
                "multiplier": mult, "amount": amount, "item": "", "trace": trace}))
            return amount

        earnings = line("BASE_SALARY", ONE, salary, ONE, salary, fen(salary))
        ow = rec.overwork_info
        for code, secs, mult in (("OT_WORKDAY", ow.workdays_over_as_money, Decimal("1.5")),
                                 ("OT_RESTDAY", ow.restdays_over_as_money, Decimal(2)),
                                 ("OT_HOLIDAY", ow.holidays_over_as_money, Decimal(3))):
            if secs:
                hours = Decimal(secs) / 3600
                raw = hours * hourly * mult
                earnings += line(code, hours, hourly, mult, raw, fen(raw))
        deducted = Decimal(0)
        absent = sum(e.duration for e in rec.exception_infos if e.exception == 4)
        if absent:
            hours = Decimal(absent) / 3600
            raw = min(hours * hourly, max(Decimal(0), salary - deducted))
            deducted -= line("DED_ABSENT", hours, hourly, ONE, raw, -fen(raw), Category.DEDUCTION)
        for item in rec.sp_items:
            name, days = names.get(item.vacation_id, item.name), Decimal(item.duration) / 86400
            if name in ("病假", "事假"):
                sick = name == "病假"
                floor = salary + deducted - (Decimal("2192") if sick else 0)
                raw = min(days * day * (Decimal("0.2") if sick else ONE), max(Decimal(0), floor))
                deducted -= line(name, days, day, ONE, raw, -fen(raw), Category.DEDUCTION)
        late = sum(e.count for e in rec.exception_infos if e.exception == 1)
        if late:
            line("INFO_LATE", Decimal(late), Decimal(0), ONE, Decimal(0), Decimal(0),
                 Category.INFO)
        totals = build_all(Totals, {"earnings": earnings, "deductions": -deducted,
                                    "net": earnings - deducted, "comp_hours": Decimal(0)})
        out.append(build_all(EmployeeResult, {
            "userid": uid, "name": "", "status": Status.OK, "lines": tuple(made),
            "totals": totals, "problems": (), "record": rec, "roster": emp.columns}))
    return out


def timed(fn, *args):
    gc.collect()
    start = time.process_time()
    result = fn(*args)
    return result, time.process_time() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    chunk = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    pack = load_pack(ROOT / "rules" / "cn-default.yaml")
    period = parse_month("2025-09")
    rows, records = synthetic(n)
    roster, _ = parse_rows(rows, "synthetic")
    employees = roster.employees

    def engine_run() -> tuple[int, int]:
        ok = checksum = 0
        for start in range(0, n, chunk):
            part = roster.model_copy(update={"employees": employees[start:start + chunk]})
            result, _ = compute(pack, period, part, records, LEAVES)
            ok += sum(1 for e in result.employees if e.status.value == "ok")
            checksum += sum(e.totals.net for e in result.employees)
        return ok, checksum

    def floor_run() -> Decimal:
        """``hand_written_models`` in the engine's chunks, each dropped after its sum."""
        pairs, checksum = list(zip(rows, employees)), Decimal(0)
        gc.disable()  # as the engine does while it builds results (they hold no cycles)
        try:
            for start in range(0, n, chunk):
                checksum += sum(e.totals.net for e in
                                hand_written_models(pairs[start:start + chunk], records))
        finally:
            gc.enable()
        return checksum

    baseline, t_base = timed(hand_written, rows, records)
    floor_net, t_floor = timed(floor_run)
    (ok, net), t_engine = timed(engine_run)
    base_net = sum(x[4] for x in baseline)
    tracemalloc.start()
    first = roster.model_copy(update={"employees": employees[:chunk]})
    compute(pack, period, first, records, LEAVES)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"employees: {n} (chunks of {chunk}), ok: {ok}")
    print(f"net totals agree with the hand-written rules: {net == base_net}")
    print(f"hand-written Decimal: {n / t_base:,.0f} employees/s ({t_base:.2f} s)")
    print(f"hand-written + result models: {n / t_floor:,.0f} employees/s ({t_floor:.2f} s); "
          f"nets agree: {floor_net == base_net}")
    print(f"engine (cn-default):  {n / t_engine:,.0f} employees/s ({t_engine:.2f} s)")
    print(f"ratio engine/hand-written time: {t_engine / t_base:.1f}x")
    print(f"ratio engine/hand-written-with-models time: {t_engine / t_floor:.1f}x")
    print(f"peak traced memory of one {chunk}-employee compute: {peak / 2**20:.0f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS of the process (inputs, baseline and results included): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
