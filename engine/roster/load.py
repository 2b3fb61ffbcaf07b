"""Loading a roster file: read, map the headers, parse, and refuse it whole if it is unusable.

The roster edge as the pipeline calls it, before anything is fetched or written. A roster
is refused (:class:`engine.errors.RosterError`, exit code 3) when the file cannot be read
or decoded, has no header or no employee, lacks a required column, repeats a column, or
has any invalid row (see :mod:`engine.roster.parse`); the refusal lists every invalid row
with file, line, column and value, so the file is fixed in one go.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from engine.errors import RosterError
from engine.problems import Problem, error
from engine.roster.headers import alias_list, canonical
from engine.roster.model import Roster
from engine.roster.parse import AMOUNTS, REQUIRED, invalid, parse_rows
from engine.roster.read import Table, read_file

SHOWN = 50  # invalid rows quoted in the refusal; all of them are on the exception


class RosterInvalid(RosterError):
    """The roster has rows the engine cannot read; ``problems`` lists every one."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        shown = "\n".join(f"  {p.message}" for p in problems[:SHOWN])
        more = f"\n  … and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        super().__init__(f"{len(problems)} invalid row value(s); fix them and run again "
                         f"(nothing was fetched or written):\n{shown}{more}", path=source)
        self.problems = tuple(problems)


def _columns(table: Table) -> tuple[list[str], dict[str, str]]:
    """Column names for the header cells (aliases resolved; exact names win over aliases,
    earlier aliases over later ones); ``headers`` maps a renamed column to its header."""
    if not table.header:
        raise RosterError("the roster is empty: no header row", path=table.source)
    names = [h.strip() for h in table.header]
    taken = set(names)
    headers: dict[str, str] = {}
    for index, header in enumerate(names):
        column = canonical(header)
        if column != header and column not in taken:
            names[index], headers[column] = column, header
            taken.add(column)
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if name and name in seen:
            raise RosterError(f"column {name!r} appears twice (columns {seen[name]} and {index})",
                              path=table.source, line=1)
        seen.setdefault(name, index)
    return names, headers


def _rows(table: Table, names: list[str]) -> tuple[list[dict[str, str]], list[Problem]]:
    rows, problems = [], []
    for line, cells in table.rows:
        extra = [c for c in cells[len(names):] if c.strip()]
        if extra:
            problems.append(error("roster", "extra_cells", f"{table.source}:{line}: "
                                  f"{len(cells)} cells but the header has {len(names)} "
                                  f"(extra: {', '.join(map(repr, extra[:3]))})",
                                  source=f"{table.source}:{line}"))
        padded = [*cells[:len(names)], *[""] * (len(names) - len(cells))]
        rows.append({n: c for n, c in zip(names, padded) if n})
    return rows, problems


def parse_table(table: Table, amounts: Sequence[str] = AMOUNTS) -> tuple[Roster, list[Problem]]:
    """A read table → roster and problems; refuses it as a whole when it is unusable."""
    names, headers = _columns(table)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise RosterError(f"missing required column(s): {', '.join(missing)} (headers found: "
                          f"{', '.join(h for h in table.header if h) or 'none'}; accepted "
                          f"names: {alias_list()})", path=table.source, line=1)
    if not table.rows:
        raise RosterError("the roster has a header but no employees", path=table.source)
    rows, problems = _rows(table, names)
    roster, found = parse_rows(rows, table.source, lines=[line for line, _ in table.rows],
                               amounts=amounts, headers=headers)
    problems += found
    bad = invalid(problems)
    if bad:
        raise RosterInvalid(table.source, sorted(bad, key=_line))
    roster = roster.model_copy(update={"encoding": table.encoding,
                                       "columns": tuple(n for n in names if n)})
    return roster, problems


def _line(problem: Problem) -> int:
    tail = problem.source.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def load_roster(path: Path, *, source: str | None = None,
                amounts: Sequence[str] = AMOUNTS) -> tuple[Roster, list[Problem]]:
    """Read and parse a roster file; ``source`` names it in problems (default: the path)."""
    table = read_file(path)
    if source is not None:
        table = table.model_copy(update={"source": source})
    return parse_table(table, amounts)
