"""Open a month from the previous closing, close it from the month's movements.

Pure functions around compute: ``open_month`` (before compute) applies the yearly reset
in January and the expiry of old comp time and gives the rules their opening values;
``close_month`` (after compute) adds the movements the pack's ledger formulas computed
(``EmployeeResult.ledger``) and returns the closing rows and each employee's balances.

Comp time is kept in lots by the month it was banked in. At the start of month M the
hours of a lot banked in month O expire when O + expire_months < M (they could be taken
up to the end of month O + expire_months); then the month's use and settlement take the
oldest lots first, and the hours banked this month become lot M (first filling any
overdrawn lot). An employee not computed this month (error, missing, off the roster)
keeps every balance unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from engine.ledger.models import LOT, Ledger, Row, row
from engine.period import Period
from engine.problems import Problem, warning
from engine.rules.lines import Balance, EmployeeResult, PayrollResult, Status

ZERO = Decimal(0)
STAGE = "ledger"
ROWS_PER_BATCH = 5000  # closing rows packed together (a dozen or so per employee)


def month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class Books:
    """The month's opening: per userid and key the opening value (lots as ``K@YYYY-MM``),
    the hours expiring now per comp-time lot, and the names the rules read."""

    month: str
    keys: tuple = ()  # CompiledKey of the pack
    expire_months: dict[str, int] = field(default_factory=dict)
    opening: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    expired: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def env(self) -> dict[str, dict[str, Decimal]]:
        """userid → ``ledger.KEY`` / ``ytd.NAME`` / ``expired.KEY`` for ``compute``."""
        out = {}
        for userid, values in self.opening.items():
            names: dict[str, Decimal] = {}
            for key in self.keys:
                value = values.get(key.key, ZERO)
                names[f"ledger.{key.key}"] = value
                if key.spec.yearly and key.key.startswith("ytd_"):
                    names[f"ytd.{key.key.removeprefix('ytd_')}"] = value
                if key.spec.kind == "comp_time":
                    names[f"expired.{key.key}"] = sum(
                        self.expired.get(userid, {}).values(), ZERO)
            out[userid] = names
        return out


def _lots(values: Mapping[str, Decimal], key: str) -> dict[str, Decimal]:
    prefix = key + LOT
    return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}


def open_month(previous: Mapping[str, Mapping[str, Decimal]] | None, keys: Sequence,
               expire_months: Mapping[str, int], period: Period) -> Books:
    """This month's opening from the previous closing (userid → key → closing)."""
    books = Books(month=period.month, keys=tuple(keys), expire_months=dict(expire_months))
    january = period.month.endswith("-01")
    now = month_index(period.month)
    for userid, values in (previous or {}).items():
        opening: dict[str, Decimal] = {}
        for key in keys:
            if key.spec.yearly and january:
                continue
            if key.spec.kind == "comp_time":
                lots = _lots(values, key.key)
                total = values.get(key.key, ZERO)
                if not lots and total:  # an import without lots: banked last month
                    lots = {month_name(now - 1): total}
                opening.update({f"{key.key}{LOT}{m}": v for m, v in lots.items()})
                opening[key.key] = sum(lots.values(), ZERO)
                months = expire_months.get(key.key, 0)
                gone = {m: v for m, v in lots.items()
                        if months and v > 0 and month_index(m) + months < now}
                if gone:
                    books.expired.setdefault(userid, {}).update(gone)
            elif key.key in values:
                opening[key.key] = values[key.key]
        books.opening[userid] = opening
    return books


def _take(lots: dict[str, Decimal], hours: Decimal, month: str) -> Decimal:
    """Use ``hours`` from the oldest positive lots; what they cannot cover is returned."""
    for origin in sorted(lots):
        if hours <= 0:
            break
        if lots[origin] > 0:
            used = min(lots[origin], hours)
            lots[origin] -= used
            hours -= used
    return hours


def _bank(lots: dict[str, Decimal], hours: Decimal, month: str) -> None:
    """Banked hours first fill overdrawn lots (oldest first), the rest is lot ``month``."""
    for origin in sorted(lots):
        if hours <= 0:
            break
        if lots[origin] < 0:
            filled = min(-lots[origin], hours)
            lots[origin] += filled
            hours -= filled
    if hours:
        lots[month] = lots.get(month, ZERO) + hours


def move_comp(lots: Mapping[str, Decimal], expired: Mapping[str, Decimal], banked: Decimal,
              used: Decimal, settled: Decimal, month: str) -> tuple[dict[str, Decimal], Decimal]:
    """Closing lots after expiry, use, settlement and banking; and the overdrawn hours."""
    out = {m: v for m, v in lots.items() if m not in expired}
    short = _take(out, used + settled, month)
    if short > 0:
        out[month] = out.get(month, ZERO) - short
    _bank(out, banked, month)
    return {m: v for m, v in out.items() if v}, max(short, ZERO)


