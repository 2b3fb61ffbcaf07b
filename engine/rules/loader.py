"""Loading a rule pack: safe YAML with line marks, strict schema, ``extends`` chains.

First step of the compute stage's setup. YAML is composed with a ``yaml.SafeLoader``
subclass so every value keeps its line and column; duplicate keys are refused (YAML
would silently keep the last one). The document is validated against
``engine.rules.schema`` and every error is reported as ``file:line:column``. A pack may
``extend`` another (a company pack overriding a few parameters of ``cn-default``): the
chain is merged here and compiled by ``engine.rules.pack``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from engine.errors import RulePackError
from engine.rules.schema import Check, PackFile, Parameter, Rule

if TYPE_CHECKING:
    from engine.rules.pack import Pack

MAX_EXTENDS = 8
_DATE_REPR = re.compile(r"datetime\.date\((\d+), (\d+), (\d+)\)")
_INHERITED = ("params_at", "rounding", "overtime_split", "leave_day")


class _Loader(yaml.SafeLoader):
    """Safe loader; kept separate so nothing is registered on ``SafeLoader`` itself."""


@dataclass(frozen=True)
class Doc:
    """One parsed pack file with its YAML node tree (for marks) and its bytes (for hashing)."""

    path: Path
    raw: bytes
    root: yaml.Node
    data: Any
    model: PackFile | None = None


@dataclass(frozen=True)
class Where:
    """Where something came from: a file and a path inside its YAML document."""

    doc: Doc
    loc: tuple[Any, ...] = ()

    def at(self, *more: Any) -> Where:
        return Where(self.doc, self.loc + more)

    def error(self, message: str, *, rule: str | None = None, key: bool = False,
              offset: int = 0) -> RulePackError:
        node = node_at(self.doc.root, self.loc, key=key)
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if offset and isinstance(node, yaml.ScalarNode) and node.style is None:
            column += offset  # plain scalars start exactly where their text starts
        return RulePackError(message, path=str(self.doc.path), line=line, column=column,
                             rule=rule)


def _loc_text(part: Any) -> str:
    """A pydantic loc part as the YAML key text (dates arrive as their repr)."""
    if isinstance(part, date):
        return part.isoformat()
    found = _DATE_REPR.fullmatch(str(part))
    if found:
        return date(*map(int, found.groups())).isoformat()
    return str(part)


def node_at(root: yaml.Node, loc: tuple[Any, ...], *, key: bool = False) -> yaml.Node:
    """The deepest node along ``loc`` (mapping keys or sequence indexes)."""
    node = root
    for depth, part in enumerate(loc):
        part = part if isinstance(part, int) else _loc_text(part)
        last = depth == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part), None)
            if found is None:
                continue  # pydantic adds type tags to loc; they match no key
            node = found[0] if (key and last) else found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                node = node.value[part]
        else:
            break
    return node


def _check_duplicates(node: yaml.Node, path: Path) -> None:
    stack = [node]
    while stack:  # iterative: bounded by the document size
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        mark = key.start_mark
                        raise RulePackError(
                            f"duplicate key {key.value!r} (first at line {seen[key.value]})",
                            path=str(path), line=mark.line + 1, column=mark.column + 1)
                    seen[key.value] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def read_doc(path: Path) -> Doc:
    """Parse one YAML file safely, keeping marks; refuse duplicate keys."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise RulePackError(f"cannot read pack: {exc.strerror}", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise RulePackError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from exc
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise RulePackError("empty pack file", path=str(path), line=1, column=1)
        _check_duplicates(root, path)
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise RulePackError(f"YAML error: {reason}", path=str(path),
                            line=mark.line + 1 if mark else None,
                            column=mark.column + 1 if mark else None) from exc
    finally:
        loader.dispose()
    return Doc(path=path, raw=raw, root=root, data=data)


def _explain(err: dict[str, Any]) -> str:
    where = ".".join(_loc_text(p) for p in err["loc"]
                     if not str(p).startswith(("function-", "str")))
    if err["type"] == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r} (at {where})"
    if err["type"] == "missing":
        return f"missing key {err['loc'][-1]!r} (at {where})"
    message = err["msg"].removeprefix("Value error, ")
    return f"{message} (at {where})"


def validate_doc(doc: Doc) -> Doc:
    """Check the document against the strict schema; the first error is raised."""
    if not isinstance(doc.data, dict):
        raise Where(doc).error("a pack file must be a mapping with a 'pack' section")
    try:
        model = PackFile.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        rule = None
        if len(loc) > 1 and loc[0] in ("rules", "checks") and isinstance(loc[1], int):
            items = doc.data.get(loc[0]) or []
            if loc[1] < len(items) and isinstance(items[loc[1]], dict):
                rule = str(items[loc[1]].get("code") or "") or None
        raise Where(doc, loc).error(_explain(err), rule=rule,
                                    key=err["type"] == "extra_forbidden") from exc
    return Doc(doc.path, doc.raw, doc.root, doc.data, model)


