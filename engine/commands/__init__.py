"""Commands of the ``payroll`` CLI that grew beyond ``engine/cli.py``.

Each module holds the typer functions of one group of verbs; ``engine.cli`` registers
them on its app. ``shell`` holds what every command shares (consoles, errors, flags).
"""
