"""Reading one YAML file of a rule pack (or its case file) without trusting its author's tools.

First step of the compute stage's setup, before ``engine.rules.loader`` validates the
document. The text is composed with a ``yaml.SafeLoader`` subclass so every value keeps
its line and column, and the YAML's own traps are closed here, each as a
:class:`RulePackError` with ``file:line:column``:

- nesting deeper than :data:`MAX_DEPTH` and documents that expand (through aliases) to
  more than :data:`MAX_NODES` nodes are refused while composing, so an alias bomb of a
  few hundred bytes is refused at once instead of being expanded by the validation;
  an alias that refers to its own ancestor (a cycle) is refused too;
- duplicate keys are compared after construction, normalised (``2000-01-01`` and
  ``2000-01-01 00:00:00`` are the same date, so the same key), and refused with both
  locations (YAML would silently keep the last one);
- numbers are bounded in digits and exponent at load time (``1e999999`` is no number a
  pack needs, and a 5,000-digit integer would crash Python's ``int``);
- impossible dates (``2026-02-30``) and every other value the constructor cannot build
  are located errors, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent

from engine.errors import RulePackError
from engine.files import read_input

MAX_DEPTH = 40          # cn-default nests 6 deep
MAX_NODES = 200_000     # expanded through aliases; cn-default has about 600
MAX_NUMBER_DIGITS = 40  # digits of a YAML number literal (money needs 15)
MAX_EXPONENT = 40       # |exponent| of a YAML float literal
_EXPONENT = re.compile(r"[eE]([-+]?[0-9]+)$")
_ISO_DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Doc:
    """One parsed pack file with its YAML node tree (for marks) and its bytes (for hashing)."""

    path: Path
    raw: bytes
    root: yaml.Node
    data: Any
    model: Any = None  # the validated ``PackFile`` once ``loader.validate_doc`` ran


def _refuse(message: str, mark: Any) -> ConstructorError:
    return ConstructorError(None, None, message, mark)


class _Loader(yaml.SafeLoader):
    """Safe loader with limits; kept separate so nothing is registered on ``SafeLoader``."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self.pack_path = ""

    def compose_node(self, parent: Any, index: Any) -> Any:
        # PyYAML composes recursively: refuse deep nesting before Python's stack runs out
        if self._depth >= MAX_DEPTH and not self.check_event(AliasEvent):
            raise _refuse(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    # -- constructing: every failure located ------------------------------------------

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # noqa: BLE001 - PyYAML's constructors raise many types
            raise _refuse(f"cannot read this value: {exc}", node.start_mark) from exc

    def construct_yaml_int(self, node: Any) -> int:
        text = str(node.value).replace("_", "").lstrip("+-")
        if len(text) > MAX_NUMBER_DIGITS:
            raise _refuse(f"number with {len(text)} digits is out of range (at most "
                          f"{MAX_NUMBER_DIGITS})", node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: Any) -> float:
        text = str(node.value).replace("_", "").lower()
        found = _EXPONENT.search(text)
        mantissa = sum(c.isdigit() for c in (text[:found.start()] if found else text))
        if mantissa > MAX_NUMBER_DIGITS or (found and abs(int(found.group(1))) > MAX_EXPONENT):
            raise _refuse(f"number {node.value[:30]!r} is out of range (at most "
                          f"{MAX_NUMBER_DIGITS} digits, exponent within ±{MAX_EXPONENT})",
                          node.start_mark)
        return super().construct_yaml_float(node)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _refuse(f"impossible date {node.value!r}: {exc}", node.start_mark) from exc


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def check_shape(root: yaml.Node) -> None:
    """Refuse cycles, and trees that aliases expand beyond MAX_NODES or MAX_DEPTH.

    One depth-first pass over the node graph; each distinct node is measured once, so a
    shared (aliased) node costs nothing more however often it is used.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                raise _refuse(f"aliases expand this document beyond {MAX_NODES:,} values "
                              "(an alias bomb?)", node.start_mark)
            if depth[key] > MAX_DEPTH:
                raise _refuse(f"aliases nest this value more than {MAX_DEPTH} levels deep",
                              node.start_mark)
            continue
        if key in size:
            continue
        open_.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_:
                raise _refuse("an alias refers to a value that contains it (a recursive "
                              "structure); anchored here", child.start_mark)
            if id(child) not in size:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _normal_key(value: Any) -> Any:
    """A key as the schema will see it: dates with a zero time and ISO date text are
    dates, so ``2000-01-01`` and ``2000-01-01 00:00:00`` are one key."""
    if isinstance(value, str) and _ISO_DAY.match(value.strip()):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time(0):
            return date(value.year, value.month, value.day)
        return value
    return value


def _where(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


def check_duplicates(loader: _Loader, root: yaml.Node) -> None:
    """Refuse two keys of one mapping that are equal once constructed and normalised."""
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:  # iterative, each node once (aliases share nodes)
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            _check_mapping(loader, node)
        stack.extend(_children(node))


def _check_mapping(loader: _Loader, node: yaml.MappingNode) -> None:
    first: dict[Any, yaml.Node] = {}
    for key_node, _value in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
            continue  # collection keys are refused by PyYAML itself; merges may override
        key = _normal_key(loader.construct_object(key_node, deep=True))
        try:
            earlier = first.get(key)
        except TypeError:
            continue
        if earlier is None:
            first[key] = key_node
            continue
        same = "" if earlier.value == key_node.value else f": the same as {earlier.value!r}"
        raise RulePackError(
            f"duplicate key {key_node.value!r}{same} (first at line "
            f"{earlier.start_mark.line + 1}, column {earlier.start_mark.column + 1})",
            path=loader.pack_path, line=key_node.start_mark.line + 1,
            column=key_node.start_mark.column + 1)


def _translate(exc: yaml.YAMLError, text: str, path: Path) -> RulePackError:
    """A PyYAML error as ``file:line:column``; reader errors only know an offset."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    line = column = None
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
    elif isinstance(getattr(exc, "position", None), int):
        position = exc.position  # type: ignore[attr-defined]
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        character = getattr(exc, "character", None)
        if isinstance(character, str) and character:
            character = ord(character)
        if isinstance(character, int):
            reason = f"character U+{character:04X} is not allowed in YAML ({reason})"
    context = getattr(exc, "context", None)
    if context and getattr(exc, "problem", None):
        reason = f"{reason} ({context})"
    return RulePackError(f"YAML error: {reason}", path=str(path), line=line, column=column)


def read_doc(path: Path) -> Doc:
    """Parse one YAML file safely, keeping marks; every failure is a RulePackError."""
    raw = read_input(path, "pack", error=RulePackError)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise RulePackError(f"not UTF-8 text (byte {exc.start}); save the file as UTF-8",
                            path=str(path), line=line) from exc
    loader = None
    try:
        loader = _Loader(text)  # the reader checks every character at once
        loader.pack_path = str(path)
        root = loader.get_single_node()
        if root is None:
            raise RulePackError("empty pack file", path=str(path), line=1, column=1)
        check_shape(root)
        check_duplicates(loader, root)
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise _translate(exc, text, path) from exc
    finally:
        if loader is not None:
            loader.dispose()
    return Doc(path=path, raw=raw, root=root, data=data)
