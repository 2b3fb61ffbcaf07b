"""Helpers for the payslip tests: the sample employee and PDF text extraction."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from engine.payslip.sample import PACK, context, zhangsan
from engine.wecom.example import EXAMPLE_RECORD as RECORD

__all__ = ["PACK", "RECORD", "context", "pdf_text", "zhangsan"]


def pdf_text(pdf: bytes | Path) -> str:
    """Text of a PDF via pdftotext, with all whitespace removed (CJK gets spaced oddly)."""
    if isinstance(pdf, bytes):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
            tmp.write(pdf)
            tmp.flush()
            out = subprocess.run(["pdftotext", "-enc", "UTF-8", tmp.name, "-"],
                                 capture_output=True, check=True).stdout
    else:
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                             capture_output=True, check=True).stdout
    return re.sub(r"\s+", "", out.decode("utf-8"))
