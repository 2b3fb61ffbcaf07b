"""Payslips: one PDF/A-3u per paid employee, with its data embedded, written in parallel.

Stage after compute. ``context`` formats an ``EmployeeResult`` for print, ``render``
fills the Jinja2 template, ``document`` parses it for WeasyPrint, ``pdf`` turns it into
PDF/A bytes (and reads the embedded data back), ``speedups`` (with ``styles``,
``textlayout`` and ``borders``) keeps inside WeasyPrint 70 what repeats from one payslip
to the next, ``fonts`` refuses characters no font can draw, ``names`` makes safe file
names, ``secure`` makes encrypted delivery copies and ``workers`` runs it all on a
process pool.
"""
