"""What every ``payroll`` command shares: the consoles and turning errors into exit codes.

Also fixes how typer (0.29) prints boolean flags in ``--help``: it shows ``--chaos <bool>``
as if the flag took a value; a flag takes none, so no type is shown for it.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperOption

from engine.errors import PayrollError

out = Console()
err = Console(stderr=True)

_display_type_rich = TyperOption.display_type_rich


def _flag_without_type(self, ctx):
    if getattr(self, "is_flag", False) and self.metavar is None:
        return None
    return _display_type_rich(self, ctx)


TyperOption.display_type_rich = _flag_without_type


def fail(exc: PayrollError) -> None:
    """Print the error and exit with its documented code."""
    # soft wrap: a message names files and values; it must survive copy and paste whole
    err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True,
              soft_wrap=True)
    raise typer.Exit(exc.exit_code)
