"""A simulated year of 12 chained months, and an oracle for its ledger.

The oracle is written from the documented rules (rules/README.md, the ledger section
and cn-default.yaml's comments), not from the engine: comp time is banked from the
overtime WeCom reports as time off (workday and rest day), used by leave of a type
flagged ``is_newovertime`` (hour-unit items in hours, day-unit items × 8 h), kept in
lots by month, expiring 6 months after the month banked (lot O expires at the start of
month M when O + 6 < M) and paid out in full when the employee leaves; year-to-date
figures add the month's gross pay (earnings less attendance deductions: the 收入 of the
income tax) and count the months paid, from 0 each January.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from engine.pipeline import default_pack, run_month
from engine.wecom.snapshot import load_snapshot
from engine.wecom.simulator import SimConfig, Simulator
from tests.wecom.sim_helpers import sim_settings

YEAR = 2026
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
EMPLOYEES = 56
EXPIRY = 6
ZERO = Decimal(0)


def employment(index: int) -> tuple[str, str]:
    """hire_date, leave_date of the index-th simulated employee (joiners and leavers
    spread over the year; some join and leave in the same year)."""
    hire = f"{YEAR}-{index % 12 + 1:02d}-17" if index % 7 == 3 else ""
    leave = f"{YEAR}-{(index * 5) % 12 + 1:02d}-03" if index % 9 == 4 else ""
    if hire and leave and leave < hire:
        leave = ""
    return hire, leave


def employed_in(row: dict[str, str], month: str) -> bool:
    hire, leave = row.get("hire_date", ""), row.get("leave_date", "")
    return (not hire or hire[:7] <= month) and (not leave or leave[:7] >= month)


def year_rows(sim: Simulator) -> list[dict[str, str]]:
    rows = []
    for index, row in enumerate(sim.company.roster_rows()):
        hire, leave = employment(index)
        row = {**row, "hire_date": hire, "leave_date": leave, "employment_type": "salaried"}
        if index % 13 == 5:  # hourly staff in the same run
            row.update(employment_type="hourly", monthly_salary="", hourly_rate="32.50")
        rows.append(row)
    return rows


def write_roster(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def month_roster(folder: Path, rows: list[dict[str, str]], month: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_roster(folder / f"roster-{month}.csv", [r for r in rows if employed_in(r, month)])


def run_year(root: Path, sim: Simulator, rows: list[dict[str, str]], months=MONTHS, *,
             opening: Path | None = None, payslips_for: tuple[str, ...] = ()) -> dict[str, Path]:
    """Run the months as a chain in ``root/<month>`` (the previous month found beside)."""
    settings = sim_settings(sim)
    runs = {}
    for n, month in enumerate(months):
        roster = month_roster(root / "rosters", rows, month)
        out = root / month
        run_month(month, roster, default_pack(), out, settings=settings, company="有家企业",
                  opening=opening if n == 0 else None, payslips=month in payslips_for)
        runs[month] = out
    return runs


def simulator() -> Simulator:
    return Simulator(SimConfig(employees=EMPLOYEES, seed=11, window_seconds=2.0))


# --- the oracle -------------------------------------------------------------------------


@dataclass
class Person:
    lots: dict[str, Decimal] = field(default_factory=dict)
    ytd_income: Decimal = ZERO
    ytd_months: int = 0
    banked: Decimal = ZERO
    used: Decimal = ZERO
    expired: Decimal = ZERO


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:]) - 1


def comp_month(run_dir: Path) -> dict[str, tuple[Decimal, Decimal]]:
    """userid → (hours banked, hours of comp time taken), read from the raw snapshot."""
    snapshot = load_snapshot(run_dir)
    comp_types = {t.id for t in snapshot.leave_types if t.is_newovertime == 1}
    out = {}
    for userid, record in snapshot.records.items():
        info = record.overwork_info
        banked = Decimal(info.workdays_over_as_vacation + info.restdays_over_as_vacation) / 3600
        used = ZERO
        for item in record.sp_items:
            if item.type == 1 and item.vacation_id in comp_types:
                used += (Decimal(item.duration) / 3600 if item.time_type == 1
                         else Decimal(item.duration) / 86400 * 8)
        out[userid] = (banked, used)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def oracle_month(people: dict[str, Person], month: str, run_dir: Path,
                 rows: list[dict[str, str]]) -> None:
    """Move every person's balances through ``month`` by the documented rules."""
    if month.endswith("-01"):
        for person in people.values():
            person.ytd_income, person.ytd_months = ZERO, 0
    status = {r["userid"]: r for r in read_csv(run_dir / "results" / "employees.csv")}
    comp = comp_month(run_dir)
    leaving = {r["userid"] for r in rows if r.get("leave_date", "")[:7] == month}
    for userid, emp in status.items():
        person = people.setdefault(userid, Person())
        if emp["status"] != "ok":
            continue
        person.ytd_income += Decimal(emp["earnings"]) + Decimal(emp["deductions"])
        person.ytd_months += 1
        banked, used = comp.get(userid, (ZERO, ZERO))
        expired = sum((v for o, v in person.lots.items()
                       if v > 0 and _index(o) + EXPIRY < _index(month)), ZERO)
        person.lots = {o: v for o, v in person.lots.items()
                       if not (v > 0 and _index(o) + EXPIRY < _index(month))}
        balance = sum(person.lots.values(), ZERO)
        settled = max(ZERO, balance - used + banked) if userid in leaving else ZERO
        take = used + settled
        for origin in sorted(person.lots):
            if person.lots[origin] > 0 and take > 0:
                part = min(person.lots[origin], take)
                person.lots[origin] -= part
                take -= part
        if take > 0:
            person.lots[month] = person.lots.get(month, ZERO) - take
        give = banked
        for origin in sorted(person.lots):
            if person.lots[origin] < 0 and give > 0:
                part = min(-person.lots[origin], give)
                person.lots[origin] += part
                give -= part
        if give:
            person.lots[month] = person.lots.get(month, ZERO) + give
        person.lots = {o: v for o, v in person.lots.items() if v}
        person.banked += banked
        person.used += used
        person.expired += expired


def expected_closing(people: dict[str, Person]) -> dict[tuple[str, str], Decimal]:
    out = {}
    for userid, p in people.items():
        out[userid, "comp_h"] = sum(p.lots.values(), ZERO)
        out.update({(userid, f"comp_h@{o}"): v for o, v in p.lots.items()})
        out[userid, "ytd_income"] = p.ytd_income
        out[userid, "ytd_months"] = Decimal(p.ytd_months)
    return out
