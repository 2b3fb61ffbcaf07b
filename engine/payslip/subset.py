"""The payslip's common CJK font: the first font of the chain cut down once per process.

Used by ``engine.payslip.pdf`` when a ``Renderer`` is built. WeasyPrint subsets every font
a PDF uses, for every PDF, starting from the whole font file: for WenQuanYi Micro Hei that
is a 5 MB collection of about 30,000 glyphs, read and cut twice per payslip. Cutting it
once to the characters payslips are made of (ASCII, Latin-1, punctuation, the 6,763 hanzi
of GB 2312 and every character of the template's labels) leaves WeasyPrint a small font to
subset per payslip; each PDF still carries only the glyphs it prints.

The cut is made with HarfBuzz's subsetter (``libharfbuzz-subset``, which WeasyPrint itself
loads), in about a tenth of a second, and is a pure function of the font file and the
character set, so every worker and every machine with the same font file gets the same
bytes. Characters outside the set fall through to the next font of the stylesheet's
chain, the whole WenQuanYi Micro Hei, so rare name characters print exactly as before.
"""

from __future__ import annotations

from functools import lru_cache

import cffi

from engine.errors import ConfigError

# The family name the stylesheet uses for the cut font (``@font-face`` given by the renderer).
COMMON_FAMILY = "WenQuanYi Micro Hei Common"
SOURCE_FAMILY = "WenQuanYi Micro Hei"

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
hb_blob_t *hb_face_reference_blob (hb_face_t *face);
void hb_set_add_range (hb_set_t *set, uint32_t first, uint32_t last);
const char *hb_version_string (void);
hb_subset_input_t *hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""
_LIBRARIES = ("libharfbuzz.so.0", "libharfbuzz-subset.so.0")

# Unicode ranges every payslip may print: ASCII and Latin-1, general punctuation, CJK
# symbols and punctuation, fullwidth forms (the GB 2312 hanzi are added below).
_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x206F), (0x20A0, 0x20BF), (0x2190, 0x21FF),
           (0x2200, 0x22FF), (0x25A0, 0x25FF), (0x3000, 0x303F), (0xFF00, 0xFFEF))


@lru_cache(maxsize=1)
def _harfbuzz():
    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    try:
        base, sub = (ffi.dlopen(name) for name in _LIBRARIES)
    except OSError as exc:
        raise ConfigError(f"HarfBuzz subsetter not available ({exc}); install "
                          "libharfbuzz-subset0") from exc
    return ffi, base, sub


def harfbuzz_version() -> str:
    """The HarfBuzz version cutting the fonts (it decides the cut's and the PDFs' bytes)."""
    ffi, hb, _ = _harfbuzz()
    return ffi.string(hb.hb_version_string()).decode()


@lru_cache(maxsize=1)
def gb2312() -> frozenset[int]:
    """The code points of GB 2312 (symbols, kana, Cyrillic, Greek and its 6,763 hanzi)."""
    out = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(out)


def common_characters(extra: str = "") -> frozenset[int]:
    """The characters the common font keeps: the fixed set plus ``extra`` (the labels)."""
    chars = set(gb2312()) | {ord(ch) for ch in extra}
    for first, last in _RANGES:
        chars.update(range(first, last + 1))
    return frozenset(chars)


def subset_font(path: str, index: int, codepoints: frozenset[int]) -> bytes:
    """The font at ``path`` (collection member ``index``) cut to ``codepoints``."""
    ffi, hb, hbs = _harfbuzz()
    blob = hb.hb_blob_create_from_file_or_fail(path.encode())
    if blob == ffi.NULL:
        raise ConfigError(f"cannot read font {path}")
    face = hb.hb_face_create(blob, index)
    plan = hbs.hb_subset_input_create_or_fail()
    try:
        unicodes = hbs.hb_subset_input_unicode_set(plan)
        for first, last in _runs(sorted(codepoints)):
            hb.hb_set_add_range(unicodes, first, last)
        cut = hbs.hb_subset_or_fail(face, plan)
        if cut == ffi.NULL:
            raise ConfigError(f"HarfBuzz could not subset {path}")
        out = hb.hb_face_reference_blob(cut)
        length = ffi.new("unsigned int *")
        data = bytes(ffi.buffer(hb.hb_blob_get_data(out, length), length[0]))
        hb.hb_blob_destroy(out)
        hb.hb_face_destroy(cut)
        return data
    finally:
        hbs.hb_subset_input_destroy(plan)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def _runs(points: list[int]) -> list[tuple[int, int]]:
    """Sorted code points as inclusive ranges (far fewer calls into HarfBuzz)."""
    runs: list[tuple[int, int]] = []
    for point in points:
        if runs and runs[-1][1] == point - 1:
            runs[-1] = (runs[-1][0], point)
        else:
            runs.append((point, point))
    return runs


@lru_cache(maxsize=4)
def common_font(path: str, index: int, extra: str = "") -> bytes:
    """The common font for this process (built once per font file and label text)."""
    return subset_font(path, index, common_characters(extra))
