"""Stage 2, compute: YAML rule packs applied to the month's records and the roster."""

from engine.rules.apply import compute
from engine.rules.cases import CaseReport, run_cases
from engine.rules.compiled import Pack
from engine.rules.loader import load_pack

__all__ = ["CaseReport", "Pack", "compute", "load_pack", "run_cases"]
