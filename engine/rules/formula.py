"""Formulas of a rule pack: a small allow-listed expression language over ``Decimal``.

Compiled once when a pack loads, evaluated per employee by ``engine.rules.apply``.
Source text is parsed with :func:`ast.parse` in ``eval`` mode and every node is checked
against an allow-list: numbers, names, arithmetic, comparisons, ``and``/``or``/``not``,
conditional expressions, calls of a fixed function table and dotted names
(``ledger.comp_h``: one level on a plain name, an environment key like any other name,
never an attribute lookup). Anything else (attributes of anything else,
subscripts, strings, lambdas, comprehensions, walrus, starred arguments, keyword
arguments) is refused at load. Literals become ``Decimal`` from their source text, never
through ``float``. The checked tree is turned into nested closures, so evaluation costs
no parsing and no ``eval``.

:func:`specialise` compiles the same checked tree again for one pay period: names whose
value is fixed for the period (parameters, calendar counts) become constants, subtrees
made only of constants are evaluated once, and the closures are shaped for the common
cases (an operand that is a constant, a call with one or two arguments).
"""

from __future__ import annotations

import ast
import decimal
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from engine.errors import EvaluationError, FormulaError
from engine.money import snap
from engine.rules.tables import FUNCTIONS as TABLE_FUNCTIONS
from engine.rules.tables import as_number as _dec

Env = Mapping[str, object]
Fn = Callable[[Env], object]

MAX_SOURCE = 2000  # characters of one formula
MAX_DEPTH = 40  # nesting of the tree
MAX_DIGITS = 30  # digits of one literal
MAX_EXPONENT = 4  # ``x ** n`` only with a literal integer 0 <= n <= 4
MAX_LITERAL_EXP = 30  # ``1e30`` is the largest literal scale accepted

_ONE = Decimal(1)


def _round(x: object, places: object = 0) -> Decimal:
    """Half-up rounding to ``places`` decimals (ties away from zero, like 四舍五入)."""
    step = Decimal(1).scaleb(-int(_dec(places)))
    return snap(_dec(x), step).quantize(step, rounding=ROUND_HALF_UP)


def _step_round(mode: str) -> Callable[..., Decimal]:
    def fn(x: object, step: object = _ONE) -> Decimal:
        s = _dec(step)
        if s <= 0:
            raise EvaluationError("rounding step must be positive")
        return (snap(_dec(x), s) / s).to_integral_value(rounding=mode) * s
    return fn


def _clamp(x: object, low: object, high: object) -> Decimal:
    return min(max(_dec(x), _dec(low)), _dec(high))


FUNCTIONS: dict[str, tuple[Callable[..., object], int, int]] = {
    # name: (function, fewest arguments, most arguments)
    "min": (lambda *a: min(_dec(v) for v in a), 2, 8),
    "max": (lambda *a: max(_dec(v) for v in a), 2, 8),
    "abs": (lambda x: abs(_dec(x)), 1, 1),
    "round": (_round, 1, 2),
    "floor": (_step_round(ROUND_FLOOR), 1, 2),
    "ceil": (_step_round(ROUND_CEILING), 1, 2),
    "clamp": (_clamp, 3, 3),
    **TABLE_FUNCTIONS,  # band_rate band_quick band_index band_upper table_valid round_step
}

_ARITH = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
# A comparison with a constant on the right, one closure per operator.
_AGAINST: dict[type, Callable[[Fn, object], Fn]] = {
    ast.Eq: lambda a, c: lambda env: a(env) == c,
    ast.NotEq: lambda a, c: lambda env: a(env) != c,
    ast.Lt: lambda a, c: lambda env: a(env) < c,
    ast.LtE: lambda a, c: lambda env: a(env) <= c,
    ast.Gt: lambda a, c: lambda env: a(env) > c,
    ast.GtE: lambda a, c: lambda env: a(env) >= c,
}
# Closures of the common binary shapes: (both computed, right constant, left constant).
_SHAPES: dict[type, tuple[Callable[[Fn, Fn], Fn], Callable[[Fn, object], Fn],
                          Callable[[object, Fn], Fn]]] = {
    ast.Add: (lambda a, b: lambda env: a(env) + b(env), lambda a, c: lambda env: a(env) + c,
              lambda c, b: lambda env: c + b(env)),
    ast.Sub: (lambda a, b: lambda env: a(env) - b(env), lambda a, c: lambda env: a(env) - c,
              lambda c, b: lambda env: c - b(env)),
    ast.Mult: (lambda a, b: lambda env: a(env) * b(env), lambda a, c: lambda env: a(env) * c,
               lambda c, b: lambda env: c * b(env)),
}


