"""A month's employee results kept compact: compressed batches, unpacked as they are read.

Between compute and everything after it. A large company's results as Python objects take
tens of kilobytes per employee (the lines' traces most of it), more than the run should
hold; :class:`Packed` keeps them as pickled, zlib-compressed batches of ``BATCH``
employees (under a kilobyte each) and gives them back one batch at a time, so a stage that
walks the month (``for emp in result.employees``) holds one batch of objects, not the
month. It is a read-only ``Sequence``: ``len``, iteration in order, indexing.

The WeCom record and the roster columns of an employee are kept by reference, not copied
(the snapshot and the roster hold them anyway): an unpacked employee's ``record`` is the
snapshot's own object. Models are rebuilt without validation, as compute builds them
(:func:`engine.rules.program.build`), so an unpacked employee equals the one packed.

:func:`collect` packs a stream of employees; :func:`remap` applies a function to every
employee of a sequence and keeps its kind (a tuple stays a tuple, packed stays packed).
"""

from __future__ import annotations

import gc
import io
import pickle
import threading
import zlib
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from engine.rules.lines import EmployeeResult

BATCH = 500  # employees per compressed batch: one batch of objects alive while reading
LEVEL = 1  # zlib: the fastest level already shrinks a batch about fivefold
# Packing costs time (every walk unpickles its batches): a month of this many employees or
# fewer is kept as plain objects (a 20,000-employee month peaks at about 1.3 GB that way,
# 0.7 GB packed), a larger one is packed.
PACK_ABOVE = 20_000

_SLOTS = {name: BaseModel.__dict__[name].__set__ for name in (
    "__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")}
_SET_DICT, _SET_FIELDS = _SLOTS["__dict__"], _SLOTS["__pydantic_fields_set__"]
_SET_EXTRA, _SET_PRIVATE = _SLOTS["__pydantic_extra__"], _SLOTS["__pydantic_private__"]
_new = object.__new__
# one "fields set" per set of names, shared by the unpacked models (pydantic only reads it
# and copies it before ``model_copy`` updates one: the models are frozen)
_FIELDS: dict[frozenset, set] = {}
_REFERRED = ("record", "roster")  # an employee's fields kept by reference
_loading = threading.local()  # the references of the batch being unpacked


def _rebuild(cls: type, fields: set, values: dict) -> BaseModel:
    obj = _new(cls)
    _SET_DICT(obj, values)
    _SET_FIELDS(obj, fields)
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


def _rebuild_employee(fields: set, values: dict) -> EmployeeResult:
    items = _loading.refs
    for name in _REFERRED:
        if values[name] is not None:
            values[name] = items[values[name]]
    return _rebuild(EmployeeResult, fields, values)


def _fields(model: BaseModel) -> set:
    key = frozenset(model.__pydantic_fields_set__)
    found = _FIELDS.get(key)
    if found is None:
        found = _FIELDS[key] = set(key)
    return found


@contextmanager
def _no_collector() -> Iterator[None]:
    """A batch holds no reference cycles: the cyclic collector's passes over its many new
    objects would find nothing and cost half the time of packing or unpacking."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class _Pickler(pickle.Pickler):
    """Models as (class, fields set, field values); an employee's record and roster
    columns as indexes into the shared references."""

    def __init__(self, file, refs: "_Refs") -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.refs = refs

    def reducer_override(self, obj: Any):
        if not isinstance(obj, BaseModel) or obj.__pydantic_extra__ is not None \
                or obj.__pydantic_private__ is not None:
            return NotImplemented
        if type(obj) is EmployeeResult:
            values = dict(obj.__dict__)
            for name in _REFERRED:
                values[name] = self.refs.add(values[name])
            return _rebuild_employee, (_fields(obj), values)
        return _rebuild, (type(obj), _fields(obj), obj.__dict__)


class _Refs:
    """The objects packed employees refer to (kept alive here, so their ids stay theirs)."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.index: dict[int, int] = {}

    def add(self, obj: Any) -> int | None:
        if obj is None:
            return None
        found = self.index.get(id(obj))
        if found is None:
            found = self.index[id(obj)] = len(self.items)
            self.items.append(obj)
        return found