def read_chain(path: Path) -> list[Doc]:
    """The pack file followed by every pack it extends (child first)."""
    chain: list[Doc] = []
    current = path.resolve()
    while True:
        if any(d.path == current for d in chain):
            raise Where(chain[-1], ("pack", "extends")).error(
                f"extends loop: {' -> '.join(d.path.name for d in chain)} -> {current.name}")
        if len(chain) >= MAX_EXTENDS:
            raise Where(chain[-1], ("pack", "extends")).error("extends chain too long")
        doc = validate_doc(read_doc(current))
        chain.append(doc)
        if not doc.model.pack.extends:
            return chain
        current = (doc.path.parent / doc.model.pack.extends).resolve()
        if not current.is_file():
            # a run folder keeps copies of every pack file side by side
            current = doc.path.parent / Path(doc.model.pack.extends).name
        if not current.is_file():
            raise Where(doc, ("pack", "extends")).error(f"extended pack not found: {current.name}")


def digest(chain: list[Doc]) -> str:
    """sha256 over every file of the chain, in order; independent of where they live."""
    outer = hashlib.sha256()
    for doc in chain:
        outer.update(hashlib.sha256(doc.raw).digest())
    return outer.hexdigest()


@dataclass
class Merged:
    """The effective content of an ``extends`` chain, each entry with its origin."""

    chain: list[Doc]
    header: Any = None
    parameters: dict[str, tuple[Parameter, Where]] = field(default_factory=dict)
    roster: dict[str, tuple[Any, Where]] = field(default_factory=dict)
    inputs: dict[str, tuple[Any, Where]] = field(default_factory=dict)
    variables: dict[str, tuple[Any, Where]] = field(default_factory=dict)
    rules: list[tuple[Rule, Where]] = field(default_factory=list)
    checks: list[tuple[Check, Where]] = field(default_factory=list)
    ledger: dict[str, tuple[Any, Where]] = field(default_factory=dict)


def _merge_param(old: tuple[Parameter, Where] | None, new: Parameter,
                 where: Where) -> tuple[Parameter, Where]:
    if old is None:
        return new, where
    base = old[0]
    merged = base.model_copy(update={
        "values": {**base.values, **new.values},
        "label": new.label or base.label, "unit": new.unit or base.unit,
        "reference": new.reference or base.reference})
    return merged, where


def _place(items: list, entry: tuple, after: str | None, where: Where) -> None:
    codes = [item.code for item, _ in items]
    if entry[0].code in codes:
        items[codes.index(entry[0].code)] = entry
    elif after is not None:
        if after not in codes:
            raise where.at("after").error(f"'after: {after}' names no earlier rule",
                                          rule=entry[0].code)
        items.insert(codes.index(after) + 1, entry)
    else:
        items.append(entry)


def _overlay(merged: Merged, doc: Doc) -> None:
    model, top = doc.model, Where(doc)
    for name, param in model.parameters.items():
        merged.parameters[name] = _merge_param(merged.parameters.get(name), param,
                                               top.at("parameters", name))
    for section in ("roster", "inputs", "variables", "ledger"):
        target = getattr(merged, section)
        for name, spec in getattr(model, section).items():
            target[name] = (spec, top.at(section, name))
    for idx, code in enumerate(model.remove):
        before = len(merged.rules) + len(merged.checks)
        merged.rules = [r for r in merged.rules if r[0].code != code]
        merged.checks = [c for c in merged.checks if c[0].code != code]
        if before == len(merged.rules) + len(merged.checks):
            raise top.at("remove", idx).error(f"'remove' names unknown rule or check {code}")
    for idx, rule in enumerate(model.rules):
        _place(merged.rules, (rule, top.at("rules", idx)), rule.after, top.at("rules", idx))
    for idx, check in enumerate(model.checks):
        _place(merged.checks, (check, top.at("checks", idx)), None, top.at("checks", idx))


def merge(chain: list[Doc]) -> Merged:
    """Apply the chain from the root pack down to the file that was asked for."""
    merged = Merged(chain=chain, header=chain[0].model.pack)
    inherited: dict[str, Any] = {}
    for doc in reversed(chain):
        _overlay(merged, doc)
        header = doc.model.pack
        inherited.update({k: getattr(header, k) for k in _INHERITED
                          if k in header.model_fields_set})
    merged.header = chain[0].model.pack.model_copy(update=inherited)
    return merged


def load_pack(path: Path) -> Pack:
    """Load, validate, merge and compile a pack; raises RulePackError (file:line:column)."""
    from engine.rules.pack import build  # pack.py builds on this module

    chain = read_chain(Path(path))
    return build(merge(chain), digest(chain), Path(path))
