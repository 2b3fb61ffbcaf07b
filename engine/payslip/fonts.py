"""Glyph coverage of the payslip font chain: a missing glyph is never a silent box.

Used by ``engine.payslip.pdf`` and the finance summary before layout. The fonts named in
the stylesheet are located through fontconfig once per process and their character maps
read with fontTools; a character that no font has (an emoji, a character newer than the
fonts) is printed in the engine's printable form ``[U+XXXX]`` instead
(:func:`fallback_glyphs`, see ``engine.safetext``) and reported as a warning naming the
code points, so the employee still gets a payslip and nobody is shown a blank box.
"""

from __future__ import annotations

import subprocess
import unicodedata
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from engine.errors import ConfigError, RenderError
from engine.files import sha256_file
from engine.safetext import escape

# Same order as the stylesheet: WenQuanYi is faster and smaller, Noto Sans CJK SC covers
# CJK extension characters found in rare names, DejaVu the remaining Latin/Greek/Cyrillic.
DEFAULT_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans", "DejaVu Sans Mono")
_NO_GLYPH_NEEDED = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def _needs_glyph(ch: str) -> bool:
    # variation selectors pick a glyph form; they are never drawn themselves
    point = ord(ch)
    if 0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF:
        return False
    return unicodedata.category(ch) not in _NO_GLYPH_NEEDED


def locate(family: str) -> tuple[str, int]:
    """Font file and collection index fontconfig uses for ``family`` (exact match only)."""
    try:
        out = subprocess.run(
            ["fc-match", "--format", "%{file}\n%{index}\n%{family}", f"{family}:style=Regular"],
            capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"cannot ask fontconfig for font {family!r}: {exc}") from exc
    path, index, families = (out.split("\n") + ["", "", ""])[:3]
    if family.casefold() not in (f.strip().casefold() for f in families.split(",")):
        raise ConfigError(f"font {family!r} is not installed (fontconfig offers {families!r})")
    return path, int(index or 0)


@lru_cache(maxsize=16)
def _cmap(path: str, index: int) -> frozenset[int]:
    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            return frozenset(font.getBestCmap() or {})
    except (OSError, TTLibError) as exc:
        raise ConfigError(f"cannot read font {path}: {exc}") from exc


@lru_cache(maxsize=4)
def coverage(families: tuple[str, ...] = DEFAULT_FONTS) -> frozenset[int]:
    """Code points drawn by at least one font of ``families``."""
    covered: set[int] = set()
    for family in families:
        covered |= _cmap(*locate(family))
    return frozenset(covered)


def missing_glyphs(text: str, covered: frozenset[int]) -> list[str]:
    """Characters of ``text`` that no font has, as ``U+XXXX`` (sorted, unique)."""
    missing = {ch for ch in set(text)
               if ord(ch) not in covered and _needs_glyph(ch)}
    return [f"U+{ord(ch):04X}" for ch in sorted(missing)]


def fallback_glyphs(text: str, covered: frozenset[int]) -> tuple[str, list[str]]:
    """``text`` with every character no font has replaced by ``[U+XXXX]``, and those
    code points. The replacement is ASCII, so it is safe anywhere in HTML."""
    missing = missing_glyphs(text, covered)
    if not missing:
        return text, []
    chars = {chr(int(point[2:], 16)) for point in missing}
    return "".join(escape(ch) if ch in chars else ch for ch in text), missing


def check_glyphs(text: str, covered: frozenset[int], who: str) -> None:
    missing = missing_glyphs(text, covered)
    if missing:
        raise RenderError(f"{who}: no installed font has a glyph for {', '.join(missing)}")


def label_text(labels: object) -> str:
    """Every character of a template's labels (nested mappings and lists of strings)."""
    if isinstance(labels, dict):
        return "".join(label_text(k) + label_text(v) for k, v in labels.items())
    if isinstance(labels, (list, tuple)):
        return "".join(label_text(v) for v in labels)
    return labels if isinstance(labels, str) else ""


def font_files(families: tuple[str, ...] = DEFAULT_FONTS) -> list[dict[str, str]]:
    """The font files the payslips are drawn with, for the run's manifest: a different
    font file (a distribution update) changes the PDFs' bytes, and this says why."""
    out = []
    for family in families:
        path, index = locate(family)
        out.append({"family": family, "file": path, "index": str(index),
                    "sha256": sha256_file(Path(path))})
    return out
