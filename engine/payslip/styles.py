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
stands for another object. Page and margin-box styles are shared per page type (side,
name, index): layout's edits of them (the page counters, the viewport's overflow) give
the same values every time they are made.

A document whose element tree has the same shape as an earlier one — the same tags and
attributes in the same places, with the same values where a selector or WeasyPrint
reads them (a ``<meta>``'s content is read by none), text in the same elements
(``:empty``), no ``<style>`` or ``<link>`` of its own — matches the same rules of the same stylesheets element by
element, so its styles are taken from that document without running the cascade
(``get_all_computed_styles``): payslips of a run mostly differ only in their text.

One edit of WeasyPrint's on a shared style is undone: propagating ``overflow`` to the
viewport sets the root's (or body's) ``overflow`` to ``visible``; the value it had is
remembered on the style so the next document propagates the same value.
"""

from __future__ import annotations

from typing import Any

from weasyprint import css as wp_css
from weasyprint import document as wp_document
from weasyprint.formatting_structure import build as wp_build
from weasyprint.layout import page as wp_page

_set_computed_styles = wp_css.StyleFor.set_computed_styles
_get_all_computed_styles = wp_css.get_all_computed_styles
MAX_STYLES = 4096
MAX_SHAPES = 64
# what StyleFor.__init__ sets (WeasyPrint 70); a shape hit builds the same
_STYLE_FOR_ATTRIBUTES = frozenset({"_cascaded_styles", "_computed_styles",
                                   "initial_page_sizes", "_sheets", "font_config"})

_STYLES: dict[tuple, Any] = {}
_VALUE_KEYS: dict[int, tuple[Any, object]] = {}  # id(value) -> (value, its key)
# shape key -> (sheets, [(element index, pseudo type, style)])
_SHAPES: dict[tuple, tuple[list, list[tuple[int, Any, Any]]]] = {}
_SELECTOR_STRINGS: dict[tuple, tuple[list, frozenset[str]]] = {}
# attributes WeasyPrint and cssselect2 read for styles besides the selectors' own
_READ_ALWAYS = frozenset({"class", "id", "lang", "{http://www.w3.org/XML/1998/namespace}lang",
                          "style", "name", "width", "height", "href", "disabled"})
_SAVED_OVERFLOW = "_payslip_viewport_overflow"  # on the style: its value before propagation


class _NotPlain(Exception):
    pass


def _plain(value: object, lists: bool = True) -> object:
    """``value`` as a hashable key comparing by value (type included, so 1 != 1.0), for
    strings, numbers and (named) tuples of them, and lists (as the value they have now)
    if ``lists``; ``_NotPlain`` for anything else."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, (int, float)):
        return (type(value).__name__, value)
    if isinstance(value, tuple) or (lists and isinstance(value, list)):
        return (type(value).__name__, tuple(_plain(item, lists) for item in value))
    raise _NotPlain


def _value_key(value: object) -> object:
    entry = _VALUE_KEYS.get(id(value))
    if entry is not None and entry[0] is value:
        return entry[1]
    try:
        key = _plain(value, lists=False)  # immutable: its key can be kept
    except _NotPlain:
        key = ("id", id(value))  # the cached style's ``cascaded`` keeps ``value`` alive
    if len(_VALUE_KEYS) >= MAX_STYLES:
        _VALUE_KEYS.clear()
    _VALUE_KEYS[id(value)] = (value, key)
    return key


def _weight_key(weight: object) -> object:
    try:  # (precedence, layer, specificity): made afresh per document, compared by value
        return _plain(weight)
    except _NotPlain:
        return ("id", id(weight))  # kept alive by the cached style's ``cascaded``


def _cascade_key(cascaded: dict[str, tuple[Any, Any]]) -> tuple:
    return tuple((name, _value_key(value), _weight_key(weight))
                 for name, (value, weight) in cascaded.items())


def set_computed_styles(self, element, parent, root=None, pseudo_type=None,
                        base_url=None, target_collector=None):
    """``StyleFor.set_computed_styles`` answering from the process's shared styles."""
    page = isinstance(element, wp_page.PageType)  # a page type and its margin boxes
    try:
        page_key = _plain(element) if page else None
    except _NotPlain:
        page = False
    if not page and not hasattr(element, "tag"):
        return _set_computed_styles(self, element, parent, root, pseudo_type, base_url,
                                    target_collector)
    computed = self.get_computed_styles()
    is_root = element == root and pseudo_type is None
    parent_style = None if is_root else computed[parent, None]
    root_style = None if is_root else computed[root, None]
    cascaded = self.get_cascaded_styles().get((element, pseudo_type), {})
    key = (page_key, id(parent_style), id(root_style), pseudo_type,
           base_url, id(self.font_config), _cascade_key(cascaded))
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


def _code_strings(code) -> set[str]:
    out: set[str] = set()
    for const in code.co_consts:
        if isinstance(const, str):
            out.add(const)
        elif hasattr(const, "co_consts"):
            out |= _code_strings(const)
    return out


