"""The committed JSON Schemas match the models and describe the real exports."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import jsonschema
import pytest
from pydantic import ValidationError

from engine.run import schemas, tables
from engine.run.schemas import SCHEMA_DIR, EmployeeRow, LineItemRow, RunSummary

from run_samples import RUN_ID


def validator(name: str) -> jsonschema.protocols.Validator:
    document = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))
    cls = jsonschema.validators.validator_for(document)
    cls.check_schema(document)
    return cls(document)


def test_committed_schema_files_match_the_models():
    assert schemas.stale() == [], "run `python -m engine.run.schemas` and commit schemas/"


def test_check_mode_reports_drift(tmp_path):
    assert schemas.main([str(tmp_path)]) == 0
    assert schemas.main(["--check", str(tmp_path)]) == 0
    path = tmp_path / "summary.schema.json"
    path.write_text(path.read_text().replace('"month"', '"mois"'))
    assert schemas.main(["--check", str(tmp_path)]) == 1
    assert schemas.stale(tmp_path) == ["summary.schema.json"]


def test_row_models_have_exactly_the_export_columns():
    assert tuple(LineItemRow.model_fields) == tables.LINE_COLUMNS
    assert tuple(EmployeeRow.model_fields) == tables.EMPLOYEE_COLUMNS


def test_summary_model_accepts_the_real_summary(sample):
    result, problems = sample
    data = tables.summary(result, problems, RUN_ID)
    parsed = RunSummary.model_validate(data)
    assert parsed.total("net") == sum((e.totals.net for e in result.employees), Decimal(0))
    assert parsed.model_dump(mode="json") == data
    validator("summary").validate(data)


def test_real_rows_validate_against_committed_schemas(sample):
    result, problems = sample
    lines, employees = validator("line_item_row"), validator("employee_row")
    for row in tables.line_rows(result):
        lines.validate(row)
        LineItemRow.model_validate(row)
    for row in tables.employee_rows(result):
        employees.validate(row)
    results = validator("employee_result")
    for emp in result.employees:
        results.validate(emp.model_dump(mode="json"))
        for line in emp.lines:
            validator("line_item").validate(line.model_dump(mode="json"))


@pytest.mark.parametrize("column,value", [("amount", 12.5), ("amount", "1.2E+3"),
                                          ("quantity", ""), ("category", "bonus")])
def test_schema_rejects_what_an_importer_must_not_accept(sample, column, value):
    row = dict(tables.line_rows(sample[0])[0])
    row[column] = value
    with pytest.raises(jsonschema.ValidationError):
        validator("line_item_row").validate(row)
    with pytest.raises(ValidationError):
        LineItemRow.model_validate(row)


def test_summary_with_an_unknown_key_is_rejected(sample):
    data = tables.summary(*sample, RUN_ID)
    with pytest.raises(jsonschema.ValidationError):
        validator("summary").validate({**data, "surprise": 1})
    with pytest.raises(ValidationError):
        RunSummary.model_validate({**data, "totals": {**data["totals"], "net": "1,000.00"}})


def test_demo_run_exports_validate(demo_run):
    data = json.loads((demo_run / "results/summary.json").read_text("utf-8"))
    RunSummary.model_validate(data)
    validator("summary").validate(data)
    for name, file in (("line_item_row", "line_items.csv"), ("employee_row", "employees.csv")):
        check = validator(name)
        text = (demo_run / "results" / file).read_text("utf-8")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert rows
        for row in rows:
            check.validate(row)
