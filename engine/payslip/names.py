"""Safe, unique payslip file names derived from userids.

Used by ``engine.payslip.workers`` before any file is written. A userid comes from the
WeCom directory or the roster and may hold anything: path separators, ``..``, names
Windows reserves (``CON``, ``NUL`` …), control characters or 64 bytes of CJK text. The
name keeps letters, digits (any script), ``-``, ``_`` and ``.``, is capped in bytes,
never starts with a dot, and gets a short hash of the original id whenever it was
changed or collides, so two ids that sanitise alike still get two files.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

SUFFIX = ".pdf"
MAX_STEM_BYTES = 120  # leaves room for suffixes such as ".secure.pdf" on 255-byte file systems
_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)
_RESERVED = {"con", "prn", "aux", "nul", "clock$",
             *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def _clean(userid: str) -> str:
    text = unicodedata.normalize("NFC", userid)
    text = _UNSAFE.sub("_", text).strip("._-")
    text = re.sub(r"\.{2,}", ".", text)
    encoded = text.encode("utf-8")[:MAX_STEM_BYTES]
    return encoded.decode("utf-8", errors="ignore")


def _tag(userid: str) -> str:
    return hashlib.sha256(userid.encode("utf-8")).hexdigest()[:8]


def payslip_filename(userid: str, taken: set[str]) -> str:
    """A file name for ``userid`` not in ``taken`` (compared case-insensitively); adds it."""
    stem = _clean(userid)
    changed = stem != userid or not stem
    if stem.split(".")[0].casefold() in _RESERVED:
        stem, changed = f"_{stem}", True
    if changed:
        stem = f"{stem}_{_tag(userid)}" if stem else f"id_{_tag(userid)}"
    lowered = {t.casefold() for t in taken}
    name, n = f"{stem}{SUFFIX}", 1
    while name.casefold() in lowered:  # bounded: every loop adds a new number
        n += 1
        name = f"{stem}_{_tag(userid)}_{n}{SUFFIX}"
    taken.add(name)
    return name
