"""JSON Schemas of the run folder's exports, generated from pydantic models.

Sits beside the writers of :mod:`engine.run.exports`: the row models here describe what
``results/line_items.csv`` (and ``.parquet``), ``results/employees.csv`` and
``results/summary.json`` contain, so a payroll system can validate an import without
reading our code. The committed files under ``schemas/`` are regenerated with
``python -m engine.run.schemas`` and a test fails when they drift from these models.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.problems import Severity
from engine.rules.lines import Category, EmployeeResult, LineItem, Status

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
# Money and quantities are exact decimal text (never a float) in every export.
DecimalText = Annotated[str, Field(pattern=DECIMAL_PATTERN,
                                   description="Exact decimal in plain notation, e.g. 1234.50")]
OptionalDecimalText = Annotated[str, Field(pattern=r"^(-?[0-9]+(\.[0-9]+)?)?$",
                                           description="Exact decimal text, or empty")]
CountText = Annotated[str, Field(pattern=r"^[0-9]+$", description="A count, as text")]


class LineItemRow(BaseModel):
    """One row of ``results/line_items.csv`` / ``line_items.parquet`` (all cells text)."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="wecom-payroll line item row")

    userid: str = Field(min_length=1)
    code: str = Field(min_length=1, description="Rule code of the pack")
    category: Category
    label: str = Field(description="Label in Chinese")
    label_en: str
    item: str = Field(description="Matched item of a per-item rule (e.g. a leave type), or empty")
    quantity: DecimalText
    unit: str
    rate: DecimalText
    multiplier: DecimalText
    amount: DecimalText = Field(description="Rounded CNY amount; deductions negative; "
                                            "0 for time_bank and info lines")


class EmployeeRow(BaseModel):
    """One row of ``results/employees.csv``; one extra column per line code."""

    model_config = ConfigDict(
        frozen=True, extra="allow", title="wecom-payroll employee row",
        json_schema_extra={"additionalProperties": {
            "type": "string", "pattern": r"^(-?[0-9]+(\.[0-9]+)?)?$",
            "description": "Per-code column, one for every code the pack can produce, in "
                           "pack order: CODE is the amount in CNY (0.00 when none), CODE_UNIT "
                           "the quantity in that unit (0 when none); see results/columns.csv"}})

    userid: str = Field(min_length=1)
    name: str
    status: Status
    paid: Literal["true", "false"] = Field(description="true only for status ok: the "
                                           "employee has a payslip and counts in the totals")
    department: str = Field(description="First department path, '/'-separated")
    cost_centre: str = Field(description="The roster's cost_centre column")
    earnings: DecimalText
    deductions: DecimalText
    gross: DecimalText
    withholdings: DecimalText
    net: DecimalText
    comp_hours: DecimalText
    problems: CountText


class SummaryTotals(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    earnings: DecimalText
    deductions: DecimalText
    gross: DecimalText = Field(description="earnings + deductions (应发合计)")
    withholdings: DecimalText = Field(description="social insurance, housing fund, tax (negative)")
    net: DecimalText


class UnpaidSummary(BaseModel):
    """Employees with no payslip (status error or missing) and what was computed for them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    employees: int = Field(ge=0)
    userids: list[str]
    computed: SummaryTotals


class PackRef(BaseModel):
    """The rule pack a run used, as exported (no local file path: exports are portable)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str = ""
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class GroupTotals(BaseModel):
    """Headcount and money totals of one department or cost centre."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    employees: int = Field(ge=0)
    earnings: DecimalText
    deductions: DecimalText
    gross: DecimalText
    withholdings: DecimalText
    net: DecimalText


class RunSummary(BaseModel):
    """``results/summary.json``: totals of a month; every number is a sum of the paid
    employees' line items (status ok); the unpaid ones are counted under ``unpaid``."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="wecom-payroll run summary")

    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")
    run_id: str = Field(min_length=1)
    pack: PackRef
    employees: int = Field(ge=0)
    by_status: dict[Status, int]
    paid: int = Field(ge=0, description="Employees with status ok: payslip issued")
    totals: SummaryTotals = Field(description="Sums over the paid employees only")
    unpaid: UnpaidSummary
    by_category: dict[Category, DecimalText]
    by_code: dict[str, DecimalText]
    by_department: dict[str, GroupTotals] = Field(
        description="First department path (roster department when WeCom has none); — for none")
    by_cost_centre: dict[str, GroupTotals] = Field(
        description="The roster's cost_centre column; — for none")
    problems: dict[Severity, int]

    def total(self, key: str) -> Decimal:
        return Decimal(getattr(self.totals, key))


# file stem -> (model, JSON Schema mode); the compute models are described as serialised
SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "line_item_row": (LineItemRow, "validation"),
    "employee_row": (EmployeeRow, "validation"),
    "summary": (RunSummary, "validation"),
    "line_item": (LineItem, "serialization"),
    "employee_result": (EmployeeResult, "serialization"),
}


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema document for ``name`` (a key of :data:`SCHEMAS`)."""
    model, mode = SCHEMAS[name]
    body = model.model_json_schema(mode=mode)  # type: ignore[arg-type]
    return {"$schema": DRAFT, "$id": f"{name}.schema.json", **body}


def schema_bytes(name: str) -> bytes:
    return (json.dumps(schema(name), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_all(out_dir: Path = SCHEMA_DIR) -> list[Path]:
    from engine.run.folder import atomic_write

    return [atomic_write(out_dir / f"{name}.schema.json", schema_bytes(name)) for name in SCHEMAS]


def stale(out_dir: Path = SCHEMA_DIR) -> list[str]:
    """Schema files that are missing or differ from the models."""
    out = []
    for name in SCHEMAS:
        path = out_dir / f"{name}.schema.json"
        if not path.is_file() or path.read_bytes() != schema_bytes(name):
            out.append(path.name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.run.schemas",
                                     description="Regenerate the JSON Schemas of the exports.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=SCHEMA_DIR)
    parser.add_argument("--check", action="store_true", help="Only report drift (exit 1).")
    args = parser.parse_args(argv)
    if args.check:
        drift = stale(args.out_dir)
        for name in drift:
            print(f"out of date: {args.out_dir / name}")
        return 1 if drift else 0
    for path in write_all(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
