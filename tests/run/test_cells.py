"""Formula injection: every text cell of every CSV and XLSX export is inert, numbers stay
numbers, and our readers give back the original values."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.period import parse_month
from engine.pipeline import write_results
from engine.problems import warning
from engine.rules.lines import PayrollResult
from engine.run import cells, manifest, tables
from engine.run.compare import read_csv
from engine.run.opened import Run

from hostile import CONTROL, FORMULAS, GLYPHLESS
from run_samples import MONTH, RUN_ID, sample_result

TRIGGER_START = tuple(cells.TRIGGERS)


@pytest.mark.corpus("formula triggers")
@pytest.mark.parametrize("value", FORMULAS)
def test_formula_text_gets_a_quote_and_comes_back(value):
    written = cells.neutralise(value)
    assert not cells.is_live(written)
    assert cells.restore(written) == value


@pytest.mark.corpus("formula triggers", cases=100)
@given(st.text(max_size=30), st.booleans())
def test_neutralise_is_reversible_and_never_live(value, numeric):
    written = cells.neutralise(value, numeric)
    assert cells.restore(written) == value
    assert not cells.is_live(written) or (numeric and cells._NUMBER.fullmatch(value))


@pytest.mark.parametrize("number", ["-401.67", "-0.01", "0", "12", "-459.7701149425287"])
def test_numbers_of_numeric_columns_stay_numbers(number):
    assert cells.neutralise(number, numeric=True) == number
    if number.startswith("-"):  # the same text in a text column (a userid "-401.67")
        assert cells.neutralise(number, numeric=False) == "'" + number


def test_carriage_return_and_quotes_survive_a_round_trip():
    rows = [{"a": "x\ry", "b": 'say "hi", then\nleave'}, {"a": "=1+1", "b": "'=1"}]
    text = cells.csv_text(rows, ["a", "b"])
    assert cells.parse_csv(text) == (["a", "b"], rows)
    assert len(list(csv.reader(io.StringIO(text, newline="")))) == 3


def test_an_unknown_row_field_is_refused():
    with pytest.raises(ValueError):
        cells.csv_text([{"a": "1", "zz": "2"}], ["a"])


# --- the corpus: every payload in every exported text field --------------------------------

PAYLOADS = FORMULAS + CONTROL + GLYPHLESS


def hostile_month(payload: str) -> tuple[PayrollResult, list]:
    """The sample month with ``payload`` in every text field the exports carry."""
    result, problems = sample_result()
    employees = []
    for emp in result.employees:
        lines = tuple(line.model_copy(update={"userid": payload + emp.userid, "label": payload,
                                              "label_en": payload, "item": payload,
                                              "unit": payload})
                      for line in emp.lines)
        record = emp.record.model_copy(update={"base_info": emp.record.base_info.model_copy(
            update={"departs_name": payload, "name": payload})})
        employees.append(emp.model_copy(update={"userid": payload + emp.userid,
                                                "name": payload, "lines": lines,
                                                "record": record}))
    problems = [*problems, warning(payload, payload, payload, userid=payload, rule=payload,
                                   field=payload, source=payload)]
    return result.model_copy(update={"employees": tuple(employees)}), problems


TEXT_FIELDS = {"line_items.csv": ("userid", "label", "label_en", "item", "unit"),
               "employees.csv": ("userid", "name", "department"),
               "problems.csv": ("stage", "code", "userid", "rule", "field", "source", "message"),
               "manifest.csv": ("userid", "file")}


def written_month(run_dir: Path, payload: str):
    result, problems = hostile_month(payload)
    write_results(run_dir, result, problems, RUN_ID, parse_month(MONTH))
    rows = [{"userid": e.userid, "file": f"payslips/{payload}.pdf", "sha256": "0" * 64,
             "size": "10", "net": tables.dec(e.totals.net)} for e in result.employees]
    manifest.write(run_dir, {"files": []}, rows)
    return result, problems


def raw_cells(path: Path) -> tuple[list[str], list[list[str]]]:
    records = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    return records[0], records[1:]


@pytest.mark.corpus("formula triggers", cases=sum(map(len, TEXT_FIELDS.values())) + 3)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_exported_cell_is_live_and_readers_see_the_original(tmp_path, payload):
    result, problems = written_month(tmp_path, payload)
    numeric = tables.numeric_columns(result) | manifest.NUMERIC
    checked = 0
    for name, fields in TEXT_FIELDS.items():
        path = tmp_path / ("results" if name != "manifest.csv" else "") / name
        header, records = raw_cells(path)
        for record in records:
            for column, cell in zip(header, record):
                if cells.is_live(cell):  # only plain numbers of numeric columns may start so
                    assert column in numeric and cells._NUMBER.fullmatch(cell), (name, column, cell)
        _, rows = read_csv(path)
        for field in fields:
            assert any(payload in row[field] for row in rows), (name, field)
            checked += len(rows)
    assert read_csv(tmp_path / "results/line_items.csv")[1] == tables.line_rows(result)
    assert read_csv(tmp_path / "results/employees.csv")[1] == tables.employee_rows(result)
    assert read_csv(tmp_path / "results/problems.csv")[1] == tables.problem_rows(problems)
    assert checked > 0
    assert xlsx_formulas(tmp_path / "results/payroll.xlsx") == 0
    # engine.open_run reads the same values back (pandas' own CSV reader would not)
    opened = Run(tmp_path)
    assert list(opened.employees["name"]) == [e.name for e in result.employees]
    assert list(opened.problems["source"]) == [p.source for p in problems]


def xlsx_formulas(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return sum(cell.data_type == "f" for sheet in book for row in sheet.iter_rows()
               for cell in row)


@pytest.mark.corpus("formula triggers")
def test_xlsx_cells_are_typed_strings_and_numbers(tmp_path):
    from openpyxl import load_workbook

    written_month(tmp_path, '=HYPERLINK("http://x","y")\x07')
    book = load_workbook(tmp_path / "results/payroll.xlsx")
    sheet = book["employees"]
    header = [c.value for c in sheet[2]]  # row 1: the Chinese labels; row 2: the codes
    row = [c for c in sheet[3]]
    name = row[header.index("name")]
    assert name.data_type == "s" and name.value == '=HYPERLINK("http://x","y")[U+0007]'
    assert name.quotePrefix  # editing the cell in Excel keeps it text
    net = row[header.index("net")]
    assert net.data_type == "n" and isinstance(net.value, (int, float))
    deduction = book["deduction"]
    amounts = [r[-1].value for r in deduction.iter_rows(min_row=3)]
    assert amounts and all(isinstance(a, (int, float)) and a < 0 for a in amounts)


def test_corpus_counts(tmp_path):
    """How many payload × field combinations the corpus above covers (printed for the
    report; the parametrised test checks each payload in every field)."""
    fields = sum(len(f) for f in TEXT_FIELDS.values()) + 3  # + xlsx name, department, userid
    print(f"\nformula/text corpus: {len(PAYLOADS)} payloads x {fields} exported text fields "
          f"= {len(PAYLOADS) * fields} cases")
    assert len(PAYLOADS) >= 30


def _rfc_record(fields: list[str]) -> str:
    # RFC 4180 written from the rule: a field with a comma, quote or line break is quoted
    # and its quotes doubled; every other field as it is
    out = []
    for field in fields:
        if any(ch in field for ch in ',"\r\n'):
            field = '"' + field.replace('"', '""') + '"'
        out.append(field)
    return ",".join(out) + "\n"


@given(st.lists(st.text(alphabet=st.sampled_from('ab,"\r\n 张=\''), max_size=6), max_size=8))
def test_a_record_quotes_exactly_the_fields_rfc_4180_quotes(fields):
    assert cells.record(fields) == _rfc_record(fields)
    assert next(csv.reader(io.StringIO(cells.record(fields), newline=""))) == fields \
        or fields in ([], [""])  # an empty record reads back as no field
