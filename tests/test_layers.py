"""The package mirrors the data flow: no stage imports the pipeline or the CLI above it."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

ROOT = Path(engine.__file__).parent
UPPER = ("engine.pipeline", "engine.cli")


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_stages_never_import_the_pipeline_or_the_cli():
    upward = {}
    for path in sorted(ROOT.rglob("*.py")):
        if path.parent == ROOT and path.stem in ("pipeline", "cli", "__init__"):
            continue
        if path.parent == ROOT / "commands":  # the CLI's own commands, split out of cli.py
            continue
        hits = [m for m in imported(path) if m in UPPER or m.startswith(tuple(f"{u}." for u in UPPER))]
        if hits:
            upward[path.relative_to(ROOT).as_posix()] = hits
    assert upward == {}


def test_the_checker_sees_function_level_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from engine.pipeline import run_month\n")
    assert "engine.pipeline" in imported(module)
