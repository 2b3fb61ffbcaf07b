"""The synthetic company behind the simulator: directory, leave types and roster.

Start of the simulated world. ``make_company`` builds, from ``(employees, seed)`` alone,
a department tree, directory users (some in several departments, a few with rare
characters in their names), the approval app's leave types and a roster that matches the
directory. Month records are not stored: ``Company.month_record`` derives each one on
demand from ``(seed, userid, starttime)`` (see ``month.py``) so a company of 100,000
people is cheap to build and every answer is reproducible.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import random
from dataclasses import dataclass, field
from operator import mul
from datetime import date, timedelta
from pathlib import Path
from typing import Sequence

from engine.files import atomic_write
from engine.period import DEFAULT_TZ
from engine.wecom.example import EXAMPLE_RECORD
from engine.wecom.simulator import month
from engine.wecom.simulator.names import draw_name

ROOT_NAME = "有家企业"
EXAMPLE_USERID = "ZhangSan"
EXAMPLE_SALARY = "8700.00"

# Level-1 departments and the names their sub-departments draw from.
_LEVEL1: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("研发中心", ("平台组", "后端组", "前端组", "测试组", "数据组", "算法组", "运维组", "移动组")),
    ("销售部", ("华东区", "华南区", "华北区", "西南区", "大客户部", "渠道部")),
    ("生产部", ("一车间", "二车间", "三车间", "质检科", "仓储科", "设备科")),
    ("财务部", ("会计组", "出纳组")),
    ("人力资源部", ("招聘组", "薪酬组")),
    ("行政部", ()),
    ("部门A4", ()),
    ("realempty", ()),
)
_TEAMS = ("一组", "二组", "三组", "四组", "五组", "六组")

# (groupid, groupname, record_type) of the check-in rules; chosen by level-1 department.
_CENTRE = {name: n + 1 for n, (name, _) in enumerate(_LEVEL1)}

_RULES = {
    "销售部": (3, "自由签到-销售", 4),
    "生产部": (2, "排班-生产", 3),
}
_DEFAULT_RULE = (1, "固定上下班-总部", 1)


@dataclass(frozen=True, slots=True)
class Department:
    id: int
    parentid: int
    order: int
    name: str
    path: str  # "/"-joined names from the root, as departs_name shows it


@dataclass(frozen=True, slots=True)
class User:
    userid: str
    name: str
    name_ex: str
    department: tuple[int, ...]
    visible: bool = True
    record_type: int = 1
    groupid: int = 1
    groupname: str = ""


@dataclass
class Company:
    """Deterministic for ``(employees, seed)``; answers built lazily per user."""

    seed: int
    departments: list[Department]
    users: list[User]
    departed: tuple[str, ...] = ()
    leave_types: list[dict] = field(default_factory=lambda: copy.deepcopy(month.LEAVE_TYPES))
    _by_id: dict[str, User] = field(default_factory=dict, repr=False)
    _dept: dict[int, Department] = field(default_factory=dict, repr=False)
    _nocase: dict[str, User] = field(default_factory=dict, repr=False)
    _children: dict[int, list[int]] = field(default_factory=dict, repr=False)
    _members: dict[int, list[User]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {u.userid: u for u in self.users}
        self._dept = {d.id: d for d in self.departments}
        # Built eagerly: the server reads them from many threads at once.
        self._nocase = {u.userid.lower(): u for u in reversed(self.users)}
        for d in self.departments[1:]:
            self._children.setdefault(d.parentid, []).append(d.id)
        for u in self.users:
            for dept in u.department:
                self._members.setdefault(dept, []).append(u)

    def user(self, userid: str) -> User | None:
        return self._by_id.get(userid)

    def department(self, dept_id: int) -> Department | None:
        return self._dept.get(dept_id)

    def user_nocase(self, userid: str) -> User | None:
        """Directory lookup ignoring case, as WeCom does for message recipients."""
        return self._nocase.get(userid.lower())

    def subtree(self, dept_id: int) -> list[int]:
        """``dept_id`` and every department below it, parents before children."""
        out = [dept_id]
        for current in out:  # a tree: each department is appended once, so this ends
            out.extend(self._children.get(current, ()))
        return out

    def members(self, dept_id: int) -> list[User]:
        """Users listed under ``dept_id`` (a user in several departments is in each)."""
        return self._members.get(dept_id, [])

    def departs_name(self, user: User) -> str:
        return ";".join(self._dept[d].path for d in user.department)

    def month_record(self, userid: str, starttime: int, endtime: int,
                     tz: str = DEFAULT_TZ) -> dict:
        """The raw ``datas`` entry the API would answer for this user and span."""
        user = self._by_id.get(userid)
        if user is None:
            raise KeyError(f"{userid!r} is not in the directory")
        if user.userid == EXAMPLE_USERID:
            return copy.deepcopy(EXAMPLE_RECORD)
        return month.make_record(self.seed, user, self.departs_name(user), starttime, endtime, tz)

    def roster_rows(self) -> list[dict[str, str]]:
        """Roster matching the directory, plus the departed userids (not in the directory)."""
        # One sequential stream: cheaper than seeding a generator per person.
        rng = random.Random(f"{self.seed}|roster")
        rows = [_roster_row(self, rng, u, i) for i, u in enumerate(self.users)]
        for userid in self.departed:
            rng = random.Random(f"{self.seed}|departed|{userid}")
            name, _, _ = draw_name(rng, rare=False)
            ghost = User(userid=userid, name=name, name_ex="",
                         department=(rng.choice(self.departments[1:]).id,))
            rows.append(_roster_row(self, rng, ghost, -1))
        return rows

    def write_roster(self, path: Path) -> None:
        """CSV, UTF-8 with a header, written atomically."""
        rows = self.roster_rows()
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=list(ROSTER_COLUMNS), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write(Path(path), buffer.getvalue().encode("utf-8"))


ROSTER_COLUMNS = ("userid", "name", "department", "cost_centre", "monthly_salary",
                  "hourly_rate", "id_number", "email", "bank_account", "city", "id_type",
                  "child_education", "elderly_support", "housing_rent")


def make_company(employees: int, seed: int, *, departed: Sequence[str] = (),
                 invisible: int = 0) -> Company:
    """Build the company: ZhangSan from the API page first, then ``employees - 1`` others."""
    if employees < 1:
        raise ValueError("a company needs at least one employee (the API page's ZhangSan)")
    rng = random.Random(f"company|{seed}")
    departments = _departments(rng, employees)
    users = [_example_user(departments)]
    users += _users(rng, departments, employees - 1, reserved={*departed, EXAMPLE_USERID})
    if invisible:
        hidden = min(invisible, len(users) - 1)
        users[len(users) - hidden:] = [_hide(u) for u in users[len(users) - hidden:]]
    return Company(seed=seed, departments=departments, users=users, departed=tuple(departed))


def _hide(user: User) -> User:
    return User(user.userid, user.name, user.name_ex, user.department, False,
                user.record_type, user.groupid, user.groupname)


def _departments(rng: random.Random, employees: int) -> list[Department]:
    root = Department(1, 0, 100000000, ROOT_NAME, ROOT_NAME)
    depts = [root]
    pools: dict[int, tuple[str, ...]] = {}
    for n, (name, pool) in enumerate(_LEVEL1):
        dept = Department(len(depts) + 1, 1, 100000000 - (n + 1) * 1000, name, f"{ROOT_NAME}/{name}")
        depts.append(dept)
        pools[dept.id] = pool
    # About one department per 25 people, in up to four levels (root, centre, group, team).
    target = max(len(depts) + 6, employees // 25)
    used: dict[int, int] = {}
    while len(depts) < target:
        parent = rng.choice([d for d in depts[-40:] + depts[:len(_LEVEL1) + 1]
                             if pools.get(d.id)])
        k = used.get(parent.id, 0)
        used[parent.id] = k + 1
        pool = pools[parent.id]
        name = pool[k % len(pool)] + (str(k // len(pool) + 1) if k >= len(pool) else "")
        dept = Department(len(depts) + 1, parent.id, parent.order - k - 1, name,
                          f"{parent.path}/{name}")
        depts.append(dept)
        if parent.parentid == 1:  # groups get teams; teams stay leaves
            pools[dept.id] = _TEAMS
    return depts


def _example_user(departments: list[Department]) -> User:
    by_name = {d.name: d.id for d in departments if d.parentid in (0, 1)}
    return User(EXAMPLE_USERID, "张三", "Three Zhang",
                (by_name["realempty"], 1, by_name["部门A4"]), True, 1, 10, "规则测试")


def _rule(departments: list[Department], dept_id: int) -> tuple[int, str, int]:
    path = departments[dept_id - 1].path.split("/")
    return _RULES.get(path[1], _DEFAULT_RULE) if len(path) > 1 else _DEFAULT_RULE


def _users(rng: random.Random, departments: list[Department], count: int,
           reserved: set[str]) -> list[User]:
    # realempty stays empty apart from ZhangSan, like on the API page.
    homes = [d.id for d in departments if d.id != 1 and d.name != "realempty"]
    seen = {u.lower(): 1 for u in reserved}
    users = []
    for _ in range(count):
        name, alias, stem = draw_name(rng, rare=rng.random() < 0.01)
        n = seen.get(stem.lower(), 0) + 1
        seen[stem.lower()] = n
        userid = stem if n == 1 else f"{stem}{n}"
        home = rng.choice(homes)
        extra = rng.random()
        depts = (home,) if extra > 0.07 else (home, rng.choice(homes))
        if extra < 0.01:
            depts = depts + (1,)
        groupid, groupname, record_type = _rule(departments, home)
        users.append(User(userid, name, alias, tuple(dict.fromkeys(depts)), True,
                          record_type, groupid, groupname))
    return users


def _roster_row(company: Company, rng: random.Random, user: User,
                index: int) -> dict[str, str]:
    home = company.department(user.department[0])
    path = home.path.split("/") if home else [ROOT_NAME]
    salary = EXAMPLE_SALARY if user.userid == EXAMPLE_USERID else _salary(rng)
    # A couple of hourly workers keep the column from being dead weight.
    hourly = f"{rng.choice((25, 30, 35, 40, 45))}.00" if index in (3, 7) else ""
    return {
        "userid": user.userid, "name": user.name, "department": path[-1],
        "cost_centre": _cost_centre(path),
        "monthly_salary": salary, "hourly_rate": hourly,
        "id_number": _id_number(rng), "email": f"{user.userid.lower()}@example.com",
        "bank_account": bank_account(user.userid),
        **_tax_columns(company.seed, user.userid),
    }


def _tax_columns(seed: int, userid: str) -> dict[str, str]:
    """Work city, ID type and monthly special additional deductions (net-pay packs read
    them); drawn from a stream of their own so the other columns stay as they were."""
    rng = random.Random(f"{seed}|tax|{userid}")
    city = "上海" if userid == EXAMPLE_USERID else rng.choices(
        ("上海", "北京", "深圳", "广州"), (70, 15, 8, 7))[0]
    return {"city": city, "id_type": "居民身份证",
            "child_education": rng.choice(("", "", "", "2000", "4000")),
            "elderly_support": rng.choice(("", "", "", "1500", "3000")),
            "housing_rent": rng.choice(("", "", "", "", "1500"))}


def bank_account(userid: str) -> str:
    """A 16-digit card number with a valid Luhn check digit, from the userid alone (no draw
    from the roster's random stream, so the other columns stay as they were)."""
    digest = hashlib.sha256(f"bank|{userid}".encode()).hexdigest()
    body = "622588" + "".join(str(int(ch, 16) % 10) for ch in digest[:9])
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str(-total % 10)


def _cost_centre(path: list[str]) -> str:
    """One cost centre per level-1 department; people at the root book to head office."""
    return f"CC-{_CENTRE[path[1]]:02d}0" if len(path) > 1 else "CC-000"


def _salary(rng: random.Random) -> str:
    band = rng.random()
    low, high = (6000, 12000) if band < 0.55 else (12000, 25000) if band < 0.9 else (25000, 45000)
    if rng.random() < 0.85:
        return f"{rng.randrange(low, high, 100)}.00"
    cents = rng.randrange(low * 100, high * 100)
    return f"{cents // 100}.{cents % 100:02d}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_REGIONS = ("110101", "310104", "440305", "330106", "510107", "420102", "320102")


def _id_number(rng: random.Random) -> str:
    """A fake 18-digit resident ID with a valid ISO 7064 MOD 11-2 check digit."""
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(0, 38 * 365))
    body = (f"{rng.choice(_ID_REGIONS)}{born.year:04d}{born.month:02d}{born.day:02d}"
            f"{rng.randrange(0, 1000):03d}")
    check = "10X98765432"[sum(map(mul, map(int, body), _ID_WEIGHTS)) % 11]
    return body + check


