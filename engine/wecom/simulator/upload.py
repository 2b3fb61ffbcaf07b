"""Multipart parsing for the simulated ``media/upload``: keeps the filename as WeCom shows it.

Used by ``api.py``. WeCom takes the ``filename="..."`` parameter of the ``media`` part as
raw UTF-8 and shows it to the recipient verbatim; an RFC 2231 ``filename*=`` or a
URL-encoded name reaches the employee garbled. The parser therefore keeps the raw text of
whichever form the client sent, so tests can see exactly what an employee would see.
(The standard library's multipart parser went away with the ``cgi`` module.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

_NAME = re.compile(rb'\bname="([^"]*)"', re.IGNORECASE)
_FILENAME = re.compile(rb'\bfilename="((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_FILENAME_STAR = re.compile(rb"\bfilename\*=([^;\r\n]*)", re.IGNORECASE)


@dataclass(frozen=True)
class MediaFile:
    media_id: str
    type: str
    filename: str  # as the recipient would see it
    size: int
    sha256: str
    created_at: int
    data: bytes = field(default=b"", repr=False, compare=False)  # the bytes as received
    disposition: bytes = b""  # the part's Content-Disposition line exactly as sent


def _boundary(content_type: str) -> bytes | None:
    header = Message()
    header["content-type"] = content_type
    if header.get_content_type() != "multipart/form-data":
        return None
    boundary = header.get_param("boundary")
    return boundary.encode("latin-1") if isinstance(boundary, str) and boundary else None


def _shown_name(disposition: bytes) -> str:
    plain = _FILENAME.search(disposition)
    if plain:
        return plain.group(1).replace(b'\\"', b'"').decode("utf-8", "replace")
    star = _FILENAME_STAR.search(disposition)
    # Not decoded on purpose: the encoded text is what the recipient gets to see.
    return star.group(1).strip().decode("utf-8", "replace") if star else ""


def media_part(body: bytes, content_type: str) -> tuple[str, bytes, bytes] | None:
    """(filename as shown, content, raw Content-Disposition line) of the ``media`` field,
    or None if there is none."""
    boundary = _boundary(content_type)
    if boundary is None:
        return None
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        disposition = next((line for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-disposition:")), b"")
        name = _NAME.search(disposition)
        if name and name.group(1) == b"media":
            return _shown_name(disposition), content.removesuffix(b"\r\n"), disposition
    return None
