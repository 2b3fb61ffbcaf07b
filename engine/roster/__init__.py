"""The roster: who is paid and what they earn, read from CSV (UTF-8, GB18030/GBK, UTF-16)
or XLSX, before anything is fetched.

Input edge of the compute stage: ``read`` (bytes → table of text cells, encoding
recorded), ``headers`` (Chinese and English aliases → column names), ``amounts``
(``¥12,000.00`` → exact ``Decimal`` or a reason), ``parse`` (rows → :class:`Roster` and
problems, pure), ``load`` (the file as a whole, refused with every invalid row listed).
"""

from engine.roster.amounts import AmountError, parse_amount
from engine.roster.headers import ALIASES
from engine.roster.load import RosterInvalid, load_roster, parse_table
from engine.roster.model import Employee, Roster
from engine.roster.parse import AMOUNTS, REQUIRED, parse_rows, userid_key
from engine.roster.read import read_file, read_table

__all__ = ["ALIASES", "AMOUNTS", "REQUIRED", "AmountError", "Employee", "Roster",
           "RosterInvalid", "load_roster", "parse_amount", "parse_rows", "parse_table",
           "read_file", "read_table", "userid_key"]