def _selector_strings(sheets: list) -> frozenset[str]:
    """Every string constant of the sheets' compiled selectors: cssselect2 compiles an
    attribute selector to ``el.etree_element.get('name')``, so an attribute whose name is
    not among them has a value no selector of these sheets reads."""
    key = tuple(id(sheet) for sheet, _, _ in sheets)
    entry = _SELECTOR_STRINGS.get(key)
    if entry is None:
        strings: set[str] = set()
        for sheet, _origin, _specificity in sheets:
            matcher = sheet.matcher
            buckets = [*matcher.id_selectors.values(), *matcher.class_selectors.values(),
                       *matcher.lower_local_name_selectors.values(),
                       *matcher.namespace_selectors.values(),
                       matcher.lang_attr_selectors, matcher.other_selectors]
            for bucket in buckets:
                for test, *_rest in bucket:
                    strings |= _code_strings(test.__code__)
        entry = _SELECTOR_STRINGS[key] = (sheets, frozenset(strings))  # keeps the ids alive
    return entry[1]


def _shape(elements: list, read: frozenset[str]) -> tuple | None:
    """What selector matching and WeasyPrint's own attribute styles can see of a
    document: tags, attribute names, the values of attributes that are read (``read``
    and ``_READ_ALWAYS``), children and whether there is text, in tree order. ``None``
    when it has stylesheets of its own, nodes other than elements (comments) or declares
    its language in a ``<meta>``."""
    shape = []
    for element in elements:
        if (not isinstance(element.tag, str) or element.tag in ("style", "link")
                or "http-equiv" in element.attrib):
            return None
        attributes = tuple(sorted((name, value if name in read or name in _READ_ALWAYS
                                   else None) for name, value in element.attrib.items()))
        shape.append((element.tag, attributes, len(element), bool(element.text),
                      bool(element.tail)))
    return tuple(shape)


def _sheets(html, user_stylesheets, presentational_hints: bool, forms: bool) -> list:
    """The stylesheets ``get_all_computed_styles`` applies to a document without any of
    its own, with their origins, in its order."""
    sheets = [(sheet, "user agent", None) for sheet in html._ua_stylesheets(forms) or []]
    if presentational_hints:
        sheets += [(sheet, "author", (0, 0, 0)) for sheet in html._ph_stylesheets() or []]
    return sheets + [(sheet, "user", None) for sheet in user_stylesheets or []]


def _style_for(sheets: list, font_config, computed: dict):
    style_for = wp_css.StyleFor.__new__(wp_css.StyleFor)
    style_for._cascaded_styles = {}
    style_for._computed_styles = computed
    style_for.initial_page_sizes = {"box": None, "area": None}
    style_for._sheets = sheets
    style_for.font_config = font_config
    return style_for


def get_all_computed_styles(html, user_stylesheets=None, presentational_hints=False,
                            font_config=None, counter_style=None, color_profiles=None,
                            page_rules=None, layers=None, target_collector=None,
                            forms=False):
    """``get_all_computed_styles``, taking the styles of an earlier document of the same
    shape when there is one."""
    elements = list(html.etree_element.iter())
    sheets = _sheets(html, user_stylesheets, presentational_hints, forms)
    shape = None
    if font_config is not None and counter_style is not None and not presentational_hints:
        shape = _shape(elements, _selector_strings(sheets))
    if shape is None:
        return _get_all_computed_styles(html, user_stylesheets, presentational_hints,
                                        font_config, counter_style, color_profiles,
                                        page_rules, layers, target_collector, forms)
    key = (shape, tuple(id(sheet) for sheet, _, _ in sheets), html.base_url,
           id(font_config), presentational_hints, forms)
    entry = _SHAPES.get(key)
    if entry is None or any(a is not b for (a, _, _), (b, _, _) in zip(entry[0], sheets)):
        style_for = _get_all_computed_styles(
            html, user_stylesheets, presentational_hints, font_config, counter_style,
            color_profiles, page_rules, layers, target_collector, forms)
        if set(vars(style_for)) == _STYLE_FOR_ATTRIBUTES:
            index = {element: i for i, element in enumerate(elements)}
            if len(_SHAPES) >= MAX_SHAPES:
                _SHAPES.clear()
            _SHAPES[key] = (sheets, [(index[element], pseudo, style) for (element, pseudo), style
                                     in style_for.get_computed_styles().items()])
        return style_for
    for style in html._ua_counter_style():
        for name, value in style.items():
            counter_style[name] = value
    computed = {(elements[i], pseudo): style for i, pseudo, style in entry[1]}
    for (_element, pseudo), style in computed.items():
        if target_collector and pseudo is None and style["anchor"]:
            target_collector.collect_anchor(style["anchor"])
    return _style_for(sheets, font_config, computed)


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
           (wp_document, "get_all_computed_styles", get_all_computed_styles),
           (wp_build, "set_viewport_overflow", set_viewport_overflow))


def clear() -> None:
    """Forget every shared style (the next documents compute theirs afresh)."""
    _STYLES.clear()
    _VALUE_KEYS.clear()
    _SHAPES.clear()
    _SELECTOR_STRINGS.clear()


def shared_styles() -> int:
    return len(_STYLES)