@dataclass(frozen=True)
class Formula:
    """A compiled formula: its text, the names it reads, and the closure."""

    source: str
    names: frozenset[str]
    fn: Fn
    tree: ast.expr | None = field(default=None, compare=False, repr=False)

    def __call__(self, env: Env) -> object:
        return self.fn(env)


class _Compiler:
    def __init__(self, source: str, constants: Mapping[str, object] | None = None) -> None:
        self.source = source
        self.names: set[str] = set()
        self.folding = constants is not None
        self.constants = constants or {}
        self.fixed: dict[Fn, object] = {}  # closures whose value is known now

    def const(self, value: object) -> Fn:
        fn = lambda env: value  # noqa: E731
        self.fixed[fn] = value
        return fn

    def fold(self, fn: Fn, *parts: Fn) -> Fn:
        """``fn`` evaluated once when every part is a constant (when specialising).

        A constant subtree that fails (``1 / 0``) is left to fail for each employee, where
        the failure is reported with the rule and the employee.
        """
        if not self.folding or not all(p in self.fixed for p in parts):
            return fn
        try:
            value = fn({})
        except Exception:  # noqa: BLE001 - re-raised per employee by the same closure
            return fn
        return self.const(value)

    def fail(self, node: ast.AST, reason: str) -> FormulaError:
        col = getattr(node, "col_offset", 0)
        err = FormulaError(f"{reason} (at column {col + 1} of {self.source!r})")
        err.offset = col  # type: ignore[attr-defined]
        return err

    def text(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ""

    def build(self, node: ast.AST, depth: int = 0) -> Fn:
        if depth > MAX_DEPTH:
            raise self.fail(node, "formula nested too deeply")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self.fail(node, f"{_describe(node)} is not allowed in formulas")
        return method(node, depth + 1)

    def _Constant(self, node: ast.Constant, depth: int) -> Fn:
        if isinstance(node.value, bool):
            value: object = node.value
        elif isinstance(node.value, int | float) and not isinstance(node.value, complex):
            value = self.literal(node)
        else:
            raise self.fail(node, f"{type(node.value).__name__} literals are not allowed "
                                  "(only numbers)")
        return self.const(value)

    def literal(self, node: ast.Constant) -> Decimal:
        text = self.text(node).replace("_", "")
        try:
            value = Decimal(text)
        except decimal.InvalidOperation:
            raise self.fail(node, f"number {text!r} must be written in decimal") from None
        digits = value.as_tuple().digits
        if len(digits) > MAX_DIGITS or abs(value.adjusted()) > MAX_LITERAL_EXP:
            raise self.fail(node, f"number {text!r} is too large")
        return value

    def _Name(self, node: ast.Name, depth: int) -> Fn:
        name = node.id
        if name.startswith("_"):
            raise self.fail(node, f"name {name!r} is not allowed (leading underscore)")
        if name in FUNCTIONS:
            raise self.fail(node, f"function {name!r} must be called")
        self.names.add(name)
        if name in self.constants:
            return self.const(self.constants[name])

        def get(env: Env) -> object:
            try:
                return env[name]
            except KeyError:
                raise EvaluationError(f"no value for {name!r}") from None
        return get

    def _Attribute(self, node: ast.Attribute, depth: int) -> Fn:
        """``space.name`` is one dotted name (``ledger.comp_h``, ``employment_type.hourly``):
        a single level on a plain name, read from the environment like any name; no
        attribute of any object is ever looked up."""
        if not isinstance(node.value, ast.Name) or node.value.id in FUNCTIONS:
            raise self.fail(node, "attribute access is not allowed in formulas (only "
                                  "'space.name', e.g. ledger.comp_h)")
        if node.value.id.startswith("_") or node.attr.startswith("_"):
            raise self.fail(node, "attribute access is not allowed in formulas (a leading "
                                  "underscore)")
        return self._Name(ast.Name(id=f"{node.value.id}.{node.attr}"), depth)

    def _BinOp(self, node: ast.BinOp, depth: int) -> Fn:
        if isinstance(node.op, ast.Pow):
            return self.power(node, depth)
        op = _ARITH.get(type(node.op))
        if op is None:
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        left, right = self.build(node.left, depth), self.build(node.right, depth)
        if isinstance(node.op, ast.Div | ast.Mod):
            fn = self.division(op, left, right, self.text(node.right))
        elif not self.folding:
            fn = lambda env: op(left(env), right(env))  # noqa: E731
        else:
            both, right_fixed, left_fixed = _SHAPES[type(node.op)]
            fn = (right_fixed(left, self.fixed[right]) if right in self.fixed
                  else left_fixed(self.fixed[left], right) if left in self.fixed
                  else both(left, right))
        return self.fold(fn, left, right)

    def division(self, op: Callable, left: Fn, right: Fn, right_text: str) -> Fn:
        divisor = self.fixed.get(right, 0)
        if self.folding and divisor and isinstance(divisor, Decimal):
            # a non-zero constant divisor needs no zero test per evaluation
            if op is operator.truediv:
                return lambda env: left(env) / divisor
            return lambda env: left(env) % divisor

        def divide(env: Env) -> object:
            divisor = right(env)
            if not divisor:
                raise EvaluationError(f"division by zero: {right_text} = {divisor}")
            return op(left(env), divisor)
        return divide

    def power(self, node: ast.BinOp, depth: int) -> Fn:
        exp = node.right
        if not (isinstance(exp, ast.Constant) and type(exp.value) is int
                and 0 <= exp.value <= MAX_EXPONENT):
            raise self.fail(node, f"'**' needs a literal whole exponent 0..{MAX_EXPONENT}")
        base, n = self.build(node.left, depth), exp.value
        return self.fold(lambda env: _dec(base(env)) ** n, base)

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> Fn:
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return self.fold(lambda env: -operand(env), operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return self.fold(lambda env: not operand(env), operand)
        raise self.fail(node, "operator '~' is not allowed")

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> Fn:
        parts = [self.build(v, depth) for v in node.values]
        conj = isinstance(node.op, ast.And)
        if self.folding:
            # a constant part decides the whole (False in `and`, True in `or`) or drops out
            if any(p in self.fixed and bool(self.fixed[p]) is not conj for p in parts):
                return self.const(not conj)
            parts = [p for p in parts if p not in self.fixed] or parts
        return self.fold(_boolean(parts, conj), *parts)

    def _Compare(self, node: ast.Compare, depth: int) -> Fn:
        ops = []
        for op in node.ops:
            fn = _COMPARE.get(type(op))
            if fn is None:
                raise self.fail(node, f"comparison {type(op).__name__} is not allowed")
            ops.append(fn)
        terms = [self.build(node.left, depth)] + [self.build(c, depth) for c in node.comparators]
        pairs = list(zip(ops, terms[:-1], terms[1:]))
        if len(pairs) == 1:
            (op, left, right), = pairs
            if self.folding and right in self.fixed and left not in self.fixed:
                # checks compare a value with a constant for every employee: no operator call
                return _AGAINST[type(node.ops[0])](left, self.fixed[right])
            return self.fold(lambda env: op(left(env), right(env)), left, right)
        return self.fold(lambda env: all(op(a(env), b(env)) for op, a, b in pairs), *terms)

    def _IfExp(self, node: ast.IfExp, depth: int) -> Fn:
        test, yes, no = (self.build(n, depth) for n in (node.test, node.body, node.orelse))
        if self.folding and test in self.fixed:
            return yes if self.fixed[test] else no
        return lambda env: yes(env) if test(env) else no(env)

    def _Call(self, node: ast.Call, depth: int) -> Fn:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.fail(node, f"call of {self.text(node.func)!r} is not allowed; "
                                  f"functions: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        fn, low, high = FUNCTIONS[node.func.id]
        if not low <= len(node.args) <= high:
            raise self.fail(node, f"{node.func.id}() takes {low}..{high} arguments")
        args = [self.build(a, depth) for a in node.args]
        return self.fold(_call(fn, node.func.id, args, self.folding), *args)


def _boolean(parts: list[Fn], conj: bool) -> Fn:
    """``and`` (``conj``) or ``or`` of the parts as a bool, short-circuit; the common one-,
    two- and three-part shapes unrolled (checks run them for every employee)."""
    if len(parts) == 1:
        (a,) = parts
        return lambda env: True if a(env) else False
    if len(parts) == 2:
        a, b = parts
        if conj:
            return lambda env: True if a(env) and b(env) else False
        return lambda env: True if a(env) or b(env) else False
    if len(parts) == 3:
        a, b, c = parts
        if conj:
            return lambda env: True if a(env) and b(env) and c(env) else False
        return lambda env: True if a(env) or b(env) or c(env) else False
    if conj:
        return lambda env: all(p(env) for p in parts)
    return lambda env: any(p(env) for p in parts)


def _call(fn: Callable[..., object], name: str, args: list[Fn], shaped: bool) -> Fn:
    if shaped and len(args) == 1:
        (a,) = args

        def call(env: Env) -> object:
            try:
                return fn(a(env))
            except decimal.InvalidOperation as exc:
                raise EvaluationError(f"{name}(): invalid operation") from exc
    elif shaped and len(args) == 2:
        a, b = args

        def call(env: Env) -> object:
            try:
                return fn(a(env), b(env))
            except decimal.InvalidOperation as exc:
                raise EvaluationError(f"{name}(): invalid operation") from exc
    else:
        def call(env: Env) -> object:
            try:
                return fn(*(a(env) for a in args))
            except decimal.InvalidOperation as exc:
                raise EvaluationError(f"{name}(): invalid operation") from exc
    return call


def _describe(node: ast.AST) -> str:
    kind = type(node).__name__
    return {
        "Attribute": "attribute access", "Subscript": "subscript", "Lambda": "lambda",
        "NamedExpr": "assignment (:=)", "Starred": "starred argument",
        "JoinedStr": "f-string", "ListComp": "comprehension", "SetComp": "comprehension",
        "DictComp": "comprehension", "GeneratorExp": "comprehension",
        "List": "list", "Tuple": "tuple", "Dict": "dict", "Set": "set",
        "Await": "await", "Yield": "yield", "Slice": "slice",
    }.get(kind, kind)


def compile_formula(source: object) -> Formula:
    """Check and compile one formula; raises :class:`FormulaError` with the reason."""
    if isinstance(source, bool) or not isinstance(source, str | int):
        raise FormulaError(f"a formula must be text, got {type(source).__name__} {source!r}")
    text = str(source).strip()
    if not text:
        raise FormulaError("empty formula")
    if len(text) > MAX_SOURCE:
        raise FormulaError(f"formula longer than {MAX_SOURCE} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        err = FormulaError(f"syntax error: {exc.msg} (at column {exc.offset} of {text!r})")
        err.offset = (exc.offset or 1) - 1  # type: ignore[attr-defined]
        raise err from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise FormulaError(f"formula cannot be parsed: {type(exc).__name__}") from None
    compiler = _Compiler(text)
    fn = compiler.build(tree.body)
    return Formula(source=text, names=frozenset(compiler.names), fn=fn, tree=tree.body)


def specialise(formula: Formula, constants: Mapping[str, object],
               context: decimal.Context) -> Fn:
    """The formula's closure for one period: ``constants`` folded in, evaluated in ``context``.

    Gives the same values and errors as ``formula.fn`` for every environment that holds
    ``constants``; constant subtrees are computed in ``context``, the one the per-employee
    evaluation uses, so folding changes no digit.
    """
    if formula.tree is None:
        return formula.fn
    with decimal.localcontext(context):
        return _Compiler(formula.source, constants).build(formula.tree)
