"""``payroll init``: a new company folder a payroll team can keep in version control.

Writes ``payroll.toml``, roster templates (CSV and XLSX, one example row per employee
type), ``rules/`` (a copy of cn-default with its cases, and ``company.yaml`` extending it
with commented examples and cases of its own) and a short README for the team. Nothing
that exists is overwritten; every file is written through the atomic writer.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from engine.company.config import CONFIG_NAME
from engine.errors import ConfigError
from engine.files import atomic_write

SKELETON = Path(__file__).resolve().parent / "skeleton"

# (column, 中文, meaning); the order of the templates' columns.
ROSTER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("userid", "账号", "the member's 账号 in WeCom (通讯录 → member → 账号), required"),
    ("name", "姓名", "name as printed on the payslip"),
    ("employee_type", "员工类型", "for people only: monthly, hourly rate or intern"),
    ("department", "部门", "department for the summary and exports"),
    ("cost_centre", "成本中心", "cost centre for the summary and exports"),
    ("monthly_salary", "月薪", "monthly salary in CNY, required (0 for hourly staff)"),
    ("hourly_rate", "小时工资", "replaces monthly_salary ÷ 21.75 ÷ 8 when set"),
    ("meal_allowance", "餐补", "monthly meal allowance (rules/company.yaml)"),
    ("dorm_fee", "宿舍费", "monthly dormitory fee deducted (rules/company.yaml)"),
    ("id_number", "身份证号", "kept for your records; not printed"),
    ("email", "邮箱", "kept for your records; not printed"),
)

EXAMPLE_ROWS: tuple[dict[str, str], ...] = (
    {"userid": "zhangsan", "name": "张三", "employee_type": "月薪 monthly",
     "department": "研发部", "cost_centre": "CC-RD", "monthly_salary": "12000.00",
     "hourly_rate": "", "meal_allowance": "300", "dorm_fee": "", "id_number": "", "email": ""},
    {"userid": "lisi", "name": "李四", "employee_type": "小时工 hourly rate",
     "department": "仓储部", "cost_centre": "CC-OPS", "monthly_salary": "0",
     "hourly_rate": "28.50", "meal_allowance": "", "dorm_fee": "450", "id_number": "",
     "email": ""},
    {"userid": "wangwu", "name": "王五", "employee_type": "实习生 intern",
     "department": "研发部", "cost_centre": "CC-RD", "monthly_salary": "4000.00",
     "hourly_rate": "", "meal_allowance": "200", "dorm_fee": "", "id_number": "",
     "email": ""},
)


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or any(ch in name for ch in "\r\n\t"):
        raise ConfigError("--company: a one-line company name is required")
    return name


def roster_csv() -> bytes:
    """The CSV template: the English column names the engine reads, example rows."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=[c for c, _, _ in ROSTER_COLUMNS],
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(EXAMPLE_ROWS)
    # UTF-8 with a BOM, so Excel opens the Chinese text correctly; the reader skips it
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def roster_xlsx(created: str = "2026-01-01T00:00:00") -> bytes:
    """The XLSX template: column names (each with its Chinese label as a note) over the
    example rows, and a second sheet explaining every column in both languages."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    from engine.run.exports import pinned_workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "roster"
    sheet.append([c for c, _, _ in ROSTER_COLUMNS])
    for cell, (_, zh, text) in zip(sheet[1], ROSTER_COLUMNS):
        cell.comment = Comment(f"{zh}: {text}", "wecom-payroll")
    for row in EXAMPLE_ROWS:
        sheet.append([row[c] for c, _, _ in ROSTER_COLUMNS])
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明 columns")
    notes.append(["column", "中文", "meaning"])
    for column in ROSTER_COLUMNS:
        notes.append(list(column))
    return pinned_workbook(book, created)


def _render(text: str, name: str) -> str:
    return (text.replace("@NAME@", json.dumps(name, ensure_ascii=False))
            .replace("@DESCRIPTION@", json.dumps(f"{name} payroll policy, based on cn-default",
                                                 ensure_ascii=False))
            .replace("@TITLE@", name))


def planned_files(name: str, default_pack: Path) -> dict[str, bytes]:
    """Relative path → content of every file of a new company folder."""
    files = {rel: _render((SKELETON / rel).read_text(encoding="utf-8"), name).encode("utf-8")
             for rel in (CONFIG_NAME, "README.md", "rules/company.yaml",
                         "rules/company.cases.yaml")}
    files[".gitignore"] = (SKELETON / "gitignore").read_bytes()
    for source in (default_pack, default_pack.with_name(default_pack.stem + ".cases.yaml")):
        files[f"rules/{source.name}"] = source.read_bytes()
    files["roster.csv"] = roster_csv()
    files["roster.xlsx"] = roster_xlsx()
    return files


def init_company(root: Path, name: str, default_pack: Path) -> list[Path]:
    """Write a new company folder at ``root``; refuses to overwrite anything."""
    name = _check_name(name)
    files = planned_files(name, default_pack)
    clashes = sorted(rel for rel in files if (root / rel).exists())
    if clashes:
        raise ConfigError(f"{root}: would overwrite {', '.join(clashes)}; "
                          "choose an empty folder or move these files away")
    written = [atomic_write(root / rel, data) for rel, data in files.items()]
    (root / "runs").mkdir(exist_ok=True)
    return written
