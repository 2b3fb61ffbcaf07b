"""Safe, unique, portable payslip file names derived from userids.

Used by ``engine.payslip.workers`` before any file is written. A userid comes from the
WeCom directory or the roster and may hold anything: path separators, ``..``, names
Windows reserves, control characters or 64 bytes of CJK text. Run folders are often
copied to Windows shares, so a name must be valid there too:

- it keeps letters, digits (any script), ``-``, ``_`` and ``.``; everything else,
  including Windows' forbidden ``<>:"/\\|?*`` and control characters, becomes ``_``;
- it never starts or ends with a dot, space, ``-`` or ``_`` (Windows drops trailing dots
  and spaces, which would merge two names) and is capped in bytes;
- a stem Windows reserves (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM0-9``, ``LPT0-9``,
  also with the superscript digits ``¹²³`` Windows treats as digits, ``CONIN$``,
  ``CONOUT$``, ``CLOCK$``), in any case, before any extension, is prefixed with ``_``;
- names are unique compared case-insensitively after Unicode normalisation (NTFS and
  SMB shares are case-insensitive).

A name that had to change, or collides, gets a short hash of the original id, so two ids
that sanitise alike still get two files. Planning is linear: each name is checked
against a set of folded names, so 100,000 ids take well under a second. The
userid → file mapping is kept in the run's ``manifest.csv``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable

SUFFIX = ".pdf"
MAX_STEM_BYTES = 120  # leaves room for suffixes such as ".secure.pdf" on 255-byte file systems
_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)
_EDGES = "._- "
_DIGITS = (*"0123456789", "¹", "²", "³")
RESERVED = frozenset({"con", "prn", "aux", "nul", "clock$", "conin$", "conout$",
                      *(f"com{d}" for d in _DIGITS), *(f"lpt{d}" for d in _DIGITS)})


def _clean(userid: str) -> str:
    text = unicodedata.normalize("NFC", userid)
    text = _UNSAFE.sub("_", text).strip(_EDGES)
    text = re.sub(r"\.{2,}", ".", text)
    encoded = text.encode("utf-8")[:MAX_STEM_BYTES]
    return encoded.decode("utf-8", errors="ignore").rstrip(_EDGES)


def _tag(userid: str) -> str:
    return hashlib.sha256(userid.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def is_reserved(stem: str) -> bool:
    """Whether Windows reserves ``stem`` as a device name (the part before the first dot,
    trailing spaces ignored, any case; full-width and other compatibility forms too)."""
    head = stem.split(".")[0].rstrip(" ")
    return head.casefold() in RESERVED or unicodedata.normalize(
        "NFKC", head).casefold() in RESERVED


def fold(name: str) -> str:
    """The key two names collide on for a case-insensitive file system."""
    return unicodedata.normalize("NFC", name).casefold()


class NamePlanner:
    """Hands out unique file names; remembers the folded names it gave (O(1) per id)."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._folded = {fold(name) for name in taken}

    def name(self, userid: str) -> str:
        stem = _clean(userid)
        changed = stem != userid or not stem
        if is_reserved(stem):
            stem, changed = f"_{stem}", True
        if changed:
            stem = f"{stem}_{_tag(userid)}" if stem else f"id_{_tag(userid)}"
        name, n = f"{stem}{SUFFIX}", 1
        while fold(name) in self._folded:  # bounded: every loop adds a new number
            n += 1
            name = f"{stem}_{_tag(userid)}_{n}{SUFFIX}"
        self._folded.add(fold(name))
        return name


def plan_names(userids: Iterable[str]) -> list[str]:
    """One unique, portable file name per userid, in order."""
    planner = NamePlanner()
    return [planner.name(userid) for userid in userids]


def payslip_filename(userid: str, taken: set[str]) -> str:
    """A file name for ``userid`` not in ``taken`` (compared case-insensitively); adds it.

    Convenience for a single name; planning many names uses :class:`NamePlanner`, which
    does not fold ``taken`` again for every id."""
    name = NamePlanner(taken).name(userid)
    taken.add(name)
    return name


def portable(name: str) -> bool:
    """Whether ``name`` is a valid, non-reserved file name on Windows, macOS and Linux."""
    stem = name[:-len(SUFFIX)] if name.endswith(SUFFIX) else name
    return (bool(stem) and not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)
            and not name.endswith((".", " ")) and not name.startswith(".")
            and not is_reserved(stem) and len(name.encode("utf-8")) <= 255)