class Packed(Sequence):
    """Employee results (or other frozen models: ledger rows) in compressed batches of
    ``batch`` items (see the module docstring). Filled once, by the constructor or by
    ``add`` then ``done``; read-only from then on."""

    def __init__(self, employees: Iterable[Any] = (), refs: _Refs | None = None,
                 batch: int | None = None) -> None:
        self._refs = refs or _Refs()
        self._size = batch or BATCH
        self._batches: list[bytes] = []
        self._length = 0
        self._pending: list[Any] = []
        for emp in employees:
            self.add(emp)
        self.done()

    def add(self, item: Any) -> None:
        self._pending.append(item)
        if len(self._pending) == self._size:
            self._pack()

    def done(self) -> "Packed":
        if self._pending:
            self._pack()
        return self

    def _pack(self) -> None:
        buffer = io.BytesIO()
        with _no_collector():
            _Pickler(buffer, self._refs).dump(self._pending)
        self._batches.append(zlib.compress(buffer.getvalue(), LEVEL))
        self._length += len(self._pending)
        self._pending = []

    def _batch(self, n: int) -> list[EmployeeResult]:
        outer = getattr(_loading, "refs", None)
        _loading.refs = self._refs.items
        try:
            with _no_collector():
                return pickle.loads(zlib.decompress(self._batches[n]))
        finally:
            _loading.refs = outer

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[EmployeeResult]:
        for n in range(len(self._batches)):
            yield from self._batch(n)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("employee index out of range")
        return self._batch(index // self._size)[index % self._size]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Packed({self._length} employees in {len(self._batches)} batches)"

    def map(self, fn: Callable[[EmployeeResult], EmployeeResult]) -> "Packed":
        """Every employee through ``fn``, packed again (one batch unpacked at a time)."""
        return Packed((fn(emp) for emp in self), self._refs, self._size)

    @property
    def nbytes(self) -> int:
        """The compressed size held (for benchmarks)."""
        return sum(len(b) for b in self._batches)


class View(Sequence):
    """A sequence made again at each reading by ``make()`` (the paid employees of a
    packed month, each with its balances): nothing held but what ``make`` reads."""

    def __init__(self, make: Callable[[], Iterable[Any]]) -> None:
        self._make = make
        self._length: int | None = None

    def __iter__(self) -> Iterator[Any]:
        count = 0
        for item in self._make():
            count += 1
            yield item
        self._length = count

    def __len__(self) -> int:
        if self._length is None:
            self._length = sum(1 for _ in self)
        return self._length

    def __getitem__(self, index):
        return list(self)[index]


def collect(employees: Iterable[EmployeeResult]) -> Packed:
    """The employees packed (``collect`` of :func:`engine.rules.apply.compute`)."""
    return Packed(employees)


def collector(count: int) -> Callable[[Iterable[EmployeeResult]], Sequence[EmployeeResult]]:
    """How a month of ``count`` employees is kept: packed above :data:`PACK_ABOVE`, as a
    tuple otherwise (every writer walks either kind and writes the same bytes)."""
    return collect if count > PACK_ABOVE else tuple


def remap(employees: Sequence[EmployeeResult], fn: Callable[[EmployeeResult], EmployeeResult]
          ) -> Sequence[EmployeeResult]:
    """``fn`` applied to every employee; packed results stay packed, others become a tuple."""
    if isinstance(employees, Packed):
        return employees.map(fn)
    return tuple(fn(emp) for emp in employees)


def select(employees: Sequence[EmployeeResult], keep: Callable[[EmployeeResult], bool],
           fn: Callable[[EmployeeResult], EmployeeResult] | None = None
           ) -> Sequence[EmployeeResult]:
    """The employees ``keep`` accepts (each through ``fn``): a list of a tuple's, a
    :class:`View` of packed ones (so the month is not unpacked whole)."""
    def make() -> Iterator[EmployeeResult]:
        return (emp if fn is None else fn(emp) for emp in employees if keep(emp))

    if isinstance(employees, (Packed, View)):
        return View(make)
    return list(make())
