"""Encrypted delivery copies of payslips (AES-256), beside the PDF/A masters.

Used by ``engine.payslip.workers`` when a run names a roster column holding each
employee's delivery password. PDF/A forbids encryption, so the archived master stays
unencrypted and the copy sent to the employee is ``<name>.pdf`` under ``secure/``.
Unlike the master, the copy is not byte-reproducible: AES-256 needs fresh random salts
and IVs per file, and the run's hashes (``PayslipFile.sha256``) name the master.

The password itself never reaches the run folder (the roster copy leaves its column
out): what is kept is a salted scrypt hash per employee (:func:`password_hash`), so
``payroll verify --passwords FILE`` can prove that the supplied passwords are the ones
used, and then decrypt each copy and compare it with its master (:func:`same_content`).
The salt follows from the run id and the userid (unique per employee and run, and the
run folder stays deterministic). Cost: scrypt N=2^14, r=8, p=1 (16 MiB, some tens of
milliseconds per employee, computed in the payslip workers). A delivery password is only
as strong as its guessability: a six-digit password falls to offline guessing against
the AES-256 copy itself, whatever the hash costs.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from typing import Any

import pikepdf

from engine.errors import RenderError
from engine.problems import Problem, error

SECURE_DIR = "secure"
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
_MAXMEM = 64 * 1024 * 1024
_ENCODING = frozenset({"/Length", "/Filter", "/DecodeParms"})  # how a stream is stored


def delivery_password(userid: str, password: str | None, column: str
                      ) -> tuple[str | None, list[Problem]]:
    """The employee's password from the roster column, or a problem when it is empty."""
    password = (password or "").strip()
    if not password:
        return None, [error("payslip", "no_delivery_password",
                            f"roster column {column!r} is empty: no payslip was issued "
                            "(it is never sent unencrypted); fill in the password and run "
                            "again with --force", userid=userid,
                            field=column)]
    return password, []


def encrypt(pdf: bytes, password: str) -> bytes:
    """An AES-256 (R=6) copy of ``pdf`` that opens only with ``password``."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            out = io.BytesIO()
            doc.save(out, encryption=pikepdf.Encryption(user=password, owner=password, R=6,
                                                         aes=True))
            return out.getvalue()
    except pikepdf.PdfError as exc:
        raise RenderError(f"cannot encrypt payslip: {exc}") from exc


def salt_for(run_id: str, userid: str) -> bytes:
    text = f"wecom-payroll/delivery-password\n{run_id}\n{userid}"
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def password_hash(password: str, salt: bytes, params: dict[str, int] = SCRYPT) -> str:
    """The scrypt hash of ``password`` (hex)."""
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=_MAXMEM,
                          **params).hex()


def check_password(password: str, entry: dict[str, str], params: dict[str, int]) -> bool:
    """Whether ``password`` is the one whose hash ``entry`` keeps (constant-time compare)."""
    try:
        found = password_hash(password, bytes.fromhex(entry["salt"]), params)
    except (KeyError, ValueError, TypeError):
        return False
    return hmac.compare_digest(found, str(entry.get("hash", "")))


# --- the copy against its master ----------------------------------------------------------

def _same(a: Any, b: Any, seen: set, skip: frozenset[str] = frozenset()) -> bool:
    """Two PDF objects hold the same content (streams compared decoded, after decryption)."""
    if isinstance(a, pikepdf.Object) and a.is_indirect and isinstance(b, pikepdf.Object) \
            and b.is_indirect:
        key = (a.objgen, b.objgen)
        if key in seen:
            return True
        seen.add(key)
    if isinstance(a, pikepdf.Stream) or isinstance(b, pikepdf.Stream):
        if not (isinstance(a, pikepdf.Stream) and isinstance(b, pikepdf.Stream)):
            return False
        if a.read_bytes() != b.read_bytes():
            return False
        return _same_dict(a.stream_dict, b.stream_dict, seen, _ENCODING)
    if isinstance(a, pikepdf.Dictionary) and isinstance(b, pikepdf.Dictionary):
        return _same_dict(a, b, seen, skip)
    if isinstance(a, pikepdf.Array) and isinstance(b, pikepdf.Array):
        return len(a) == len(b) and all(_same(x, y, seen) for x, y in zip(a, b))
    if isinstance(a, (pikepdf.Dictionary, pikepdf.Array)) or isinstance(
            b, (pikepdf.Dictionary, pikepdf.Array)):
        return False
    return type(a) is type(b) and a == b


def _same_dict(a, b, seen: set, skip: frozenset[str]) -> bool:
    keys_a, keys_b = set(a.keys()) - skip, set(b.keys()) - skip
    return keys_a == keys_b and all(_same(a[k], b[k], seen) for k in sorted(keys_a))


def same_content(master: bytes, copy: bytes, password: str) -> bool:
    """Whether the encrypted ``copy`` opened with ``password`` shows exactly the master:
    every object reachable from the document catalog, streams decoded, equal. Only the
    ``/Extensions`` entry AES-256 adds to the catalog is left out.
    ``pikepdf.PasswordError`` when the password does not open the copy."""
    with pikepdf.open(io.BytesIO(master)) as a, pikepdf.open(io.BytesIO(copy),
                                                               password=password) as b:
        if not b.is_encrypted:
            return False
        return _same(a.Root, b.Root, set(), frozenset({"/Extensions"})) and \
            _same(a.trailer.get("/Info"), b.trailer.get("/Info"), set())


def is_encrypted(copy: bytes) -> bool:
    """Whether ``copy`` needs a password to open (without knowing it)."""
    try:
        with pikepdf.open(io.BytesIO(copy)):
            return False
    except pikepdf.PasswordError:
        return True
