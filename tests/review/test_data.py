"""The review page's data chunks, from a small hand-built month."""

from __future__ import annotations

import json
import re

from engine.review import data
from tests.run.run_samples import sample_result


def _decode(body: bytes):
    found = re.fullmatch(rb'PAYROLL\.chunk\("(\w+)",(\d+),(.*)\);\n', body, re.S)
    assert found, body[:80]
    return found.group(1).decode(), int(found.group(2)), json.loads(found.group(3))


def test_chunks_hold_every_employee_once_and_no_script_can_break_out(monkeypatch):
    result, _ = sample_result()
    monkeypatch.setattr(data, "EMPLOYEE_CHUNK", 2)
    monkeypatch.setattr(data, "DETAIL_CHUNK", 2)
    problems = [{"severity": "error", "userid": result.employees[0].userid, "rule": "R",
                 "message": "</script><script>alert(1)</script>"}]
    files = data.build(result, problems, {"run_id": "r"}, {},
                       [{"kind": "amount", "userid": "u", "before": "1", "after": "2"}])
    employees = [row for name, body in sorted(files.items()) if name.startswith("employees-")
                 for row in _decode(body)[2]]
    assert [r[0] for r in employees] == [e.userid for e in result.employees]
    assert b"</script" not in b"".join(files.values())
    _, _, summary = _decode(files["summary.js"])
    assert summary["chunks"]["employees"] == [2, -(-len(result.employees) // 2)]
    assert summary["diff"]["total"] == 1 and summary["problem_rules"] == ["R"]
    [prob] = _decode(files["problems-0000.js"])[2]
    assert prob[6] == "</script><script>alert(1)</script>"  # the text itself survives
    details = _decode(files["details-0000.js"])[2]
    line = next(iter(details["employees"].values()))["lines"][0]
    assert set(line[9]) >= {"formula", "inputs", "params", "rounding"}
