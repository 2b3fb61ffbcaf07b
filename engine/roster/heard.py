"""The roster is heard: what the roster says beyond who is paid, checked against WeCom.

Between the compute stage and the run folder, called by the pipeline and by
``payroll verify`` alike (so both find the same problems). Columns neither the pack nor
the engine reads are listed once as a note, never dropped in silence; a roster name that
differs from WeCom's is a warning, and ``names`` decides which one the payslip prints
(``wecom``, the default, or ``roster``).
"""

from __future__ import annotations

from typing import Mapping

from engine.problems import Problem, info, warning

STAGE = "roster"
# read by the engine itself, printed by the default payslip labels or written by the
# default exports (tax sheet, bank file, contributions: engine.exports)
ENGINE_COLUMNS = ("userid", "monthly_salary", "name", "department", "cost_centre",
                  "cost_center", "employee_no", "position", "id_type", "id_number",
                  "bank_account", "city", "tax_free_income", "other_deductions")
NAME_SOURCES = ("wecom", "roster")


def unused_columns(roster, pack, used: tuple[str, ...] = ()) -> list[Problem]:
    """One note naming every column nothing reads (kept in the run's roster copy)."""
    known = {*ENGINE_COLUMNS, *pack.roster, *used}
    unused = [c for c in roster.columns if c and c not in known]
    if not unused:
        return []
    return [info(STAGE, "unused_columns",
                 f"roster column(s) not used by the pack {pack.info.name} or the payslips: "
                 f"{', '.join(unused)} (kept in the run's copy of the roster)",
                 source=roster.source)]


def name_problems(roster, records: Mapping[str, object], names: str) -> list[Problem]:
    """A warning per employee whose roster name is not WeCom's."""
    out = []
    for emp in roster.employees:
        record = records.get(emp.userid)
        wecom = (record.base_info.name or "").strip() if record is not None else ""
        mine = emp.columns.get("name", "").strip()
        if wecom and mine and wecom != mine:
            out.append(warning(STAGE, "name_differs",
                               f"roster name {mine!r} differs from WeCom's {wecom!r}; the "
                               f"payslip prints the {names} one ([payroll] names)",
                               userid=emp.userid, field="name",
                               source=f"{roster.source}:{emp.line}"))
    return out


def choose_names(result, names: str):
    """``result`` with each employee's name from the source ``names`` chooses."""
    if names not in NAME_SOURCES:
        raise ValueError(f"names must be one of {', '.join(NAME_SOURCES)}, not {names!r}")
    if names == "wecom":
        return result  # compute already prefers WeCom's name, the roster's when WeCom has none
    from engine.rules.packed import remap

    employees = remap(result.employees, lambda e: e.model_copy(
        update={"name": e.roster.get("name", "").strip() or e.name}))
    return result.model_copy(update={"employees": employees})


def heard(roster, pack, records: Mapping[str, object], result, names: str = "wecom"):
    """``(result with the chosen names, problems)``."""
    problems = [*unused_columns(roster, pack), *name_problems(roster, records, names)]
    return choose_names(result, names), problems
