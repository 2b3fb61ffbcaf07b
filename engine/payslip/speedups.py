"""Caches inside WeasyPrint 70 that make a warm worker's payslips cheaper, same bytes.

Installed by ``engine.payslip.pdf`` when a ``Renderer`` is built. A worker renders
hundreds of payslips from one template: the same stylesheet, the same labels, the same
boxes with the same styles. WeasyPrint computes all of it again for every document.
These patches keep, for the process, what is a pure function of inputs that repeat:

- ``engine.payslip.styles``: computed styles, shared across documents;
- ``engine.payslip.textlayout``: line breaking and shaping of repeated text, and the
  Pango context and font description of a style;
- ``engine.payslip.borders``: the colours and line styles of a style's borders;
- here: the used margins, paddings, sizes and borders of a box
  (``resolve_percentages``) for a style and containing block, the strut (line height
  and baseline) of a style, the styles of a table and its wrapper (``wrap_table``), and
  cssselect2's compiled selectors for a selector string, whether a style has any
  background or square corners; ``avoid_collisions`` without looking for floats when
  the page has none, and ``gather_anchors`` passing over boxes that carry no anchor,
  link, bookmark, form or transform.

They replace functions inside WeasyPrint, so they are tied to the one version they were
written and checked against: with any other WeasyPrint ``install`` does nothing and
payslips are rendered by WeasyPrint alone (slower, same layout). The tests render the
same payslips with and without them and compare the bytes. Every cache is bounded and
keeps alive the objects its keys name by identity; a process renders one payslip at a
time (``RENDER_LOCK``), since the caches and the shared layouts are not thread-safe.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import weasyprint
from cssselect2 import tree as cssselect2_tree
from weasyprint.css import properties as wp_properties
from weasyprint.formatting_structure import boxes
from weasyprint.formatting_structure import build as wp_build
from weasyprint import anchors as wp_anchors
from weasyprint import document as wp_document
from weasyprint import layout as wp_layout
from weasyprint.layout import background as wp_background
from weasyprint.layout import block as wp_block
from weasyprint.layout import float as wp_float
from weasyprint.layout import inline as wp_inline
from weasyprint.layout import percent as wp_percent
from weasyprint.text import line_break as wp_line_break

from engine.payslip import borders, styles, textlayout

SUPPORTED_VERSION = "70.0"
RENDER_LOCK = threading.RLock()
MAX_ENTRIES = 8192

_resolve_percentages = wp_percent.resolve_percentages
_strut = wp_line_break.strut
_wrap_table = wp_build.wrap_table
_avoid_collisions = wp_float.avoid_collisions
_layout_box_backgrounds = wp_background.layout_box_backgrounds
_resolve_radii_percentages = wp_percent.resolve_radii_percentages
_gather_anchors = wp_anchors.gather_anchors
_FORM_TAGS = frozenset({"form", "button", "input", "select", "textarea"})
_CORNERS = tuple(f"border_{corner}_radius"
                 for corner in ("top_left", "top_right", "bottom_right", "bottom_left"))
_layout_context_init = wp_layout.LayoutContext.__init__
_LOCAL = threading.local()  # .contexts: this thread's layout contexts not yet released
_compile_selector_list = cssselect2_tree.compile_selector_list
_USED = ("margin_left", "margin_right", "margin_top", "margin_bottom",
         "padding_left", "padding_right", "padding_top", "padding_bottom",
         "width", "min_width", "max_width", "height", "min_height", "max_height",
         "border_top_width", "border_right_width", "border_bottom_width", "border_left_width")
_PERCENTAGES: dict[tuple, tuple[Any, dict[str, Any]]] = {}
_STRUTS: dict[int, tuple[Any, tuple]] = {}
_TABLE_STYLES: dict[tuple, tuple[Any, Any, Any]] = {}  # -> (style, wrapper's, table's)
_NO_BACKGROUND: dict[int, tuple[Any, bool]] = {}
_SQUARE: dict[int, tuple[Any, bool]] = {}
_INSTALLED: list[tuple[object, str, object]] = []  # (owner, name, original)
_SWITCHED_OFF: list[bool] = []  # non-empty inside ``disabled()``


def resolve_percentages(box, containing_block):
    """``resolve_percentages`` answered from earlier boxes with the same style and
    containing block (collapsed borders, resolved per box, are left to WeasyPrint)."""
    style = box.style
    if style["border_collapse"] == "collapse":
        return _resolve_percentages(box, containing_block)
    if isinstance(containing_block, boxes.Box):
        block = (containing_block.width, containing_block.height)
    else:
        block = tuple(containing_block)
    key = (id(style), type(box), block)  # the type: a page box resolves heights otherwise
    entry = _PERCENTAGES.get(key)
    if entry is None or entry[0] is not style:
        _resolve_percentages(box, containing_block)
        if len(_PERCENTAGES) >= MAX_ENTRIES:
            _PERCENTAGES.clear()
        _PERCENTAGES[key] = (style, {name: getattr(box, name) for name in _USED})
        return None
    vars(box).update(entry[1])
    return None


def strut(style):
    """``strut`` (used line height and baseline) once per style object."""
    entry = _STRUTS.get(id(style))
    if entry is not None and entry[0] is style:
        return entry[1]
    result = _strut(style)
    if len(_STRUTS) >= MAX_ENTRIES:
        _STRUTS.clear()
    _STRUTS[id(style)] = (style, result)
    return result


def avoid_collisions(context, box, containing_block, outer=True):
    """``avoid_collisions`` when no float is on the page: the bounds are the containing
    block's (the same arithmetic as WeasyPrint's, without its loop over floats)."""
    if context.excluded_shapes or containing_block.style["direction"] != "ltr":
        return _avoid_collisions(context, box, containing_block, outer)
    position_y = box.position_y if outer else box.border_box_y()
    if box.border_height() == 0 and box.is_floated():
        return 0, position_y, containing_block.width
    max_left_bound = containing_block.content_box_x()
    max_right_bound = max_left_bound + containing_block.width
    if not outer:
        max_left_bound += box.margin_left
        max_right_bound -= box.margin_right
    assert (box.is_floated() or isinstance(box, boxes.LineBox) or box.is_table_wrapper
            or isinstance(box, boxes.BlockReplacedBox) or box.establishes_formatting_context())
    position_x = max_left_bound
    if not outer:
        position_x -= box.margin_left
        position_y -= box.margin_top
    return position_x, position_y, max_right_bound - max_left_bound


def _no_background(style) -> bool:
    """Whether WeasyPrint gives a box of ``style`` no background, border image or mask
    (the conditions of ``layout_box_backgrounds``, once per style)."""
    entry = _NO_BACKGROUND.get(id(style))
    if entry is None or entry[0] is not style:
        color = style["background_color"]
        color = style["color"] if color == "currentcolor" else color
        plain = (style["border_image_source"][0] == "none"
                 and style["mask_border_source"][0] == "none" and not style["box_shadow"]
                 and (style["visibility"] == "hidden"
                      or (color.alpha == 0 and all(kind != "url" and not value for kind, value
                                                   in style["background_image"]))))
        if len(_NO_BACKGROUND) >= MAX_ENTRIES:
            _NO_BACKGROUND.clear()
        entry = _NO_BACKGROUND[id(style)] = (style, plain)
    return entry[1]


def resolve_radii_percentages(box):
    """``resolve_radii_percentages``: a style whose four corners each have a zero radius
    (WeasyPrint's short track) gives every box ``(0, 0)`` corners without the lookups."""
    style = box.style
    entry = _SQUARE.get(id(style))
    if entry is None or entry[0] is not style:
        square = all((0, "px") in style[name] for name in _CORNERS)
        if len(_SQUARE) >= MAX_ENTRIES:
            _SQUARE.clear()
        entry = _SQUARE[id(style)] = (style, square)
    if not entry[1]:
        return _resolve_radii_percentages(box)
    vars(box).update(dict.fromkeys(_CORNERS, (0, 0)))
    return None


def layout_box_backgrounds(page, box, get_image_from_uri, layout_children=True,
                           style=None):
    """``layout_box_backgrounds``, skipping the background's computation for a box
    whose style has none (as WeasyPrint would conclude)."""
    if style is not None or box is page or not _no_background(box.style):
        return _layout_box_backgrounds(page, box, get_image_from_uri, layout_children, style)
    resolve_radii_percentages(box)
    if layout_children:
        for child in box.all_children():
            layout_box_backgrounds(page, child, get_image_from_uri)
    box.background = None
    return None


def gather_anchors(box, anchors, links, bookmarks, forms, parent_matrix=None,
                   parent_form=None, parent_link=None):
    """``gather_anchors``: a box without a transform, an anchor, a bookmark, a link or a
    form element adds nothing; its children are looked at as WeasyPrint would."""
    style = box.style
    if (style["transform"] or style["anchor"] or box.bookmark_label or box.link
            or parent_link or (box.element is not None and box.element.tag in _FORM_TAGS)):
        return _gather_anchors(box, anchors, links, bookmarks, forms, parent_matrix,
                               parent_form, parent_link)
    for child in box.all_children():
        gather_anchors(child, anchors, links, bookmarks, forms, parent_matrix, parent_form)
    return None


def layout_context_init(self, *args, **kwargs):
    """``LayoutContext.__init__``, noting the context so ``release`` can find it."""
    _layout_context_init(self, *args, **kwargs)
    _contexts().add(self)


def _contexts() -> "weakref.WeakSet[Any]":
    if not hasattr(_LOCAL, "contexts"):
        _LOCAL.contexts = weakref.WeakSet()
    return _LOCAL.contexts


def release() -> None:
    """Break the one reference cycle holding a written document: its layout context's
    ``get_image_from_uri`` is a partial of the context itself, so every box, style and
    layout of the page waited for the garbage collector (1,700 objects a payslip, the
    collector's whole work). Called once the PDF bytes exist; nothing reads it then.
    Only this thread's contexts: another thread may be laying out a document of its own."""
    contexts = _contexts()
    for context in list(contexts):
        vars(context).pop("get_image_from_uri", None)
    contexts.clear()


def wrap_table(box, children):
    """``wrap_table``, giving the wrapper and the table the styles an earlier table of the
    same style got (WeasyPrint copies and edits both for every table of every document,
    and then computes the copies' values afresh)."""
    for name in wp_properties.TABLE_WRAPPER_BOX_PROPERTIES:
        box.style[name]  # computed once on the shared style: its copies below inherit it
    wrapper = _wrap_table(box, children)
    table = next(child for child in wrapper.children if isinstance(child, boxes.TableBox))
    key = (id(box.style), type(wrapper))
    entry = _TABLE_STYLES.get(key)
    if entry is None or entry[0] is not box.style:
        if len(_TABLE_STYLES) >= MAX_ENTRIES:
            _TABLE_STYLES.clear()
        _TABLE_STYLES[key] = (box.style, wrapper.style, table.style)
    else:
        wrapper.style, table.style = entry[1], entry[2]
    return wrapper


@lru_cache(maxsize=256)
def _compiled_selectors(selectors: str) -> tuple:
    return tuple(_compile_selector_list(selectors))


def compile_selector_list(input, namespaces=None):
    """cssselect2's ``compile_selector_list``, once per selector string (WeasyPrint
    queries ``'title', 'meta', 'link'`` in every document; compiling evaluates code)."""
    if isinstance(input, str) and namespaces is None:
        return list(_compiled_selectors(input))
    return _compile_selector_list(input, namespaces)


def _targets() -> list[tuple[object, str, object]]:
    """Every place a patched function is looked up from, with its replacement."""
    out = [*styles.PATCHES, *textlayout.PATCHES, *borders.PATCHES,
           (wp_build, "wrap_table", wrap_table),
           (wp_inline, "avoid_collisions", avoid_collisions),
           (wp_layout.LayoutContext, "__init__", layout_context_init),
           (wp_anchors, "gather_anchors", gather_anchors),
           (wp_document, "gather_anchors", gather_anchors),
           (wp_background, "layout_box_backgrounds", layout_box_backgrounds),
           (wp_background, "resolve_radii_percentages", resolve_radii_percentages),
           (wp_block, "avoid_collisions", avoid_collisions),
           (cssselect2_tree, "compile_selector_list", compile_selector_list)]
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("weasyprint."):
            continue
        if getattr(module, "resolve_percentages", None) is _resolve_percentages:
            out.append((module, "resolve_percentages", resolve_percentages))
        if getattr(module, "strut", None) is _strut:
            out.append((module, "strut", strut))
    return out


def supported() -> bool:
    return weasyprint.__version__ == SUPPORTED_VERSION


def install() -> bool:
    """Put the caches in place (once per process); ``False`` with another WeasyPrint or
    inside ``disabled()``."""
    if not supported() or _SWITCHED_OFF:
        return False
    with RENDER_LOCK:
        if not _INSTALLED:
            for owner, name, replacement in _targets():
                _INSTALLED.append((owner, name, getattr(owner, name)))
                setattr(owner, name, replacement)
    return True


def uninstall() -> None:
    """Put WeasyPrint back as it was and forget every cached value."""
    with RENDER_LOCK:
        for owner, name, original in reversed(_INSTALLED):
            setattr(owner, name, original)
        _INSTALLED.clear()
        clear()


@contextmanager
def disabled() -> Iterator[None]:
    """WeasyPrint alone inside the block (renderers built in it install nothing)."""
    was_installed = installed()
    uninstall()
    _SWITCHED_OFF.append(True)
    try:
        yield
    finally:
        _SWITCHED_OFF.pop()
        if was_installed:
            install()


def installed() -> bool:
    return bool(_INSTALLED)


def clear() -> None:
    _PERCENTAGES.clear()
    _STRUTS.clear()
    _TABLE_STYLES.clear()
    _NO_BACKGROUND.clear()
    _SQUARE.clear()
    styles.clear()
    textlayout.clear()
    borders.clear()
