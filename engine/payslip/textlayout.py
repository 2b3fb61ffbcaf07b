"""Text layout shared by every payslip of a process (WeasyPrint 70 internals).

Installed by ``engine.payslip.speedups``. Every line of text costs WeasyPrint two Pango
layouts: one to find where the line breaks (``split_first_line``), and after layout the
same text is shaped again from nothing to draw it (``Layout.reactivate``), each time with
a new Pango context and font description. Most lines of a payslip are the same on every
payslip (labels, headings, units), and with ``engine.payslip.styles`` they have the same
style object too, so three things are kept for the process:

- the answer of ``split_first_line`` for (text, style, available width, justification,
  line start, minimum): where the line breaks, its width, height and baseline. Each box
  gets its own copy of the answer's ``Layout`` (drawing may edit a box's layout);
- the Pango layout drawn for such a line: drawn once, then every later box with that
  answer draws from it (a draw with an ellipsis edits its layout, so it gets a fresh one);
  and what drawing it wrote: the PDF text operators (all but the position are the same
  every time) and, per glyph, its width and text, which each document's font records
  as drawing would (first text of a glyph kept). A line with a missing glyph, a colour
  font or right-to-left text is always drawn by WeasyPrint;
- per style, the Pango context, font description and font metrics a layout is made
  with (``Layout.setup``); they are never edited after they are made;
- per font face and size, the PDF font WeasyPrint builds from it (tables, metrics, the
  file's bytes): each document gets a copy with its own glyph widths and text.

Pango's answers are a pure function of those inputs and the fonts, so the PDFs are
byte-identical with or without the caches (tested).
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

import weasyprint.draw as wp_draw
from weasyprint.draw import text as wp_draw_text
from weasyprint.layout import inline as wp_inline
from weasyprint.layout import preferred as wp_preferred
from weasyprint.pdf import stream as wp_stream
from weasyprint.pdf.fonts import Font
from weasyprint.text import line_break as wp_line_break
from weasyprint.text.constants import LST_TO_ISO, PANGO_DIRECTION
from weasyprint.text.ffi import FROM_UNITS, ffi, gobject, harfbuzz, pango, unicode_to_char_p
from weasyprint.text.fonts import font_features, get_font_description, get_pango_font_key

Layout = wp_line_break.Layout
_split_first_line = wp_line_break.split_first_line
_reactivate = Layout.reactivate
_deactivate = Layout.deactivate
_draw_text = wp_draw_text.draw_text
_draw_first_line = wp_draw_text.draw_first_line
MAX_LINES = 4096
MAX_SETUPS = 1024
MAX_FONTS = 64
_DRAWN = "_payslip_drawn"  # on a Layout copy: the _Drawn shared by its copies

_LINES: dict[tuple, tuple] = {}
_FONTS: dict[tuple, Font] = {}  # (description hash, size, face address) -> first Font made
_SETUPS: dict[int, "_Setup"] = {}


class _Drawn:
    """The Pango layout one cached line was drawn with, shared by the boxes showing it,
    and what drawing it wrote (``ops``: ``None`` not yet recorded, ``()`` not replayable)."""

    __slots__ = ("layout", "language", "style", "text", "ops", "glyphs")

    def __init__(self) -> None:
        self.layout = self.language = self.style = self.text = self.ops = None
        self.glyphs: tuple = ()


class _Recorder:
    """A PDF stream that notes the calls ``draw_first_line`` makes on it."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.ops: list[tuple[str, Any]] = []

    def __getattr__(self, name):  # ink_rect, logical_rect: read as they are
        return getattr(self._stream, name)

    def set_text_matrix(self, *values):
        self.ops.append(("matrix", None))  # where the line is: the caller's each time
        self._stream.set_text_matrix(*values)

    def add_font(self, pango_font):
        self.ops.append(("add_font", pango_font))
        return self._stream.add_font(pango_font)

    def set_font_size(self, *args):
        self.ops.append(("set_font_size", args))
        self._stream.set_font_size(*args)

    def show_text(self, *args):
        self.ops.append(("show_text", args))
        self._stream.show_text(*args)

    def set_text_rise(self, *args):
        self.ops.append(("set_text_rise", args))
        self._stream.set_text_rise(*args)


class _Setup(NamedTuple):
    style: Any  # kept alive: the key is its id
    context: Any
    language: Any
    description: Any
    decoration: tuple | None  # ascent, underline/strikethrough position and thickness
    features: bytes


def split_first_line(text, style, context, max_width, justification_spacing,
                     is_line_start=True, minimum=False):
    """``split_first_line`` answered from the process's lines when it has seen them."""
    key = (text, id(style), max_width, justification_spacing, is_line_start, minimum)
    entry = _LINES.get(key)
    if entry is None or entry[0] is not style:
        layout, *metrics = _split_first_line(text, style, context, max_width,
                                             justification_spacing, is_line_start, minimum)
        if len(_LINES) >= MAX_LINES:
            _LINES.clear()
        entry = _LINES[key] = (style, dict(vars(layout)), _Drawn(), tuple(metrics))
    _style, state, drawn, metrics = entry
    layout = Layout.__new__(Layout)
    vars(layout).update(state)
    setattr(layout, _DRAWN, drawn)
    return (layout, *metrics)


