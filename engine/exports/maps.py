"""Column maps: which column of an export file holds which figure, as a YAML file.

Read at the start of the exports stage (and again by ``payroll verify`` from the run's own
copy in ``inputs/exports/``). A map names its columns and, for each, one *source* from a
closed vocabulary (no formulas, nothing evaluated), so adding a bank or a new version of
the tax client's template is a new YAML file, not code:

- text: ``userid``, ``name``, ``employee_no`` (roster ``employee_no``, else the userid),
  ``id_type`` (roster, default 居民身份证), ``id_number``, ``account``, ``memo``,
  ``roster:COLUMN``, ``text:CONSTANT``, ``blank``;
- amounts: ``gross``, ``income`` (本期收入: the month's change of the ledger key
  ``ytd_income`` when the pack keeps it, else gross), ``withheld``, ``net``, ``amount``
  (the bank row's amount),
  ``withheld:CODE+CODE`` (the withheld amounts of those line codes, as a positive number),
  ``roster:COLUMN``, ``ledger:KEY`` (the key's closing balance: a year-to-date total),
  ``blank``.

Unknown keys, unknown sources and YAML floats are refused naming the file and the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from engine.errors import ConfigError
from engine.files import read_input

MAPS_DIR = Path(__file__).resolve().parents[2] / "templates" / "exports"
IIT_MAP = MAPS_DIR / "iit-wages.yaml"
BANK_MAPS = {"generic": MAPS_DIR / "bank-generic.yaml", "cmb": MAPS_DIR / "bank-cmb.yaml"}
DEFAULT_BANK_MAP = "generic"

TEXT_SOURCES = ("userid", "name", "employee_no", "id_type", "id_number", "account", "memo",
                "blank")
AMOUNT_SOURCES = ("gross", "income", "withheld", "net", "amount", "blank")
_PREFIXED = re.compile(r"^(roster|ledger|withheld|text):(.+)$")
_CODES = re.compile(r"^[A-Z][A-Z0-9_]*(\+[A-Z][A-Z0-9_]*)*$")
_PLACEHOLDER = re.compile(r"\{(month|count|total|part|parts|company)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Strict):
    header: str = Field(min_length=1)
    text: str | None = None  # a text source
    amount: str | None = None  # an amount source: a number cell

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is None or value in TEXT_SOURCES:
            return value
        match = _PREFIXED.match(value)
        if match and match[1] in ("roster", "text"):
            return value
        raise ValueError(f"unknown text source {value!r}; use one of {', '.join(TEXT_SOURCES)}, "
                         "roster:COLUMN or text:CONSTANT")

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: str | None) -> str | None:
        if value is None or value in AMOUNT_SOURCES:
            return value
        match = _PREFIXED.match(value)
        if match and match[1] in ("roster", "ledger"):
            return value
        if match and match[1] == "withheld" and _CODES.match(match[2]):
            return value
        raise ValueError(f"unknown amount source {value!r}; use one of "
                         f"{', '.join(AMOUNT_SOURCES)}, withheld:CODE+CODE, roster:COLUMN "
                         "or ledger:KEY")

    @property
    def source(self) -> str:
        return self.amount if self.amount is not None else (self.text or "blank")

    @property
    def is_amount(self) -> bool:
        return self.amount is not None


def _one_source(columns: list[Column]) -> list[Column]:
    if not columns:
        return columns  # an IIT version may borrow another's (``like``); a bank map may not
    for column in columns:
        if (column.text is None) == (column.amount is None):
            raise ValueError(f"column {column.header!r} needs exactly one of text or amount")
    headers = [c.header for c in columns]
    twice = sorted({h for h in headers if headers.count(h) > 1})
    if twice:
        raise ValueError(f"columns named twice: {', '.join(twice)}")
    return columns


class _Columns(_Strict):
    columns: list[Column] = Field(default_factory=list)

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: list[Column]) -> list[Column]:
        return _one_source(value)


class IitVersion(_Columns):
    label: str = ""
    like: str | None = None  # another version's columns, with ``rename`` applied
    rename: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_columns(self) -> "IitVersion":
        if bool(self.columns) == (self.like is not None):
            raise ValueError("a version has either columns or like (another version)")
        return self


class IitMap(_Strict):
    map: str = Field(min_length=1)
    description: str = ""
    sheet: str = Field(min_length=1, max_length=31)
    file: str = "iit_wages.xlsx"
    default: str
    versions: dict[str, IitVersion] = Field(min_length=1)

    def version(self, name: str | None) -> tuple[str, tuple[Column, ...]]:
        chosen = name or self.default
        if chosen not in self.versions:
            raise ConfigError(f"tax sheet map {self.map!r} has no version {chosen!r}; it has "
                              f"{', '.join(sorted(self.versions))}")
        return chosen, self._columns_of(chosen, ())

    def _columns_of(self, name: str, seen: tuple[str, ...]) -> tuple[Column, ...]:
        if name in seen or name not in self.versions:
            raise ConfigError(f"tax sheet map {self.map!r}: version {name!r} is "
                              f"{'part of a cycle' if name in seen else 'not defined'}")
        version = self.versions[name]
        if version.like is None:
            return tuple(version.columns)
        base = self._columns_of(version.like, (*seen, name))
        return tuple(c.model_copy(update={"header": version.rename.get(c.header, c.header)})
                     for c in base)


class BankMap(_Columns):
    map: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    file: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-{}]+\.csv$")
    encoding: Literal["utf-8", "utf-8-sig", "gb18030"] = "utf-8"
    chunk_rows: int = Field(0, ge=0)  # 0: one file; N: files of at most N rows
    account_column: str = "bank_account"
    memo: str = ""
    head: list[list[str]] = Field(default_factory=list)  # control lines before the header
    columns: list[Column] = Field(min_length=1)

    @field_validator("file")
    @classmethod
    def _part(cls, value: str) -> str:
        if "{" in value.replace("{part}", ""):
            raise ValueError("the only placeholder of a file name is {part}")
        return value

    @model_validator(mode="after")
    def _parts_named(self) -> "BankMap":
        if self.chunk_rows and "{part}" not in self.file:
            raise ValueError("a map with chunk_rows names its files with {part}, e.g. "
                             "bank-{part}.csv")
        return self


def fill(template: str, values: dict[str, str]) -> str:
    """``{month}``, ``{count}``, ``{total}``, ``{part}``, ``{parts}``, ``{company}``
    replaced; nothing else is interpreted (no format spec, no attribute access)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template)


def _load(path: Path, model: type[BaseModel]) -> BaseModel:
    data = read_input(path, "pack")  # a map is as small as a pack: the same size cap
    try:
        parsed = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a readable YAML column map: {exc}") from None
    try:
        return model.model_validate(parsed)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
                            for e in exc.errors())
        raise ConfigError(f"{path}: {details}") from None


def load_iit_map(path: Path = IIT_MAP) -> IitMap:
    return _load(path, IitMap)  # type: ignore[return-value]


def bank_map_path(name_or_path: str | Path | None) -> Path:
    """A built-in map by name (``generic``, ``cmb``) or a map file."""
    name = str(name_or_path or DEFAULT_BANK_MAP)
    if name in BANK_MAPS:
        return BANK_MAPS[name]
    path = Path(name)
    if not path.is_file():
        raise ConfigError(f"bank map {name!r} is neither a built-in map "
                          f"({', '.join(BANK_MAPS)}) nor a file")
    return path


def load_bank_map(path: Path) -> BankMap:
    return _load(path, BankMap)  # type: ignore[return-value]
