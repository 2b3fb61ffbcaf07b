"""Secret removal for everything that leaves the client: logs, errors, snapshots, terminal.

The corp secret and access tokens travel in query strings (the API accepts the token
nowhere else), so any URL, log line or stored answer could carry them, and a server may
echo them back in an ``errmsg`` or a record field. Two nets: named parameters
(``access_token=…``, ``"corpsecret": "…"``) are masked by pattern, and every value the
process has seen (the secret, each token fetched or read from the token cache) is masked
*by value* wherever it appears: in its literal, URL-encoded and JSON-escaped forms in
text, and in the decoded strings of a parsed answer (:meth:`Redactor.clean`). The
process-wide redactor also rewrites every log record (:func:`shared_redactor`) and,
through :class:`RedactingStream`, everything the command line prints.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any, TextIO
from urllib.parse import quote

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
        """Mask ``value`` from now on, in each form it can take in text."""
        if not value or len(value) < _MIN_LITERAL:
            return
        escaped = json.dumps(value)[1:-1]
        forms = {value, quote(value, safe=""), escaped, escaped.replace("/", "\\/"),
                 json.dumps(value, ensure_ascii=False)[1:-1]}
        if forms <= self._literals:
            return
        with self._lock:
            self._literals = self._literals | forms

    def __call__(self, text: str) -> str:
        text = _QUERY.sub(lambda m: f"{m.group(1)}={MASK}", text)
        text = _JSON.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
        for value in sorted(self._literals, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return text

    def seen(self, text: str) -> bool:
        """True when ``text`` holds a secret value (in any known form)."""
        return any(value in text for value in self._literals)

    def clean(self, obj: Any) -> Any:
        """A parsed JSON value with every string redacted (the decoded strings: a value
        written with ``\\u`` escapes in the raw text is caught here)."""
        if isinstance(obj, str):
            return self(obj) if self.seen(obj) else obj
        if isinstance(obj, dict):
            return {self.clean(k): self.clean(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.clean(v) for v in obj]
        return obj

    def clean_json_text(self, raw: str, data: Any) -> tuple[str, Any]:
        """``(text, data)`` of an answer with the secrets removed from both.

        The text stays verbatim except for the masked values; only when a secret hides
        behind JSON escapes (so no text replacement can find it) is the text rebuilt from
        the cleaned data.
        """
        if not self._literals or ("\\" not in raw and not self.seen(raw)):
            return self(raw), data  # without escapes, decoded strings are pieces of the text
        text, clean = self(raw), self.clean(data)
        if clean != data:
            try:
                same = json.loads(text) == clean
            except (ValueError, RecursionError):
                same = False
            if not same:
                text = json.dumps(clean, ensure_ascii=False, sort_keys=True)
        return text, clean


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


class RedactingStream:
    """A text stream that masks secrets in everything written to it (the terminal)."""

    def __init__(self, inner: TextIO, redactor: Redactor) -> None:
        self._inner, self._redactor = inner, redactor

    def write(self, text: str) -> int:
        self._inner.write(self._redactor(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, flush …
        return getattr(self._inner, name)


def _record_factory(previous: Any, redactor: Redactor) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if redactor._literals or record.args:
            try:
                message = record.getMessage()
            except Exception:  # a broken format string is the caller's bug, not a leak
                message = str(record.msg)
            clean = redactor(message)
            if clean != message:
                record.msg, record.args = clean, ()
        return record

    make.redactor = redactor  # type: ignore[attr-defined]
    return make


def install_record_factory(redactor: Redactor) -> None:
    """Every log record of the process, from any logger, passes through ``redactor``
    (a logger's filters only see its own records, not those of its children)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redactor", None) is not redactor:
        logging.setLogRecordFactory(_record_factory(factory, redactor))


_SHARED = Redactor()
_INSTALLED = threading.Lock()


def shared_redactor() -> Redactor:
    """The process-wide redactor, installed once on the URL loggers and on every record."""
    with _INSTALLED:
        install_filter(_SHARED)
        install_record_factory(_SHARED)
    return _SHARED
