"""Who is paid: an error naming an employee holds them, a warning does not."""

from engine.problems import Audience, error, warning
from engine.rules.lines import Status
from engine.run.hold import hold_errors, is_paid, payslip_errors
from engine.run.tables import problem_rows, summary
from run_samples import sample_result


def test_an_error_naming_an_ok_employee_holds_them_and_joins_their_problems():
    result, _problems = sample_result()
    ok = next(e for e in result.employees if e.status is Status.OK)
    failed = error("payslip", "no_delivery_password", "empty", userid=ok.userid)
    note = warning("payslip", "odd", "fine", userid=ok.userid)
    held = hold_errors(result, [failed, note])
    after = next(e for e in held.employees if e.userid == ok.userid)
    assert after.status is Status.ERROR and not is_paid(after)
    assert after.problems[-1] == failed and note not in after.problems
    others = [(e.userid, e.status) for e in held.employees if e.userid != ok.userid]
    assert others == [(e.userid, e.status) for e in result.employees if e.userid != ok.userid]


def test_warnings_and_problems_of_nobody_change_nothing():
    result, _problems = sample_result()
    assert hold_errors(result, [warning("compute", "x", "y", userid="zhangsan"),
                                error("fetch", "x", "run-wide")]) is result


def test_summary_counts_the_held_employee_as_unpaid():
    result, _problems = sample_result()
    ok = [e for e in result.employees if e.status is Status.OK]
    held = hold_errors(result, [error("payslip", "render_failed", "x", userid=ok[0].userid)])
    data = summary(held, [], "run")
    assert data["paid"] == len(ok) - 1
    assert ok[0].userid in data["unpaid"]["userids"]
    assert data["unpaid"]["computed"]["net"] != "0"
    assert data["totals"]["net"] == format(sum(e.totals.net for e in ok[1:]), "f")


def test_verify_reads_payslip_errors_back_from_problems_csv():
    rows = problem_rows([error("payslip", "render_failed", "no glyph", userid="u1"),
                         warning("payslip", "w", "x", userid="u2"),
                         error("compute", "c", "x", userid="u3")])
    found = payslip_errors(rows)
    assert [(p.userid, p.code, p.audience) for p in found] == [("u1", "render_failed",
                                                                 Audience.HR)]
