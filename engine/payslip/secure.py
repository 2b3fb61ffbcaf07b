"""Encrypted delivery copies of payslips (AES-256), beside the PDF/A masters.

Used by ``engine.payslip.workers`` when a run names a roster column holding each
employee's delivery password. PDF/A forbids encryption, so the archived master stays
unencrypted and the copy sent to the employee is ``<name>.pdf`` under ``secure/``.
Unlike the master, the copy is not byte-reproducible: AES-256 needs fresh random salts
and IVs per file, and the run's hashes (``PayslipFile.sha256``) name the master.
"""

from __future__ import annotations

import io

import pikepdf

from engine.errors import RenderError
from engine.problems import Problem, error
from engine.rules.lines import EmployeeResult

SECURE_DIR = "secure"


def delivery_password(result: EmployeeResult, column: str) -> tuple[str | None, list[Problem]]:
    """The password from the roster column, or a problem when it is empty."""
    password = (result.roster.get(column) or "").strip()
    if not password:
        return None, [error("payslip", "no_delivery_password",
                            f"roster column {column!r} is empty: no payslip was issued "
                            "(it is never sent unencrypted); fill in the password and run "
                            "again with --force", userid=result.userid,
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