def _comp_rows(userid: str, key, opening: Mapping[str, Decimal], expired: Mapping[str, Decimal],
               moves: Mapping[str, Decimal], month: str) -> tuple[list[Row], Balance, list[Problem]]:
    k = key.key
    lots = _lots(opening, k)
    banked, used = moves.get(f"{k}.banked", ZERO), moves.get(f"{k}.used", ZERO)
    settled = moves.get(f"{k}.settled", ZERO)
    closing, short = move_comp(lots, expired, banked, used, settled, month)
    unit = key.spec.unit
    start, end = sum(lots.values(), ZERO), sum(closing.values(), ZERO)
    rows = [row(userid=userid, key=k, unit=unit, opening=start, change=end - start, closing=end)]
    for origin in sorted(set(lots) | set(closing)):
        a, b = lots.get(origin, ZERO), closing.get(origin, ZERO)
        rows.append(row(userid=userid, key=f"{k}{LOT}{origin}", unit=unit, opening=a,
                        change=b - a, closing=b))
    gone = sum(expired.values(), ZERO)
    balance = Balance(key=k, label=key.spec.label, label_en=key.spec.label_en, unit=unit,
                      opening=start, change=end - start, closing=end,
                      parts={"banked": banked, "used": used, "settled": settled,
                             "expired": gone})
    problems = []
    if short:
        problems.append(warning(STAGE, "comp_overdrawn", f"{k}: {short} h of comp time taken "
                                f"beyond the balance of {start - gone} h (a first month "
                                f"without --opening has none); the ledger carries {-short} h",
                                userid=userid, field=k))
    return rows, balance, problems


def _employee_rows(userid: str, books: Books, moves: Mapping[str, Decimal] | None
                   ) -> tuple[list[Row], list[Balance], list[Problem]]:
    """Rows of one employee; ``moves`` None means carried unchanged (not computed)."""
    opening = books.opening.get(userid, {})
    rows: list[Row] = []
    balances: list[Balance] = []
    problems: list[Problem] = []
    for key in books.keys:
        if key.spec.kind == "comp_time":
            if moves is None:  # carried: nothing used, banked or expired
                expired, moves_k = {}, {}
            else:
                expired, moves_k = books.expired.get(userid, {}), moves
            found, balance, probs = _comp_rows(userid, key, opening, expired, moves_k,
                                               books.month)
            rows += found
            problems += probs
        else:
            start = opening.get(key.key, ZERO)
            change = ZERO if moves is None else moves.get(key.key, ZERO)
            rows.append(row(userid=userid, key=key.key, unit=key.spec.unit, opening=start,
                            change=change, closing=start + change))
            balance = Balance(key=key.key, label=key.spec.label, label_en=key.spec.label_en,
                              unit=key.spec.unit, opening=start, change=change,
                              closing=start + change)
        if key.spec.payslip:
            balances.append(balance)
    return rows, balances, problems


def close_month(books: Books, result: PayrollResult) -> tuple[Ledger, PayrollResult, list[Problem]]:
    """Closing rows for every roster employee (then every earlier employee no longer on
    the roster, carried unchanged while any balance is not 0), and the result with each
    computed employee's payslip balances. The rows of one employee are consecutive, in
    the result's order; a packed result (``engine.rules.packed``) gets packed rows."""
    from engine.rules.packed import Packed, remap

    rows: list[Row] | Packed = (Packed(batch=ROWS_PER_BATCH)
                                if isinstance(result.employees, Packed) else [])
    keep = rows.append if isinstance(rows, list) else rows.add
    problems: list[Problem] = []
    on_roster: set[str] = set()

    def closed(emp: EmployeeResult) -> EmployeeResult:
        moves = emp.ledger if emp.status is Status.OK else None
        found, balances, probs = _employee_rows(emp.userid, books, moves)
        for one in found:
            keep(one)
        problems.extend(probs)
        on_roster.add(emp.userid)
        return emp.model_copy(update={"balances": tuple(balances)}) if balances else emp

    employees = remap(result.employees, closed)
    for userid in sorted(set(books.opening) - on_roster):
        found, _, _ = _employee_rows(userid, books, None)
        if any(r.closing for r in found):
            for one in found:
                keep(one)
    ledger = (Ledger(month=books.month, rows=tuple(rows)) if isinstance(rows, list)
              else Ledger.model_construct(month=books.month, rows=rows.done()))
    return ledger, result.model_copy(update={"employees": employees}), problems
