"""A company folder: the place a payroll team keeps its settings, roster, rules and runs.

Sits at the edge, beside the CLI: ``config`` reads ``payroll.toml`` and resolves the
month's paths, ``scaffold`` writes a new folder (``payroll init``), ``doctor`` checks a
folder and the WeCom app's permissions (``payroll doctor``). Nothing in the stages
knows about company folders; they receive plain paths and values.
"""

from engine.company.config import CONFIG_NAME, CompanyFolder, find_folder, load_folder

__all__ = ["CONFIG_NAME", "CompanyFolder", "find_folder", "load_folder"]
