"""Loading a rule pack: safe YAML with line marks, strict schema, ``extends`` chains.

First step of the compute stage's setup. Each file is read by ``engine.rules.yamldoc``
(safe, bounded YAML keeping line and column; duplicate keys refused), validated here
against ``engine.rules.schema``, merged along its ``extends`` chain by
``engine.rules.merge`` and compiled by ``engine.rules.pack``. Every error is a
:class:`RulePackError` naming ``file:line:column``. The flow is one way:
yamldoc → merge → pack → loader, with no import back.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.rules.compiled import Pack
from engine.rules.merge import Where, loc_text, merge
from engine.rules.pack import build
from engine.rules.schema import PackFile
from engine.rules.yamldoc import Doc, read_doc

__all__ = ["Doc", "Where", "digest", "load_pack", "read_chain", "read_doc", "validate_doc"]

MAX_EXTENDS = 8


def _explain(err: dict[str, Any]) -> str:
    where = ".".join(loc_text(p) for p in err["loc"]
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
        if not current.exists():
            # a run folder keeps copies of every pack file side by side
            current = doc.path.parent / Path(doc.model.pack.extends).name
        if not current.exists():
            raise Where(doc, ("pack", "extends")).error(f"extended pack not found: {current.name}")


def digest(chain: list[Doc]) -> str:
    """sha256 over every file of the chain, in order; independent of where they live."""
    outer = hashlib.sha256()
    for doc in chain:
        outer.update(hashlib.sha256(doc.raw).digest())
    return outer.hexdigest()


def load_pack(path: Path) -> Pack:
    """Load, validate, merge and compile a pack; raises RulePackError (file:line:column)."""
    chain = read_chain(Path(path))
    return build(merge(chain), digest(chain), Path(path))