def reactivate(self, style):
    """``Layout.reactivate``, taking the layout its line was already drawn with."""
    drawn = getattr(self, _DRAWN, None)
    if drawn is not None and drawn.style is style and drawn.text == self.text:
        self.layout, self.language, self.style = drawn.layout, drawn.language, style
        return
    _reactivate(self, style)


def deactivate(self):
    """``Layout.deactivate``, keeping the first drawn layout of a cached line."""
    drawn = getattr(self, _DRAWN, None)
    if drawn is not None and drawn.layout is None and hasattr(self, "layout"):
        drawn.layout, drawn.language, drawn.style = self.layout, self.language, self.style
        drawn.text = self.text
    _deactivate(self)


def draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis):
    """``draw_text``; a draw with an ellipsis edits its layout, so it gets its own."""
    if text_overflow == "ellipsis" or block_ellipsis != "none":
        vars(textbox.pango_layout).pop(_DRAWN, None)
    return _draw_text(stream, textbox, offset_x, text_overflow, block_ellipsis)


def _glyphs(stream, textbox) -> tuple | None:
    """(pango font, glyph, width, text) of every drawn glyph of the line just drawn,
    computed as ``draw_first_line`` does; ``None`` if the line has a glyph or a font
    that line drawing treats specially (missing glyph, colour or bitmap font)."""
    first_line, _ = textbox.pango_layout.get_first_line()
    utf8 = textbox.pango_layout.text.encode()
    out = []
    run = first_line.runs[0]
    while run != ffi.NULL:
        item = run.data
        run = run.next
        pango_font = item.item.analysis.font
        font, _size = stream.add_font(pango_font)
        if font.svg or font.png or font.colr or item.item.analysis.level % 2:
            return None
        glyphs, count = item.glyphs, item.glyphs.num_glyphs
        clusters, offset, length = glyphs.log_clusters, item.item.offset, item.item.length
        for i, info in enumerate(glyphs.glyphs[0:count]):
            glyph = info.glyph
            if glyph == pango.PANGO_GLYPH_EMPTY:
                continue
            if glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG or glyph not in font.widths:
                return None
            end = length if i == count - 1 else clusters[i + 1]
            text = utf8[offset + clusters[i]:offset + end].decode()
            out.append((pango_font, glyph, font.widths[glyph], text))
    return tuple(out)


def _replay(stream, drawn: _Drawn, matrix) -> bool:
    """Write what drawing the line wrote the first time; ``False`` (nothing written) if
    this document's fonts would make it write something else."""
    fonts = {}
    for op, arg in drawn.ops:
        if op == "add_font":
            fonts[arg] = stream.add_font(arg)[0]  # in the order drawing adds them
    for pango_font, glyph, width, _text in drawn.glyphs:
        if fonts[pango_font].widths.get(glyph, width) != width:
            return False
    for op, arg in drawn.ops:
        if op == "matrix":
            stream.set_text_matrix(*matrix.values)
        elif op != "add_font":
            getattr(stream, op)(*arg)
    for pango_font, glyph, width, text in drawn.glyphs:
        font = fonts[pango_font]
        font.to_unicode.setdefault(glyph, text)
        font.widths.setdefault(glyph, width)
    return True


def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """``draw_first_line``; a cached line writes what it wrote the first time."""
    drawn = getattr(textbox.pango_layout, _DRAWN, None)
    if (drawn is None or drawn.ops == () or drawn.layout is None
            or drawn.layout is not getattr(textbox.pango_layout, "layout", None)
            or not textbox.text.strip() or textbox.style["font_size"] < 1e-6):
        return _draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    if drawn.ops is not None and _replay(stream, drawn, matrix):
        return []
    recorder = _Recorder(stream)
    emojis = _draw_first_line(recorder, textbox, text_overflow, block_ellipsis, matrix)
    glyphs = None if emojis else _glyphs(stream, textbox)
    if drawn.ops is None:
        drawn.ops, drawn.glyphs = (tuple(recorder.ops), glyphs) if glyphs is not None else ((), ())
    return emojis


