"""Secret removal for everything that leaves the client: logs, errors, snapshots.

The corp secret and access tokens travel in query strings (the API accepts the token
nowhere else), so any URL, log line or stored answer could carry them. Two nets: named
parameters (``access_token=…``, ``"corpsecret": "…"``) are masked by pattern, and the
literal values the client has seen are masked wherever they appear.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
SECRET_NAMES = ("access_token", "corpsecret")
_NAMES = "|".join(SECRET_NAMES)
_QUERY = re.compile(rf"(?i)\b({_NAMES})=([^&\s\"'#]*)")
_JSON = re.compile(rf"(?i)(\"(?:{_NAMES})\"\s*:\s*\")((?:[^\"\\]|\\.)*)(\")")
_MIN_LITERAL = 6  # shorter values would mask ordinary words


class Redactor:
    """Masks secret parameters and the literal secret values it was told about."""

    def __init__(self, *secrets: str) -> None:
        self._lock = threading.Lock()
        self._literals: frozenset[str] = frozenset()
        for value in secrets:
            self.add(value)

    def add(self, value: str) -> None:
        if value and len(value) >= _MIN_LITERAL:
            with self._lock:
                self._literals = self._literals | {value}

    def __call__(self, text: str) -> str:
        text = _QUERY.sub(lambda m: f"{m.group(1)}={MASK}", text)
        text = _JSON.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
        for value in sorted(self._literals, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message through a redactor."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug, not a leak
            message = str(record.msg)
        clean = self.redactor(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return True


# Loggers that print request URLs; a logger's filters only see its own records.
URL_LOGGERS = ("httpx", "httpcore", "engine.wecom")


def install_filter(redactor: Redactor, names: tuple[str, ...] = URL_LOGGERS) -> RedactingFilter:
    """Attach one filter for ``redactor`` to the loggers that may print secrets."""
    filt = RedactingFilter(redactor)
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) and f.redactor is redactor
                   for f in logger.filters):
            logger.addFilter(filt)
    return filt


_SHARED = Redactor()
_INSTALLED = threading.Lock()


def shared_redactor() -> Redactor:
    """The process-wide redactor, its filter installed once on the URL loggers."""
    with _INSTALLED:
        install_filter(_SHARED)
    return _SHARED
