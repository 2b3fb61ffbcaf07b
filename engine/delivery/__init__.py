"""Delivery: every approved payslip to its employee in WeCom, exactly once.

Last step of the flow, after the approval. ``plan`` lists what may be sent (approved,
unchanged files only), ``journal`` is the append-only, fsync'd record of every intent and
outcome that makes a rerun after a crash safe, ``sender`` uploads and sends through the
WeCom client (its tokens, retries and rate limits) and ``audit`` lets ``payroll verify``
check the journal against the manifest.
"""
