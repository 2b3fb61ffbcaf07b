"""Computed styles shared by every payslip of a process (WeasyPrint 70 internals).

Installed by ``engine.payslip.speedups`` with its other caches. WeasyPrint computes a
style object (``ComputedStyle``) for every element of every document, and most of its
values lazily, property by property, as layout and drawing ask for them: some 4,000
computations per payslip, one of the largest costs of a page. Within one document
WeasyPrint already shares one style between elements with the same parent style and the
same matching rules; a payslip of a run matches the same rules of the same stylesheet
objects as every other payslip, so this module extends that sharing across documents.

A style is reused when everything its values are computed from is the same: the parent
style (the same object, so inheritance is equal), the root style, the pseudo-element,
the base URL, the font configuration, and the cascaded declarations — each property's
winning value and its weight. Values from the stylesheets are compared by identity (the
same parsed objects every time); values WeasyPrint parses per document from attributes
(``lang``, ``id``) are compared by value when they are plain strings, numbers and tuples.
Every object a key names is kept alive by the cached style itself, so an identity never
stands for another object. Page and margin-box styles, which layout edits per document,
are never shared.

One edit of WeasyPrint's on a shared style is undone: propagating ``overflow`` to the
viewport sets the root's (or body's) ``overflow`` to ``visible``; the value it had is
remembered on the style so the next document propagates the same value.
"""

from __future__ import annotations

from typing import Any

from weasyprint import css as wp_css
from weasyprint.formatting_structure import build as wp_build

_set_computed_styles = wp_css.StyleFor.set_computed_styles
MAX_STYLES = 4096

_STYLES: dict[tuple, Any] = {}
_SAVED_OVERFLOW = "_payslip_viewport_overflow"  # on the style: its value before propagation


class _NotPlain(Exception):
    pass


def _plain(value: object) -> object:
    """``value`` as a hashable key comparing by value (type included, so 1 != 1.0), for
    strings, numbers and (named) tuples of them; ``_NotPlain`` for anything else."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, float)):
        return (type(value).__name__, value)
    if isinstance(value, tuple):
        return (type(value).__name__, tuple(_plain(item) for item in value))
    raise _NotPlain


def _value_key(value: object) -> object:
    try:
        return _plain(value)
    except _NotPlain:
        return ("id", id(value))  # the cached style's ``cascaded`` keeps ``value`` alive


def _cascade_key(cascaded: dict[str, tuple[Any, Any]]) -> tuple:
    return tuple((name, _value_key(value), weight)
                 for name, (value, weight) in cascaded.items())


def set_computed_styles(self, element, parent, root=None, pseudo_type=None,
                        base_url=None, target_collector=None):
    """``StyleFor.set_computed_styles`` answering from the process's shared styles."""
    if not hasattr(element, "tag"):  # '@page' and margin boxes: edited per document
        return _set_computed_styles(self, element, parent, root, pseudo_type, base_url,
                                    target_collector)
    computed = self.get_computed_styles()
    is_root = element == root and pseudo_type is None
    parent_style = None if is_root else computed[parent, None]
    root_style = None if is_root else computed[root, None]
    cascaded = self.get_cascaded_styles().get((element, pseudo_type), {})
    key = (id(parent_style), id(root_style), pseudo_type, base_url, id(self.font_config),
           _cascade_key(cascaded))
    style = _STYLES.get(key)
    if style is None:
        _set_computed_styles(self, element, parent, root, pseudo_type, base_url,
                             target_collector)
        if len(_STYLES) >= MAX_STYLES:
            clear()
        _STYLES[key] = computed[element, pseudo_type]
        return None
    computed[element, pseudo_type] = style
    if target_collector and style["anchor"]:
        target_collector.collect_anchor(style["anchor"])
    return None


def _overflow(box) -> str:
    return getattr(box.style, _SAVED_OVERFLOW, None) or box.style["overflow"]


def set_viewport_overflow(root_box):
    """``build.set_viewport_overflow`` reading the value a shared style had before an
    earlier document's propagation set it to ``visible``."""
    chosen = root_box
    if root_box.element_tag.lower() == "html" and _overflow(root_box) == "visible":
        for child in root_box.children:
            if child.element_tag.lower() == "body":
                chosen = child
                break
    value = _overflow(chosen)
    setattr(chosen.style, _SAVED_OVERFLOW, value)
    root_box.viewport_overflow = value
    chosen.style["overflow"] = "visible"
    return root_box


PATCHES = ((wp_css.StyleFor, "set_computed_styles", set_computed_styles),
           (wp_build, "set_viewport_overflow", set_viewport_overflow))


def clear() -> None:
    """Forget every shared style (the next documents compute theirs afresh)."""
    _STYLES.clear()


def shared_styles() -> int:
    return len(_STYLES)
