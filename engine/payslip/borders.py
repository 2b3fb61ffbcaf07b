"""Border drawing with what a style decides worked out once (WeasyPrint 70 internals).

Installed by ``engine.payslip.speedups``. ``draw_border`` looks up and compares the
colours and line styles of the four sides of every bordered box of every payslip; they
depend on the style alone (hashing a colour formats it as text), so they are kept per
style object. What depends on the box — its used border widths and its rounded border
box — is computed per box as before, and the drawing calls are WeasyPrint's own, in
its order: this is ``draw_border`` of WeasyPrint 70 with the per-style part hoisted.
Boxes with column rules, a border image or a hidden style are left to WeasyPrint.
"""

from __future__ import annotations

from typing import Any

import weasyprint.draw as wp_draw
from weasyprint.draw import border as wp_border
from weasyprint.draw.color import get_color
from weasyprint.formatting_structure import boxes

_draw_border = wp_border.draw_border
SIDES = wp_border.SIDES
MAX_STYLES = 4096
_STYLES: dict[int, tuple[Any, tuple | None]] = {}


def _decided(style) -> tuple | None:
    """(colours, styles, one simple style, one colour) of ``style``'s four sides, or
    ``None`` when WeasyPrint must draw (hidden, border image)."""
    entry = _STYLES.get(id(style))
    if entry is not None and entry[0] is style:
        return entry[1]
    decided = None
    if style["visibility"] == "visible" and style["border_image_source"][0] == "none":
        colors = tuple(get_color(style, f"border_{side}_color") for side in SIDES)
        styles = tuple(colors[i].alpha and style[f"border_{side}_style"]
                       for i, side in enumerate(SIDES))
        decided = (colors, styles, set(styles) in ({"solid"}, {"double"}),
                   len(set(colors)) == 1)
    if len(_STYLES) >= MAX_STYLES:
        _STYLES.clear()
    _STYLES[id(style)] = (style, decided)
    return decided


def _columns(box) -> bool:
    return isinstance(box, boxes.BlockContainerBox) and (
        box.style["column_width"] != "auto" or box.style["column_count"] != "auto")


def draw_border(stream, box):
    """``draw_border`` with the style's colours and line styles decided once."""
    decided = _decided(box.style)
    if decided is None or (_columns(box) and box.style["column_rule_width"]):
        return _draw_border(stream, box)
    widths = [box.border_top_width, box.border_right_width, box.border_bottom_width,
              box.border_left_width]
    if set(widths) == {0}:
        return None
    colors, styles, simple_style, single_color = decided
    four_sides = 0 not in widths
    if simple_style and single_color and four_sides:
        with stream.artifact(), stream.stacked():
            wp_border.draw_rounded_border(stream, box, styles[0], colors[0])
        return None
    no_radii = all(rx == 0 and ry == 0 for rx, ry in box.rounded_border_box()[4:])
    dotted_dashed = set(styles) in ({"dotted"}, {"dashed"})
    if dotted_dashed and single_color and four_sides and len(set(widths)) == 1 and no_radii:
        with stream.artifact(), stream.stacked():
            wp_border.draw_dotted_dashed_border(stream, box, styles[0], widths[0], colors[0])
        return None
    values = tuple(zip(SIDES, widths, colors, styles))
    for index in (2, 3, 1, 0):
        side, width, color, style = values[index]
        if width == 0 or not color:
            continue
        with stream.artifact(), stream.stacked():
            wp_border.clip_border_segment(
                stream, style, width, side, box.rounded_border_box()[:4],
                widths, box.rounded_border_box()[4:])
            wp_border.draw_rounded_border(
                stream, box, style, wp_border.styled_color(style, color, side))
    return None


PATCHES = ((wp_draw, "draw_border", draw_border),)


def clear() -> None:
    _STYLES.clear()
