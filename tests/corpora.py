"""The hostile-input corpora: each family, the outcome every case of it must have, and
the counts of a test session, printed at the end of every run (CI included).

A test joins a family with ``@pytest.mark.corpus("family")``; one test item counts as
one case unless the marker says ``cases=N`` (a test that checks N payloads or fields in
one go, a hypothesis test of N examples) or the test records the number it checked with
``record_property("corpus_cases", n)``.
"""

from __future__ import annotations

from collections import defaultdict

EXPECTED = {
    "formula triggers": "no CSV or XLSX cell is a live formula; our readers give back "
                        "the exact value",
    "control characters and emoji": "printed as [U+XXXX] with a warning; the payslip is "
                                    "issued; data files keep the exact text",
    "special files": "refused before opening (exit 3 or 4), nothing hangs, no folder left",
    "malformed YAML": "a RulePackError at file:line:column (exit 4), never a traceback",
    "echoed secrets": "0 copies of the secret or any token in any output or file",
    "100,000 ids": "unique, portable file names inside payslips/, planned in under 2 s",
    "concurrent runs": "one run wins; the other exits 7 naming the holder; stale locks "
                       "reported, never broken silently",
    "forged run folders": "payroll verify exits 8 after the forger recomputed every hash",
    "hostile month": "1,000 employees, 5 % hostile: finishes, verifies (with --render), "
                     "0 formula cells",
}

_counts: dict[str, dict[str, int]] = defaultdict(lambda: {"cases": 0, "passed": 0,
                                                           "failed": 0})


def record(family: str, cases: int, passed: bool) -> None:
    if family not in EXPECTED:
        raise ValueError(f"unknown corpus family {family!r}: add it to tests/corpora.py")
    entry = _counts[family]
    entry["cases"] += cases
    entry["passed" if passed else "failed"] += 1


def lines() -> list[str]:
    out = []
    for family, expected in EXPECTED.items():
        if family in _counts:
            c = _counts[family]
            out.append(f"{family}: {c['cases']} cases in {c['passed'] + c['failed']} tests, "
                       f"{c['failed']} failed — expected: {expected}")
    return out
