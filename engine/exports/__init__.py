"""Exports for the systems after payroll: the tax client, the bank, the contributions.

Placed after the run results in the flow (``engine.pipeline.compute_run``): pure
functions from the computed month (:class:`engine.rules.lines.PayrollResult`, paid
employees only) and a column map (``templates/exports/*.yaml``) to file bytes and the
problems found on the way; the pipeline writes them, ``payroll verify`` builds them again
from the recomputed month and compares.
"""