def add_font(self, pango_font):
    """``Stream.add_font``: a document's font for a Pango font is a copy of the first one
    made for the same font face and size (instead of reading the font's tables, metrics
    and whole file again for every payslip), with its own glyph widths and text."""
    key, description, font_size = get_pango_font_key(pango_font)
    if key not in self._fonts:
        face = harfbuzz.hb_font_get_face(pango.pango_font_get_hb_font(pango_font))
        cache_key = (key, font_size, int(ffi.cast("uintptr_t", face)))
        template = _FONTS.get(cache_key)
        if template is None:
            template = Font(pango_font, description, font_size)
            if template.png or template.svg or template.colr:  # colour glyphs: per document
                self._fonts[key] = template
                return template, font_size
            same_file = next((f for (_, _, address), f in _FONTS.items()
                              if address == cache_key[2]), None)
            if same_file is not None:  # one copy of a font file's bytes for all its sizes
                template.file_content = same_file.file_content
            if len(_FONTS) >= MAX_FONTS:
                _FONTS.clear()
            _FONTS[cache_key] = template  # holds a reference to ``face``: the address stays
        font = copy.copy(template)
        font.widths, font.to_unicode, font.missing = {}, {}, {}
        font.used_in_forms = False
        font.variations, font.tables = dict(template.variations), list(template.tables)
        self._fonts[key] = font
    return self._fonts[key], font_size


def _language(style) -> tuple[Any, Any]:
    """The Pango language of ``style`` and whether the context must be set to it."""
    override = style["font_language_override"]
    if override != "normal":
        lang_p, _ = unicode_to_char_p(LST_TO_ISO.get(override.lower(), override))
    elif style["lang"]:
        lang_p, _ = unicode_to_char_p(style["lang"])
    else:
        return pango.pango_language_get_default(), False
    return pango.pango_language_from_string(lang_p), True


def _decoration(context, description, language) -> tuple:
    metrics = ffi.gc(pango.pango_context_get_metrics(context, description, language),
                     pango.pango_font_metrics_unref)
    return tuple(FROM_UNITS * getter(metrics) for getter in (
        pango.pango_font_metrics_get_ascent,
        pango.pango_font_metrics_get_underline_position,
        pango.pango_font_metrics_get_strikethrough_position,
        pango.pango_font_metrics_get_underline_thickness,
        pango.pango_font_metrics_get_strikethrough_thickness))


def _setup_for(style) -> _Setup:
    """What ``Layout.setup`` makes for ``style`` before the layout itself (once)."""
    entry = _SETUPS.get(id(style))
    if entry is not None and entry.style is style:
        return entry
    context = ffi.gc(pango.pango_font_map_create_context(style.font_config.font_map),
                     gobject.g_object_unref)
    pango.pango_context_set_round_glyph_positions(context, False)
    pango.pango_context_set_base_dir(context, PANGO_DIRECTION[style["direction"]])
    language, set_language = _language(style)
    if set_language:
        pango.pango_context_set_language(context, language)
    assert not isinstance(style["font_family"], str), "font_family should be a list"
    description = get_font_description(style)
    decoration = (_decoration(context, description, language)
                  if style["text_decoration_line"] != "none" else None)
    features = font_features(
        style["font_kerning"], style["font_variant_ligatures"],
        style["font_variant_position"], style["font_variant_caps"],
        style["font_variant_numeric"], style["font_variant_alternates"],
        style["font_variant_east_asian"], style["font_feature_settings"])
    joined = ",".join(f"{key} {value}" for key, value in features.items()).encode()
    if len(_SETUPS) >= MAX_SETUPS:
        _SETUPS.clear()
    entry = _SETUPS[id(style)] = _Setup(style, context, language, description, decoration,
                                        joined)
    return entry


def setup(self, style):
    """``Layout.setup`` with the style's shared context and font description."""
    shared = _setup_for(style)
    self.style = style
    self.first_line_direction = 0
    self.language = shared.language
    self.layout = ffi.gc(pango.pango_layout_new(shared.context), gobject.g_object_unref)
    pango.pango_layout_set_auto_dir(self.layout, False)
    pango.pango_layout_set_font_description(self.layout, shared.description)
    if shared.decoration is None:
        self.ascent = self.underline_position = self.strikethrough_position = None
    else:
        (self.ascent, self.underline_position, self.strikethrough_position,
         self.underline_thickness, self.strikethrough_thickness) = shared.decoration
    if shared.features:
        attr = style.font_config.font_features.setdefault(
            shared.features, pango.pango_attr_font_features_new(shared.features))
        attr_list = pango.pango_attr_list_new()
        pango.pango_attr_list_insert(attr_list, attr)
        pango.pango_layout_set_attributes(self.layout, attr_list)


PATCHES = ((wp_inline, "split_first_line", split_first_line),
           (wp_preferred, "split_first_line", split_first_line),
           (Layout, "setup", setup),
           (Layout, "reactivate", reactivate),
           (Layout, "deactivate", deactivate),
           (wp_draw, "draw_text", draw_text),
           (wp_draw_text, "draw_first_line", draw_first_line),
           (wp_stream.Stream, "add_font", add_font))


def clear() -> None:
    _LINES.clear()
    _FONTS.clear()
    _SETUPS.clear()
