"""The ledger: balances and year-to-date figures carried from one month to the next.

A stage of its own around compute: ``books.open_month`` turns the previous month's
closing rows (``results/ledger.csv`` of the previous run, or an opening-balances import)
into this month's opening values, which the rules read as ``ledger.KEY``, ``ytd.NAME``
and ``expired.KEY``; ``books.close_month`` takes the movements the pack's ledger
formulas computed and writes the closing rows. ``files`` reads and writes the long-form
table, ``chain`` proves a run's opening against the run before it, back to the start.
"""
