"""The WeasyPrint document of one payslip, without the per-document work it never needs.

Step between ``engine.payslip.render`` (HTML text) and ``engine.payslip.pdf`` (layout and
PDF). Two costs of ``weasyprint.HTML(string=...)`` are avoidable for a payslip and
together take about a tenth of its CPU time:

- Parsing: WeasyPrint parses with a pure-Python HTML5 parser (about 10 ms per page). The
  payslip template is also well-formed XML, so the standard library's C parser builds
  the same element tree in a fraction of a millisecond. Markup that is not XML (a
  company's own template, a value with a control character) takes the HTML5 parser as
  before.
- Cascade: the user-agent stylesheet gives every element six pseudo-elements
  (``::marker``, footnote and note markers) whose styles are computed for each element.
  The payslip has no footnotes or notes and only ``li`` has a marker, so those rules are
  left out or narrowed to ``li``; every element a payslip uses is styled as before.

Both were checked to give byte-identical PDFs for the sample payslip (see the tests).
The fast path fills the same attributes ``weasyprint.HTML.__init__`` sets; if a future
WeasyPrint sets other ones, the fast path is switched off and the HTML5 parser is used.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib.resources import files
from typing import Any

import cssselect2
import weasyprint
from weasyprint import css as weasyprint_css

# attributes weasyprint.HTML.__init__ sets (WeasyPrint 70); the fast path sets the same
_HTML_ATTRIBUTES = frozenset({"base_url", "url_fetcher", "media_type", "wrapper_element",
                              "etree_element"})
_UNUSED_PSEUDO = re.compile(r"^\s*::(footnote|note)-[a-z]+\s*\{[^}]*\}\s*$")
_ANY_MARKER = re.compile(r"^::marker(\s*\{)")


@lru_cache(maxsize=1)
def lean_ua_stylesheet() -> weasyprint.CSS | None:
    """WeasyPrint's user-agent stylesheet without the rules for pseudo-elements a payslip
    never has; ``None`` (use WeasyPrint's own) when its text is not laid out as expected."""
    from weasyprint.html import UA_COUNTER_STYLE

    text = (files(weasyprint_css) / "html5_ua.css").read_text("utf-8")
    lines = text.splitlines()
    kept = [_ANY_MARKER.sub(r"li::marker\1", line) for line in lines
            if not _UNUSED_PSEUDO.match(line)]
    if len(lines) - len(kept) != 5 or sum(line.startswith("li::marker") for line in kept) != 1:
        return None
    return weasyprint.CSS(string="\n".join(kept), counter_style=UA_COUNTER_STYLE)


class PayslipHTML(weasyprint.HTML):
    """``weasyprint.HTML`` with the lean user-agent stylesheet."""

    def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
        lean = lean_ua_stylesheet()
        return super()._ua_stylesheets(forms) if lean is None or forms else [lean]


@lru_cache(maxsize=1)
def fast_path_available() -> bool:
    """Whether this WeasyPrint's ``HTML`` holds exactly the state the fast path sets."""
    return set(vars(weasyprint.HTML(string="<p>x</p>"))) == _HTML_ATTRIBUTES


def xml_tree(html: str) -> ET.Element | None:
    """The element tree of ``html`` if it is a well-formed XML ``<html>`` document without
    namespaces or a ``<base>`` (which would change how URLs resolve), else ``None``.

    Markup declaring entities (only a template could: values are escaped) goes to the
    HTML5 parser, which does not expand them, so no template can make the XML parser
    blow up nested entities.
    """
    if "<!ENTITY" in html:  # XML keywords are case-sensitive: "<!entity" does not parse
        return None
    try:
        root = ET.fromstring(html)
    except ET.ParseError:
        return None
    # a fragment, XHTML with namespaced tags or a <base> is left to the HTML5 parser, which
    # completes and normalises what the XML parser would keep as written
    if root.tag != "html" or any("}" in el.tag or el.tag == "base" for el in root.iter()):
        return None
    return root


def payslip_document(html: str, base_url: str, url_fetcher: Any) -> weasyprint.HTML:
    """The WeasyPrint document for ``html``, parsed by the fastest parser that can."""
    root = xml_tree(html) if fast_path_available() else None
    if root is None:
        return PayslipHTML(string=html, base_url=base_url, url_fetcher=url_fetcher)
    document = PayslipHTML.__new__(PayslipHTML)
    wrapper = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
    document.base_url = base_url
    document.url_fetcher = url_fetcher
    document.media_type = "print"
    document.wrapper_element = wrapper
    document.etree_element = wrapper.etree_element
    return document
