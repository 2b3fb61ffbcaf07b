"""HTML of one payslip: the Jinja2 step between the view model and WeasyPrint.

Autoescape is always on, whatever the template's file name, and undefined names are
errors: a value from the API or the roster such as ``<img src=file:///etc/passwd>``
reaches the page as text, never as markup.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

from engine.errors import ConfigError, RenderError
from engine.payslip.context import PayslipView

TEMPLATE = "payslip.html.j2"
# Line breaks between two tags are layout noise: each becomes a whitespace text box that
# WeasyPrint builds and then collapses. Values never contain a raw "<" or ">" (escaped).
_BETWEEN_TAGS = re.compile(r">[ \t\r]*\n\s*<")


@lru_cache(maxsize=4)
def environment(template_dir: Path) -> jinja2.Environment:
    if not (template_dir / TEMPLATE).is_file():
        raise ConfigError(f"payslip template {TEMPLATE} not found in {template_dir}")
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(view: PayslipView, template_dir: Path) -> str:
    """The payslip page as an HTML string (deterministic: no clock, no randomness)."""
    try:
        template = environment(template_dir).get_template(TEMPLATE)
        return _BETWEEN_TAGS.sub("><", template.render(v=view))
    except jinja2.TemplateError as exc:
        raise RenderError(f"{view.userid}: payslip template failed: {exc}") from exc
