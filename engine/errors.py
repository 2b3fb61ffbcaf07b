"""One exception tree for the whole engine.

Every stage raises a subclass of :class:`PayrollError`; third-party exceptions are
translated at the boundary where they occur (``raise ... from exc``) so callers only
ever need ``except PayrollError``. Per-employee problems that must not stop a run are
not exceptions: they travel as :class:`engine.problems.Problem` values instead.
"""

from __future__ import annotations


class PayrollError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 1


class ConfigError(PayrollError):
    """Missing or invalid settings (credentials, paths, options)."""

    exit_code = 2


class InputError(PayrollError):
    """An input file (roster, snapshot, pack copy) cannot be read or is malformed."""

    exit_code = 3

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = path or ""
        if line is not None:
            where += f":{line}"
        if field:
            where += f" [{field}]"
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.line, self.field = path, line, field


class RosterError(InputError):
    """The roster file is unusable as a whole (not a single bad row)."""


class LedgerError(InputError):
    """An opening-balances file or a previous run's ledger is unusable (every problem of
    the file is listed at once)."""


class RulePackError(InputError):
    """A rule pack failed to load: names file, line and column."""

    exit_code = 4

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: int | None = None, rule: str | None = None) -> None:
        where = path or "<pack>"
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        prefix = f"{where}: rule {rule}: " if rule else f"{where}: "
        Exception.__init__(self, prefix + message)
        self.path, self.line, self.column, self.rule, self.field = path, line, column, rule, None
        self.reason = message


class FormulaError(PayrollError):
    """A formula is not in the allowed language (raised at compile time)."""


class EvaluationError(PayrollError):
    """A formula failed for one employee (division by zero, missing value)."""


class WeComError(PayrollError):
    """Anything that went wrong talking to the WeCom API."""

    exit_code = 5


class RenderError(PayrollError):
    """A payslip could not be rendered (template error, missing glyph)."""

    exit_code = 6


class RunFolderError(PayrollError):
    """The run folder cannot be written or is not a run folder."""

    exit_code = 7


class VerifyError(PayrollError):
    """``payroll verify`` found differences."""

    exit_code = 8
