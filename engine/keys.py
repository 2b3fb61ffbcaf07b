"""Names of settings keys, for errors that say which key was meant.

Used at the configuration edges (``engine.wecom.settings``, ``engine.company.config``):
a mistyped key in a settings file is an error that names the key it was probably meant
to be, never a value silently ignored.
"""

from __future__ import annotations

import difflib
from typing import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known key ``name`` was most likely meant to be (case-insensitive), if any."""
    known = list(known)
    close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    return next(k for k in known if k.lower() == close[0]) if close else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``" (did you mean 'corp_secret'?)"`` for the closest known key, else ``""``."""
    near = closest(name, known)
    return f" (did you mean {near!r}?)" if near else ""


def unknown_keys(where: str, keys: Iterable[str], known: Iterable[str]) -> list[str]:
    """One message per key of ``keys`` not in ``known``, naming the expected key."""
    known = list(known)
    return [f"unknown key {key!r} in {where}{did_you_mean(key, known)}; "
            f"expected one of: {', '.join(known)}"
            for key in keys if key not in known]
