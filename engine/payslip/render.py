"""HTML of one payslip: the Jinja2 step between the view model and WeasyPrint.

Autoescape is always on, whatever the template's file name, and undefined names are
errors: a value from the API or the roster such as ``<img src=file:///etc/passwd>``
reaches the page as text, never as markup.

A template folder may also hold ``page.css.j2``, the page furniture (footer, page
numbers) drawn in the page's margin boxes. It prints facts of the run only, so it is
rendered and parsed once per run rather than laid out as part of every payslip (a running
element cost about a tenth of a payslip's time). Every ``{{ … }}`` in it comes out as a
quoted, escaped CSS string, so no value can end the string and add a rule.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

from engine.errors import ConfigError, RenderError
from engine.payslip.context import PayslipView

TEMPLATE = "payslip.html.j2"
PAGE_TEMPLATE = "page.css.j2"
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


def css_string(value: object) -> str:
    """``value`` as one double-quoted CSS string: quotes, backslashes and control or
    line-separator characters are written as hex escapes, everything else as is."""
    out = []
    for ch in str(value):
        if ch in '"\\' or ord(ch) < 0x20 or ord(ch) == 0x7F or ch in "\u2028\u2029":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@lru_cache(maxsize=4)
def page_environment(template_dir: Path) -> jinja2.Environment | None:
    if not (template_dir / PAGE_TEMPLATE).is_file():
        return None
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(template_dir)),
                              autoescape=False, undefined=jinja2.StrictUndefined,
                              finalize=css_string)


def render_page_css(view: dict, template_dir: Path) -> str | None:
    """The run's page furniture as CSS, or ``None`` when the template folder has none."""
    env = page_environment(template_dir)
    if env is None:
        return None
    try:
        return env.get_template(PAGE_TEMPLATE).render(v=view)
    except jinja2.TemplateError as exc:
        raise RenderError(f"page template {PAGE_TEMPLATE} failed: {exc}") from exc
