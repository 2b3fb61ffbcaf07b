"""Merging an ``extends`` chain of pack files into one effective pack, every entry located.

Between ``engine.rules.loader`` (files read and validated) and ``engine.rules.pack``
(compiled). Each parameter, rule and check keeps a :class:`Where` (file and path inside
its YAML document) so any later error, even one found while compiling, names
``file:line:column``. A rule or check code may appear once: a second definition, in the
same file or in an extending pack, is refused with both locations (the later one would
otherwise silently replace the first); an extending pack replaces a parent's rule by
listing its code under ``remove`` and defining it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from engine.errors import RulePackError
from engine.rules.schema import Check, Parameter, Rule
from engine.rules.yamldoc import Doc

_DATE_REPR = re.compile(r"datetime\.date\((\d+), (\d+), (\d+)\)")
_INHERITED = ("params_at", "rounding", "overtime_split", "leave_day", "net_label",
              "net_label_en")


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

    def describe(self) -> str:
        """``file:line:column`` of this place, for messages that name a second location."""
        mark = node_at(self.doc.root, self.loc).start_mark
        return f"{self.doc.path}:{mark.line + 1}:{mark.column + 1}"


def loc_text(part: Any) -> str:
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
        part = part if isinstance(part, int) else loc_text(part)
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
        "reference": new.reference or base.reference,
        "until": new.until if "until" in new.model_fields_set else base.until})
    if "kind" in new.model_fields_set and new.kind != base.kind:
        raise where.at("kind").error(f"parameter kind {new.kind} differs from the parent's "
                                     f"{base.kind}")
    return merged, where


def _place(items: list, entry: tuple, after: str | None, where: Where, kind: str) -> None:
    codes = [item.code for item, _ in items]
    code = entry[0].code
    if code in codes:
        first = items[codes.index(code)][1]
        hint = ("" if first.doc is where.doc else
                f"; to replace the parent's {kind}, list {code} under 'remove' and define it again")
        raise where.at("code").error(f"{kind} code {code} is defined twice: first at "
                                     f"{first.at('code').describe()}{hint}", rule=code)
    if after is not None:
        if after not in codes:
            raise where.at("after").error(f"'after: {after}' names no earlier rule",
                                          rule=code)
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
        _place(merged.rules, (rule, top.at("rules", idx)), rule.after, top.at("rules", idx),
               "rule")
    for idx, check in enumerate(model.checks):
        _place(merged.checks, (check, top.at("checks", idx)), None, top.at("checks", idx),
               "check")


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


